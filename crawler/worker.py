"""One crawler process of `leakwatch crawl --workers N` (leakwatch.crawl starts them).

    python -m leakwatch.crawler.worker SPEC.json

SPEC: {"sources": [names], "overrides": {Scrapy settings}, "out": path, "progress": path (optional)}.
The process crawls the sources with `leakwatch.crawler.runner.run_crawls` (Twisted's reactor runs once per
process, hence a process per worker), logs to stderr, and writes each source's
`CrawlResult.summary()` to OUT as JSON. With PROGRESS, it also writes its counters there every
PROGRESS_SECONDS while it crawls, and once more at the end ({source: {stat: value}}, the stats of
PROGRESS_STATS): the parent's live view of its workers.
Exit 0 if every source's crawl was ok, 1 otherwise.
"""

import json
import sys
from pathlib import Path

PROGRESS_SECONDS = 0.5  # as often as the live view redraws (leakwatch.cli)
# Scrapy stats a live view shows: pages fetched, items scanned, matches, errors.
PROGRESS_STATS = ("response_received_count", "leakwatch/items", "leakwatch/matches", "log_count/ERROR",
                  "leakwatch/item_errors")


def progress_of(stats: dict) -> dict:
    return {key: int(stats.get(key, 0) or 0) for key in PROGRESS_STATS}


def write_json(path: Path, value) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value, default=str))
    tmp.replace(path)  # whole or absent: a reader never sees half a file


def progress_writer(path: Path):
    """An `observe` for run_crawls: writes the counters of every source's crawl to `path`, periodically."""
    crawlers = {}

    def write():
        try:
            write_json(path, {name: progress_of(c.stats.get_stats()) for name, c in crawlers.items()
                              if c.stats is not None})
        except OSError:  # the parent's directory is gone (it was killed): the crawl goes on
            pass

    def observe(source, crawler):
        crawlers[source.name] = crawler
        if len(crawlers) == 1:
            from twisted.internet import task

            task.LoopingCall(write).start(PROGRESS_SECONDS, now=False)

    return observe


def main(spec_path: str) -> int:
    from leakwatch.crawler.runner import run_crawls

    spec = json.loads(Path(spec_path).read_text())
    progress = Path(spec["progress"]) if spec.get("progress") else None
    results = run_crawls(spec["sources"], spec["overrides"], observe=progress_writer(progress) if progress else None)
    if progress is not None:
        write_json(progress, {name: progress_of(r.stats) for name, r in results.items()})
    write_json(Path(spec["out"]), {name: r.summary() for name, r in results.items()})
    return 0 if all(r.ok for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
