"""A leak site's large file received in pieces against the same file received whole.

    python -m bench.leak_site_memory [--mb 200]

Serves the fixture leak site (world.sites) with its large file (backup/full_backup.csv) replaced by
MB megabytes of random bytes, and runs `leakwatch crawl` of it (direct route, one process) twice:
`leak_site.chunk_bytes: 16 MiB` (the default: HTTP Range pieces into an anonymous temporary file,
scanned as a stream) and `chunk_bytes: 0` (the whole file in one response, in memory). Prints the
peak RSS of each crawl process (GNU time) and the ratio, with wall time and what was found.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

CHUNK = 16 << 20  # the default piece: what a crawl of a real site uses


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.leak_site_memory", description=__doc__.split("\n")[0])
    # 200 MB: well above a piece (16 MiB) and below Scrapy's DOWNLOAD_MAXSIZE (256 MiB), so that the
    # whole-file crawl can take it at all.
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args(argv)

    from leakwatch.matchers.registry.local_server import LocalRedis
    from world.sites import FixtureSites, build_content
    from world.synth import make_institutions

    with tempfile.TemporaryDirectory(prefix="lw-bench-") as tmp:
        root = Path(tmp)
        build_content(root / "sites", make_institutions(3, rows=80, seed=7), seed=7)
        content = json.loads((root / "sites" / "content.json").read_text())
        lab = next(v for v in content["leaks"]["victims"] if v["slug"] == "laboratoire-bioanalyses-rhone")
        with (root / "sites" / lab["files"]["backup/full_backup.csv"]).open("wb") as big:
            for _ in range(args.mb):  # random bytes: binary, so the scan reads them fast and finds nothing
                big.write(os.urandom(1 << 20))
        redis = LocalRedis(root / "redis")
        url = redis.ensure()
        peaks = {}
        try:
            with FixtureSites(root / "sites") as sites:
                for chunk in (CHUNK, 0):
                    run = root / f"chunk{chunk}"
                    run.mkdir()
                    (run / "sources.yaml").write_text(
                        f"sources:\n  - name: leaks\n    kind: leak_site\n    base_url: {sites.urls['leaks']}\n"
                        f"    route: direct\n    delay: 0\n    leak_site: {{chunk_bytes: {chunk}}}\n")
                    env = dict(os.environ, LEAKWATCH_HOME=str(run / "home"), LEAKWATCH_REDIS_URL=url,
                               LEAKWATCH_NAMESPACE="b" + uuid.uuid4().hex[:8],
                               LEAKWATCH_SOURCES_FILE=str(run / "sources.yaml"))
                    started = time.monotonic()
                    done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "leakwatch", "crawl", "leaks",
                                           "--json"], env=env, capture_output=True, text=True, timeout=1800)
                    seconds = time.monotonic() - started
                    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
                    if done.returncode != 0 or peak is None:
                        print(f"chunk_bytes={chunk}: crawl failed (rc {done.returncode}): {done.stderr[-500:]}")
                        return 2
                    outcome = json.loads(done.stdout)["sources"][0]
                    peaks[chunk] = int(peak.group(1)) / 1024
                    print(f"{args.mb} MB file, chunk_bytes={chunk}: peak RSS {peaks[chunk]:.0f} MiB, {seconds:.1f} s, "
                          f"items {outcome['items']}, budget_skipped {outcome['budget_skipped']}")
        finally:
            redis.stop()
    print(f"pieces vs whole: peak RSS {peaks[CHUNK] / peaks[0]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
