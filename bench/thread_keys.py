"""What a second crawl of a forum with nothing new fetches, by how threads are keyed and skipped.

    python -m bench.thread_keys

The fixture forum `unread` links a logged-in member to the first unread post of each topic, so the
links change once the first run has read them. Each config crawls it twice with the real CLI (its
own local redis-server and home, the direct route, no delay) and prints the second run's requests
against the baseline's: the workaround the issue describes (keys from the link with a pattern that
takes both link forms, no last-post number). Then `leakwatch sources check` timings, best and worst
of 3 (each one a whole CLI process: Python, Scrapy and the login included).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Keys of the forum section per config; the first is the baseline.
CONFIGS = {
    "link key /(topic|post)/N, no last-post number": {
        "thread_key_from": "link", "thread_key_pattern": r"/(?:topic|post)/(?P<key>\d+)"},
    "canonical key, no last-post number": {"thread_key_pattern": r"/topic/(?P<key>\d+)"},
    "canonical key + topic_last_post_pattern": {
        "topic_last_post": "div.topic-last-post a::attr(href)", "topic_last_post_pattern": r"/post/(\d+)",
        "thread_key_pattern": r"/topic/(?P<key>\d+)"},
}
LOGIN = {"U": "watcher", "P": "correct horse battery staple"}  # the fixture forum's account
CHECK_REPEATS = 3  # whole CLI processes each: the spread is start-up noise on a shared machine


def _sources(url: str, forum: dict) -> str:
    lines = "".join(f"      {key}: {json.dumps(value)}\n" for key, value in forum.items())
    return (f"sources:\n  - name: unread\n    kind: forum\n    base_url: {url}\n    route: direct\n    delay: 0\n"
            f"    credentials: env:U/P\n    forum:\n{lines}")


def _crawl(sites, env, sources) -> tuple[int, int, float]:
    """(requests to the forum, thread pages among them, seconds) of one `leakwatch crawl`."""
    before = len(sites.access_log())
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "leakwatch", "crawl", "unread", "--sources", str(sources), "--json"],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"crawl failed: {result.stderr[-2000:]}")
    paths = [e["path"] for e in sites.access_log()[before:] if e["site"] == "unread"]
    return len(paths), sum(p.startswith(("/topic/", "/post/")) for p in paths), time.monotonic() - started


def main() -> int:
    from world.synth import make_institutions
    from world.sites import FixtureSites, build_content

    work = Path(tempfile.mkdtemp(prefix="lw-thread-keys-"))
    build_content(work / "sites", make_institutions(3, rows=80, seed=7), seed=7)
    (work / "none.yaml").write_text("{}\n")
    with FixtureSites(work / "sites") as sites:
        baseline = None
        for i, (label, forum) in enumerate(CONFIGS.items()):
            sources = work / f"sources{i}.yaml"
            sources.write_text(_sources(sites.urls["unread"], forum))
            env = dict(os.environ, LEAKWATCH_HOME=str(work / f"home{i}"), LEAKWATCH_CONFIG=str(work / "none.yaml"),
                       LEAKWATCH_NAMESPACE=f"bench{i}", **LOGIN)
            first = _crawl(sites, env, sources)
            second = _crawl(sites, env, sources)
            baseline = baseline or second
            print(f"{label}: run 1 {first[0]} requests ({first[1]} thread pages); run 2 {second[0]} requests "
                  f"({second[1]} thread pages), {second[2]:.1f}s; run 2 vs baseline: "
                  f"{baseline[0] / second[0]:.1f}x fewer requests")
            subprocess.run([sys.executable, "-m", "leakwatch", "store", "stop"], env=env, capture_output=True)
        env = dict(os.environ, LEAKWATCH_HOME=str(work / "check"), LEAKWATCH_CONFIG=str(work / "none.yaml"), **LOGIN)
        for args in (["--url", "/board/1"], ["--login", "--url", "/board/1"], ["--login", "--url", "/post/5"]):
            times = []
            for _ in range(CHECK_REPEATS):
                started = time.monotonic()
                result = subprocess.run([sys.executable, "-m", "leakwatch", "sources", "check", "unread", *args,
                                         "--sources", str(work / "sources2.yaml")], env=env, capture_output=True, text=True)
                if result.returncode != 0:
                    raise SystemExit(f"check failed: {result.stderr[-2000:]}")
                times.append(time.monotonic() - started)
            print(f"sources check unread {' '.join(args)}: {min(times):.2f}-{max(times):.2f}s")
        subprocess.run([sys.executable, "-m", "leakwatch", "store", "stop"], env=env, capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
