"""`leakwatch crawl`: one run of the chosen sources, for cron.

Each source is locked in Redis for the run (a second run of the same source exits at once);
all chosen sources crawl side by side in one Scrapy process; what each crawl committed is
safe whatever happens to the process. The outcome is one summary per source.
"""

import time
from dataclasses import asdict, dataclass

OK, FAILED, LOCKED = "ok", "failed", "locked"
# Close reasons of a crawl that did its job (a budget reached is the plan working).
GOOD_REASONS = {"finished", "closespider_timeout", "closespider_pagecount", "closespider_itemcount"}


@dataclass
class SourceOutcome:
    source: str
    status: str
    reason: str = ""
    pages: int = 0
    items: int = 0
    new_sightings: int = 0
    matches: int = 0
    errors: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def scrapy_settings(runtime, overrides: dict | None = None):
    """Scrapy settings for a crawl: the project's, plus leakwatch's resolved settings."""
    from scrapy.settings import Settings as ScrapySettings

    settings = ScrapySettings()
    settings.setmodule("crawler.settings", priority="project")
    values = runtime.settings.as_dict()
    values["redis_url"] = runtime.redis_url
    settings.set("LEAKWATCH_SETTINGS", values, priority="cmdline")
    settings.set("LEAKWATCH_REDIS_URL", runtime.redis_url, priority="cmdline")
    settings.set("LEAKWATCH_NAMESPACE", runtime.settings.namespace, priority="cmdline")
    settings.set("LEAKWATCH_SOURCES", str(runtime.settings.sources_path), priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def outcome_from_stats(source: str, stats: dict, seconds: float) -> SourceOutcome:
    reason = str(stats.get("finish_reason", "not started"))
    errors = int(stats.get("log_count/ERROR", 0)) + int(stats.get("leakwatch/item_errors", 0))
    return SourceOutcome(
        source=source,
        status=OK if reason in GOOD_REASONS else FAILED,
        reason=reason,
        pages=int(stats.get("response_received_count", 0)),
        items=int(stats.get("leakwatch/items", 0)) + int(stats.get("leakwatch/items_already_done", 0)),
        new_sightings=int(stats.get("leakwatch/sightings", 0)),
        matches=int(stats.get("leakwatch/matches", 0)),
        errors=errors,
        seconds=round(seconds, 1),
    )


def run_crawl(runtime, sources: list, on_tick=None, overrides: dict | None = None, lock_ttl: int = 120) -> list:
    """Crawl `sources` (names) once; returns a SourceOutcome per source, locked ones included."""
    from scrapy.crawler import CrawlerProcess
    from twisted.internet import task

    from matchers.registry import SourceLock

    outcomes, locks = {}, {}
    for name in sources:
        lock = SourceLock(runtime.redis, name, runtime.settings.namespace, ttl=lock_ttl)
        if lock.acquire():
            locks[name] = lock
        else:
            outcomes[name] = SourceOutcome(name, LOCKED, reason=f"another run holds the lock ({lock.holder()})")
    if not locks:
        return [outcomes[name] for name in sources]
    process = CrawlerProcess(scrapy_settings(runtime, overrides), install_root_handler=False)
    crawlers = {}
    started = time.monotonic()
    for name in locks:
        crawler = process.create_crawler(name)
        crawlers[name] = crawler
        process.crawl(crawler)

    def tick():
        for name, lock in locks.items():
            if not lock.renew():
                # Lost the lock (Redis restarted, or it expired): stop rather than run twice.
                crawler = crawlers[name]
                if crawler.engine is not None and crawler.engine.running:
                    crawler.engine.close_spider(crawler.spider, "lock_lost")
        if on_tick:
            on_tick({name: c.stats.get_stats() for name, c in crawlers.items()})

    renewer = task.LoopingCall(tick)
    renewer.start(min(lock_ttl / 3, 0.5 if on_tick else lock_ttl / 3), now=False)
    try:
        process.start(stop_after_crawl=True, install_signal_handlers=True)
    finally:
        for lock in locks.values():
            lock.release()
    elapsed = time.monotonic() - started
    for name, crawler in crawlers.items():
        outcomes[name] = outcome_from_stats(name, crawler.stats.get_stats(), elapsed)
    runtime.sightings.purge(older_than=runtime.settings.retention_days * 86400)
    return [outcomes[name] for name in sources]
