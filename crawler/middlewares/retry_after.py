"""429 and 503 answers: wait as long as the site asks (Retry-After), then ask again.

The wait holds back the whole download slot (the source), not only the refused request: a site
that rate-limits a client answers 429 to whatever else it sends before the delay is over. Waiting
happens in `process_request` with `asyncio.sleep`, so other sources' requests go on meanwhile.
Without a Retry-After header the wait grows exponentially (base * 2**n); a site asking for longer
than the cap is not retried: waiting less than asked only earns another 429.
Each retried refusal sends `leakwatch.crawler.signals.source_blocked`, so the route can change identity.
"""

import asyncio
import logging
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from leakwatch.crawler.signals import source_blocked

logger = logging.getLogger(__name__)


def parse_retry_after(value, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP date; None if unreadable."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    def __init__(self, http_codes=(429, 503), max_retries: int = 5, base_delay: float = 1.0,
                 max_delay: float = 300.0, stats=None, signals=None):
        self.http_codes = frozenset(http_codes)
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.stats = stats
        self.signals = signals
        self._not_before: dict[str, float] = {}  # download slot -> monotonic time it may send again

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(
            http_codes=[int(c) for c in s.getlist("RETRYAFTER_HTTP_CODES", [429, 503])],
            max_retries=s.getint("RETRYAFTER_MAX_TIMES", 5),
            base_delay=s.getfloat("RETRYAFTER_BASE_DELAY", 1.0),
            max_delay=s.getfloat("RETRYAFTER_MAX_DELAY", 300.0),
            stats=crawler.stats,
            signals=crawler.signals,
        )

    @staticmethod
    def _slot(request) -> str:
        return request.meta.get("download_slot") or urlsplit(request.url).hostname or ""

    async def process_request(self, request):
        wait = self._not_before.get(self._slot(request), 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        return None

    async def process_response(self, request, response):
        if response.status not in self.http_codes or request.meta.get("dont_retry"):
            return response
        tries = request.meta.get("retry_after_times", 0) + 1
        asked = parse_retry_after(response.headers.get(b"Retry-After"))
        wait = asked if asked is not None else self.base_delay * 2 ** (tries - 1)
        if tries > self.max_retries or wait > self.max_delay:
            logger.warning("gave up on %s after %d answer(s) %d (asked to wait %s s)",
                           request.url, tries, response.status, asked)
            self._inc("retry_after/gave_up")
            return response
        # Backoff grows even when the site names a delay: a site that keeps refusing after the
        # delay it asked for is not served by asking again at the same pace.
        if asked is not None and tries > 1:
            wait = min(self.max_delay, max(wait, self.base_delay * 2 ** (tries - 2)))
        slot = self._slot(request)
        self._not_before[slot] = max(self._not_before.get(slot, 0.0), time.monotonic() + wait)
        if self.signals is not None:
            # Before the retry leaves: the route may give the source a new identity (Tor: new circuits).
            self.signals.send_catch_log(source_blocked, request=request, response=response)
        self._inc("retry_after/count")
        self._inc(f"retry_after/{response.status}")
        logger.info("%d on %s: waiting %.1f s before retry %d", response.status, request.url, wait, tries)
        await asyncio.sleep(wait)
        meta = {k: v for k, v in request.meta.items() if k != "download_latency"}
        retry = request.replace(dont_filter=True, priority=request.priority + 1, meta=meta)
        retry.meta["retry_after_times"] = tries
        return retry

    def _inc(self, key):
        if self.stats is not None:
            self.stats.inc_value(key)
