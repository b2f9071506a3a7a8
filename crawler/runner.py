"""Crawl sources in this process: what `leakwatch crawl` calls.

    from leakwatch.crawler.runner import run_crawls
    results = run_crawls(sources, {"LEAKWATCH_REDIS_URL": url, "LEAKWATCH_NAMESPACE": ns})
    for name, result in results.items():
        print(name, result.reason, result.pages, result.items, result.ok)

All sources crawl at the same time, one Scrapy crawler each (each with its own politeness and
budgets), in one event loop started and stopped by `run_crawls`. Twisted's reactor cannot start
twice in one process: call `run_crawls` once per process (the CLI runs once and exits; tests run
it in a subprocess). Requests go through each source's shared queue in Redis (crawler.shared), so
`run_crawls` in several processes, here or on other machines, crawls the same sources together.
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import partial

from scrapy.settings import Settings

from leakwatch.crawler.sources import Source, load_sources
from leakwatch.crawler.spiders import spider_class

# Finish reasons of a crawl that did its job: the whole site, or as much as the run's budget allowed.
OK_REASONS = frozenset({"finished", "closespider_pagecount", "closespider_timeout"})


@dataclass
class CrawlResult:
    source: str
    reason: str | None = None  # Scrapy's finish_reason (tor_unavailable, login_failed, ...), or "error"
    stats: dict = field(default_factory=dict)  # Scrapy's stats of the crawl, leakwatch/* keys included
    error: str | None = None  # why the crawl could not start (e.g. Redis unreachable)

    @property
    def ok(self) -> bool:
        return self.error is None and self.reason in OK_REASONS and not self.stats.get("leakwatch/failure")

    @property
    def pages(self) -> int:
        return int(self.stats.get("response_received_count", 0))

    @property
    def items(self) -> int:
        return int(self.stats.get("item_scraped_count", 0))

    @property
    def errors(self) -> int:
        return int(self.stats.get("log_count/ERROR", 0)) + int(self.stats.get("leakwatch/errors", 0))

    def summary(self) -> dict:
        """JSON-ready: reason, pages, items, errors and every stat (datetimes as ISO strings)."""
        stats = {k: v.isoformat() if isinstance(v, (dt.datetime, dt.date)) else v for k, v in self.stats.items()}
        return {"source": self.source, "ok": self.ok, "reason": self.reason, "error": self.error,
                "pages": self.pages, "items": self.items, "errors": self.errors, "stats": stats}


def crawl_settings(overrides: dict | None = None) -> Settings:
    """crawler/settings.py with `overrides` on top (priority `cmdline`, above the sources' own)."""
    settings = Settings()
    settings.setmodule("leakwatch.crawler.settings", priority="project")
    # Spiders are made from the sources given, not looked up by name in a sources file.
    settings.set("SPIDER_LOADER_CLASS", "scrapy.spiderloader.DummySpiderLoader", priority="project")
    settings.update(overrides or {}, priority="cmdline")
    return settings


def resolve_sources(sources, settings: Settings) -> list[Source]:
    """`Source` objects as given; names are looked up in the sources file (LEAKWATCH_SOURCES)."""
    named = [s for s in sources if isinstance(s, str)]
    known = {s.name: s for s in load_sources(settings.get("LEAKWATCH_SOURCES"))} if named else {}
    resolved = []
    for source in sources:
        if isinstance(source, str):
            if source not in known:
                raise KeyError(f"no source named {source!r} in {settings.get('LEAKWATCH_SOURCES')}")
            source = known[source]
        resolved.append(source)
    return resolved


def run_crawls(sources, overrides: dict | None = None, *, install_signal_handlers: bool = True,
               observe=None) -> dict[str, CrawlResult]:
    """Crawl `sources` (Source objects or names) at once; block until all end; results by source name.

    `observe(source, crawler)`, if given, is called for each crawler before the crawl starts: the
    place to connect Scrapy signals (item_scraped, response_received) to a progress display.
    """
    from scrapy.crawler import AsyncCrawlerProcess  # installs the asyncio reactor: import when crawling

    settings = crawl_settings(overrides)
    sources = resolve_sources(sources, settings)
    process = AsyncCrawlerProcess(settings)  # logging: LOG_* settings (LOG_INSTALL_ROOT_HANDLER, LOG_FILE, ...)
    results, crawlers = {}, {}
    for source in sources:
        results[source.name] = CrawlResult(source.name)
        crawler = process.create_crawler(spider_class(source))
        crawlers[source.name] = crawler
        if observe is not None:
            observe(source, crawler)
        task = process.crawl(crawler)
        task.add_done_callback(partial(_record_error, results[source.name]))
    if crawlers:
        process.start(install_signal_handlers=install_signal_handlers)
    for name, crawler in crawlers.items():
        result = results[name]
        stats = crawler._stats  # noqa: SLF001 - None when the crawl failed to start; `.stats` would raise
        if stats is not None:
            result.stats = dict(stats.get_stats())
        result.reason = "error" if result.error else result.stats.get("finish_reason")
    return results


def _record_error(result: CrawlResult, task) -> None:
    if not task.cancelled() and task.exception() is not None:
        exc = task.exception()
        result.error = f"{type(exc).__name__}: {exc}"
