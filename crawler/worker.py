"""One crawler process of `leakwatch crawl --workers N` (leakwatch.crawl starts them).

    python -m crawler.worker SPEC.json

SPEC: {"sources": [names], "overrides": {Scrapy settings}, "out": path}. The process crawls the
sources with `crawler.runner.run_crawls` (Twisted's reactor runs once per process, hence a process
per worker), logs to stderr, and writes each source's `CrawlResult.summary()` to OUT as JSON.
Exit 0 if every source's crawl was ok, 1 otherwise.
"""

import json
import sys
from pathlib import Path


def main(spec_path: str) -> int:
    from crawler.runner import run_crawls

    spec = json.loads(Path(spec_path).read_text())
    results = run_crawls(spec["sources"], spec["overrides"])
    out = Path(spec["out"])
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps({name: r.summary() for name, r in results.items()}, default=str))
    tmp.replace(out)  # whole or absent: a worker killed while writing gives no report
    return 0 if all(r.ok for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
