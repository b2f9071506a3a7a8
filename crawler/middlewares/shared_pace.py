"""A source's `delay` kept across every process that crawls it.

Scrapy's DOWNLOAD_DELAY paces one process; with N workers (`leakwatch crawl --workers N`, or
crawlers on other machines) a site would see N times the pace its source allows. Each request
of a source with a delay first reserves a time slot in Redis: one Lua script takes the later of
now (Redis's clock, the same for every machine) and the source's next free slot, moves the next
free slot `delay` further, and answers how long to wait. Slots are handed out in order, so
requests of all workers together are at least `delay` apart.

Key: {ns}:crawl:<source>:pace (the next free slot, in ms; expires when the source is idle).
Placed after the route middleware: a request refused by its route takes no slot. If Redis does
not answer, the request waits its own `delay` again rather than go out unpaced.
"""

import asyncio
import logging

import redis

from leakwatch.matchers.registry.names import meta_prefix

logger = logging.getLogger(__name__)

_RESERVE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local slot = math.max(t, tonumber(redis.call('GET', KEYS[1]) or '0'))
local delay = tonumber(ARGV[1])
redis.call('SET', KEYS[1], slot + delay, 'PX', delay * 2 + 60000)
return slot - t
"""


class SharedPaceMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self._opened = False
        self._reserve = None
        self._key = None
        self._delay_ms = 0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _open(self):
        from leakwatch.crawler.state import open_crawl_state

        self._opened = True
        source = self.crawler.spider.source
        self._delay_ms = int(round(float(source.delay or 0) * 1000))
        if self._delay_ms <= 0:
            return
        settings = self.crawler.settings
        client = open_crawl_state(settings, source.name).client
        namespace = settings.get("LEAKWATCH_NAMESPACE") or "lw"
        self._key = f"{meta_prefix(namespace)}:crawl:{source.name}:pace"
        self._reserve = client.register_script(_RESERVE)

    async def process_request(self, request):
        if not self._opened:
            self._open()
        if self._delay_ms <= 0:
            return None
        try:
            wait_ms = int(self._reserve(keys=[self._key], args=[self._delay_ms]))
        except redis.RedisError as exc:
            logger.warning("source pace: Redis does not answer (%s); waiting the source's own delay", type(exc).__name__)
            wait_ms = self._delay_ms
        if wait_ms > 0:
            self.crawler.stats.inc_value("leakwatch/shared_pace/waits")
            await asyncio.sleep(wait_ms / 1000)
        return None
