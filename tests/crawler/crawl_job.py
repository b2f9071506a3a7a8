"""A crawl in a process of its own (Twisted's reactor cannot start twice in one process).

    python tests/crawler/crawl_job.py SPEC.json

SPEC: {"sources_file": path, "sources": [names], "settings": {...}, "out": dir}. Items go to
OUT/items.jsonl through `CollectPipeline` (the test's stand-in for the scan pipeline), the
per-source results of `leakwatch.crawler.runner.run_crawls` to OUT/results.json.

COLLECT_FAIL_ONCE = {"key": item key, "hold": seconds}: the first process of the round (workers share
the Redis) that gets that item holds it `hold` seconds, then drops it uncommitted, as a scan that
failed would; the drop is written to OUT/dropped.jsonl.
"""

import asyncio
import base64
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem


class CollectPipeline:
    """Writes every item to a JSON-lines file; with COLLECT_COMMIT, commits it as the scan pipeline would."""

    def __init__(self, path, commit: bool, crawler, fail_once=None):
        self.path = Path(path)
        self.commit = commit
        self.crawler = crawler
        self.fail_once = fail_once or {}
        self.state = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("COLLECT_PATH"), crawler.settings.getbool("COLLECT_COMMIT"), crawler,
                   crawler.settings.getdict("COLLECT_FAIL_ONCE"))

    def open_spider(self):
        self.file = self.path.open("a", encoding="utf-8")
        if self.commit or self.fail_once:
            from leakwatch.crawler.state import open_crawl_state

            self.state = open_crawl_state(self.crawler.settings, self.crawler.spider.source.name)

    def close_spider(self):
        self.file.close()

    async def process_item(self, item):
        data = ItemAdapter(item).asdict()
        if self.fail_once and data["key"] == self.fail_once["key"]:
            marker = f"{self.state.cursors_key}:test-failed:{data['key']}"
            if self.state.client.set(marker, os.getpid(), nx=True):  # this process is the first to get it
                await asyncio.sleep(float(self.fail_once.get("hold", 0)))  # other workers go on meanwhile
                with (self.path.parent / "dropped.jsonl").open("a") as dropped:
                    dropped.write(json.dumps({"key": data["key"], "t": time.time(), "pid": os.getpid()}) + "\n")
                raise DropItem(f"{data['key']}: made to fail by the test")
        body = data.pop("body")
        stream = data.pop("stream", None)
        if stream is not None:  # a file received in pieces (a leak site's large file)
            stream.seek(0)
            body = stream.read()
            stream.close()
        data["body_b64"] = base64.b64encode(body).decode()
        data["sha256"] = hashlib.sha256(body).hexdigest()
        self.file.write(json.dumps(data) + "\n")
        self.file.flush()
        if self.commit:
            self.state.commit(data["key"], f"s-{data['sha256'][:12]}")
        return item


def source_yaml(name, kind, url, **extra) -> str:
    """One source entry of a sources file, direct route and no delay unless `extra` says otherwise."""
    fields = {"name": name, "kind": kind, "base_url": url, "route": "direct", "delay": 0, **extra}
    fields = {k: v for k, v in fields.items() if v is not None}  # None: leave the key out (its default)
    lines = [f"  - {k}: {json.dumps(v)}" if i == 0 else f"    {k}: {json.dumps(v)}"
             for i, (k, v) in enumerate(fields.items())]
    return "\n".join(lines) + "\n"


def sources_yaml(*entries) -> str:
    return "sources:\n" + "".join(entries)


def main(spec_path):
    spec = json.loads(Path(spec_path).read_text())
    out = Path(spec["out"])
    out.mkdir(parents=True, exist_ok=True)
    from leakwatch.crawl import scrapy_settings
    from leakwatch.crawler.runner import run_crawls
    from leakwatch.settings import Settings

    settings = {
        # As `leakwatch crawl` gives them, from this process's environment (the test's store).
        **scrapy_settings(Settings.load()),
        "LEAKWATCH_SOURCES": spec["sources_file"],
        "ITEM_PIPELINES": {"crawl_job.CollectPipeline": 300},
        "COLLECT_PATH": str(out / "items.jsonl"),
        "LOG_FILE": str(out / "crawl.log"),
        "LOG_LEVEL": "DEBUG",
        **spec.get("settings", {}),
    }
    results = run_crawls(spec["sources"], settings, install_signal_handlers=False)
    (out / "results.json").write_text(json.dumps({n: r.summary() for n, r in results.items()}, default=str))
    return 0 if all(r.ok for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
