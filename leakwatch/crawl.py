"""`leakwatch crawl`: one run of the chosen sources, for cron.

Each source is locked in Redis for the run (a second run of the same source exits at once);
the sources crawl side by side in one Scrapy process (crawler.runner); what each crawl
committed is safe whatever happens to the process. The outcome is one summary per source.
"""

from dataclasses import asdict, dataclass

OK, FAILED, LOCKED = "ok", "failed", "locked"


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


def tor_settings(settings) -> dict:
    """The Tor route's Scrapy settings from leakwatch's (empty values: no Tor configured)."""
    return {
        "LEAKWATCH_TOR_CONTROL": settings.tor_control,
        "LEAKWATCH_TOR_COOKIE": settings.tor_cookie,
        "LEAKWATCH_TOR_PASSWORD": settings.tor_password,
        "LEAKWATCH_TOR_HTTP_TUNNEL": settings.tor_http_tunnel,
        "LEAKWATCH_TOR_SOCKS": settings.tor_socks,
    }


def launch_own_tor(runtime):
    """leakwatch's own tor (stem's launcher, a data directory under home), bootstrapped or not.

    Returns (controller, Scrapy settings). A tor that cannot bootstrap (no network) is still
    returned: the Tor route checks bootstrap before each request and fails closed.
    """
    from .tor import TorController, TorUnavailable

    tor = TorController.launch(runtime.settings.home_path / "tor")
    try:
        tor.wait_bootstrapped(runtime.settings.tor_bootstrap_seconds)
    except TorUnavailable:
        pass
    cookie = runtime.settings.home_path / "tor" / "control_auth_cookie"
    return tor, {
        "LEAKWATCH_TOR_CONTROL": f"127.0.0.1:{tor.controller.get_socket().port}",
        "LEAKWATCH_TOR_COOKIE": str(cookie),
        "LEAKWATCH_TOR_PASSWORD": "",
        "LEAKWATCH_TOR_HTTP_TUNNEL": f"127.0.0.1:{tor.http_tunnel_port}",
        "LEAKWATCH_TOR_SOCKS": f"127.0.0.1:{tor.socks_port}",
    }


def crawl_overrides(runtime, extra: dict | None = None) -> dict:
    """Scrapy settings from leakwatch's resolved settings (flag > env > file > default)."""
    values = runtime.settings.as_dict()
    values["redis_url"] = runtime.redis_url
    overrides = {
        "LEAKWATCH_SETTINGS": values,
        "LEAKWATCH_REDIS_URL": runtime.redis_url,
        "LEAKWATCH_NAMESPACE": runtime.settings.namespace,
        "LEAKWATCH_HOME": str(runtime.settings.home_path),
        "LEAKWATCH_SOURCES": str(runtime.settings.sources_path),
        "LOG_LEVEL": runtime.settings.log_level,
        **tor_settings(runtime.settings),
    }
    overrides.update(extra or {})
    return overrides


def _outcome(result, seconds: float) -> SourceOutcome:
    stats = result.stats
    return SourceOutcome(
        source=result.source,
        status=OK if result.ok else FAILED,
        reason=result.error or str(result.reason or ""),
        pages=result.pages,
        items=int(stats.get("leakwatch/items", 0)),
        new_sightings=int(stats.get("leakwatch/sightings", 0)),
        matches=int(stats.get("leakwatch/matches", 0)),
        errors=result.errors + int(stats.get("leakwatch/item_errors", 0)),
        seconds=round(seconds, 1),
    )


def run_crawl(runtime, sources: list, on_tick=None, extra_settings: dict | None = None, lock_ttl: int = 60) -> list:
    """Crawl `sources` (names) once; a SourceOutcome per source, locked ones included."""
    import time

    from crawler.runner import run_crawls
    from matchers.registry import SourceLock

    outcomes, locks = {}, {}
    for name in sources:
        lock = SourceLock(runtime.redis, name, runtime.settings.namespace, ttl=lock_ttl)
        if lock.acquire():
            locks[name] = lock
        else:
            outcomes[name] = SourceOutcome(name, LOCKED, reason=f"another run holds the lock ({lock.holder()})")
    own_tor = None
    if locks and not runtime.settings.tor_control and _routes_of(runtime, locks) & {"tor"}:
        try:
            own_tor, tor_overrides = launch_own_tor(runtime)
            extra_settings = {**(extra_settings or {}), **tor_overrides}
        except Exception as exc:  # tor missing or would not start: the Tor route fails closed on its own
            import logging

            logging.getLogger(__name__).error("could not launch leakwatch's own tor: %s", exc)
    if locks:
        crawlers = {}

        def observe(source, crawler):
            crawlers[source.name] = crawler
            if len(crawlers) == 1:
                from twisted.internet import task

                # Renew the locks while the crawl runs; show progress on a terminal.
                loop = task.LoopingCall(_tick, locks, crawlers, on_tick)
                loop.start(0.5 if on_tick else lock_ttl / 3, now=False)

        started = time.monotonic()
        try:
            results = run_crawls(list(locks), crawl_overrides(runtime, extra_settings), observe=observe)
        finally:
            for lock in locks.values():
                lock.release()
            if own_tor is not None:
                own_tor.close()
        elapsed = time.monotonic() - started
        for name, result in results.items():
            outcomes[name] = _outcome(result, elapsed)
    runtime.sightings.purge(older_than=runtime.settings.retention_days * 86400)
    return [outcomes[name] for name in sources]


def _routes_of(runtime, names) -> set:
    from crawler.sources import load_sources

    return {s.route for s in load_sources(runtime.settings.sources_path) if s.name in names}


def _tick(locks, crawlers, on_tick) -> None:
    for name, lock in locks.items():
        if not lock.renew():
            # The lock was lost (it expired, or Redis restarted empty): stop rather than
            # risk a second crawler on the same source.
            crawler = crawlers.get(name)
            if crawler is not None and crawler.engine is not None and crawler.spider is not None:
                crawler.engine.close_spider(crawler.spider, "lock_lost")
    if on_tick:
        on_tick({name: dict(c.stats.get_stats()) for name, c in crawlers.items() if c.stats is not None})
