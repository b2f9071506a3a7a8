"""Waiting out an unreachable Redis instead of failing the crawl.

A Redis restart (or a cluster failover) takes seconds: every Redis call of a crawl goes through
`StoreWait.call`, which retries it with exponential backoff until Redis answers again, for at most
`max_seconds` (setting `crawl_store_wait_seconds`); then `StoreUnavailable`, and the source fails
(exit 2). Waiting blocks the caller: in Scrapy's reactor thread, the whole worker pauses, which is
what a crawl whose queue and state live in Redis has to do anyway.

Only calls that are safe to run again are retried this way: reads, idempotent writes, and the
shared queue's Lua scripts (crawler.shared.lease_queue says why each of them is). A MULTI that
failed mid-way is retried by its caller from the start (the scan pipeline: "is the item done?"
first), never replayed blindly.
"""

import logging
import time

import redis

from leakwatch.crawler.state import StoreUnavailable

logger = logging.getLogger(__name__)

# Errors after which the same call may succeed: the server is restarting, loading its AOF, or a
# cluster is electing a new master.
TRANSIENT = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, redis.exceptions.ClusterDownError,
             redis.exceptions.TryAgainError, redis.ReadOnlyError)


class StoreWait:
    """One per crawl (`StoreWait.of(crawler)`): once it has given up, every later call fails at once,
    and `on_give_up` (set by the shared scheduler) stops the crawl without acknowledging anything."""

    def __init__(self, max_seconds: float = 300.0, base_delay: float = 0.05, max_delay: float = 2.0, stats=None,
                 on_give_up=None):
        if max_seconds < 0:
            raise ValueError("max_seconds must be 0 or more (crawl_store_wait_seconds)")
        self.max_seconds = max_seconds
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.stats = stats
        self.on_give_up = on_give_up
        self.gave_up = False

    @classmethod
    def from_settings(cls, settings, stats=None) -> "StoreWait":
        return cls(max_seconds=settings.getfloat("LEAKWATCH_STORE_WAIT_SECONDS", 300.0), stats=stats)

    @classmethod
    def of(cls, crawler) -> "StoreWait":
        """The crawl's own: the spider, the scheduler and the scan pipeline share it."""
        wait = getattr(crawler, "_leakwatch_store_wait", None)
        if wait is None:
            wait = cls.from_settings(crawler.settings)
            crawler._leakwatch_store_wait = wait
        return wait

    def call(self, fn, *args, **kwargs):
        if self.gave_up:
            raise StoreUnavailable("Redis was given up on earlier in this crawl (crawl_store_wait_seconds)")
        started, delay, logged = None, self.base_delay, False
        while True:
            try:
                result = fn(*args, **kwargs)
            except TRANSIENT as exc:
                now = time.monotonic()
                started = started or now
                if now - started >= self.max_seconds:
                    self.gave_up = True
                    if self.on_give_up is not None:
                        self.on_give_up()
                    raise StoreUnavailable(f"Redis did not answer for {now - started:.0f} s ({type(exc).__name__}: "
                                           f"{exc}); giving up (crawl_store_wait_seconds)") from None
                if not logged:
                    logged = True
                    logger.warning("Redis unreachable (%s: %s); waiting for it", type(exc).__name__, exc)
                    if self.stats is not None:
                        self.stats.inc_value("leakwatch/store/waits")
                time.sleep(delay)
                delay = min(self.max_delay, delay * 2)
                continue
            if logged:
                logger.warning("Redis answers again after %.1f s; going on", time.monotonic() - started)
                if self.stats is not None:
                    self.stats.inc_value("leakwatch/store/waited_seconds", round(time.monotonic() - started, 1))
            return result

    def wrap(self, client) -> "RetryingClient":
        """`client` whose single commands wait out an outage (not its pipelines: see the module's doc)."""
        return RetryingClient(client, self)


class RetryingClient:
    """A Redis client whose commands go through `StoreWait.call`; `pipeline()` is the client's own."""

    _AS_IS = frozenset({"pipeline", "close", "register_script", "connection_pool", "get_retry", "set_retry"})

    def __init__(self, client, wait: StoreWait):
        self.client = client
        self.wait = wait

    def __getattr__(self, name):
        value = getattr(self.client, name)
        if name in self._AS_IS or name.startswith("_") or not callable(value):
            return value

        def command(*args, **kwargs):
            return self.wait.call(value, *args, **kwargs)

        return command
