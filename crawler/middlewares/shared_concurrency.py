"""A source's `concurrency` kept across every process that crawls it.

Scrapy's CONCURRENT_REQUESTS holds one process; with N workers (`leakwatch crawl --workers N`, or
crawlers on other machines) a site would see N times the requests in flight its source allows. Each
request of a source first takes a slot of the source's semaphore in Redis, a sorted set of slot
holders scored by the deadline of their lease (Redis's clock): one Lua script drops the leases past
their deadline and takes a slot if fewer than `concurrency` are held; otherwise the request waits
and tries again. The slot is given back as soon as the request leaves the downloader (Scrapy's
`request_left_downloader`: response or error), before the other middlewares see the response (a
Retry-After wait or a redirect holds no slot), or when a middleware after this one drops it.

A worker renews the leases of the requests it has in its downloader, and gives back any other
slot it finds itself holding; a worker killed with SIGKILL holds its slots until their lease
ends (`crawl_lease_seconds`), or until a worker of the same machine sees its process is gone.

Key: {ns}:crawl:<source>:slots (zset: holder -> lease deadline in ms; expires when the source is idle).
Placed after the route middleware (a request refused by its route takes no slot) and before the
shared pace (the time slot a request reserves is the one it leaves at, not one spent waiting here).
"""

import asyncio
import logging
import os
import random
import secrets
import socket

import redis
from scrapy import signals

from leakwatch.matchers.registry.lock import dead_local_process
from leakwatch.matchers.registry.names import meta_prefix

logger = logging.getLogger(__name__)

SLOT = "lw_slot"  # request meta: the holder of the slot this request took

# KEYS slots; ARGV limit, lease ms, holder -> 1 taken, 0 all slots held
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
return 1
"""

# KEYS slots; ARGV lease ms, holders -> the holders whose lease had already ended
RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lost = {}
for i = 2, #ARGV do
  local deadline = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if deadline and tonumber(deadline) > now then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
  else
    redis.call('ZREM', KEYS[1], ARGV[i])
    table.insert(lost, ARGV[i])
  end
end
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[1]))
return lost
"""

POLL_SECONDS = 0.02  # between two tries for a slot: a slot given back is taken within a round trip or so
RECLAIM_EVERY = 50   # tries between two looks for slots of dead processes of this machine (about a second)


class SharedConcurrencyMiddleware:
    def __init__(self, crawler, lease_seconds: float = 120.0, poll_seconds: float = POLL_SECONDS):
        if lease_seconds < 1:
            raise ValueError("a slot lease under 1 s would end while its request downloads (crawl_lease_seconds)")
        self.crawler = crawler
        self.lease_ms = int(lease_seconds * 1000)
        self.poll_seconds = poll_seconds
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._opened = False
        self._limit = 0
        self._key = None
        self._client = None
        self._wait = None
        self._acquire = self._renew = None
        self._held = {}  # holder -> request
        self._count = 0
        self._loop = None

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls(crawler, lease_seconds=crawler.settings.getfloat("LEAKWATCH_LEASE_SECONDS", 120.0))
        crawler.signals.connect(mw.request_left_downloader, signal=signals.request_left_downloader)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def _open(self):
        from leakwatch.crawler.shared import StoreWait
        from leakwatch.crawler.state import open_crawl_state

        self._opened = True
        source = self.crawler.spider.source
        self._limit = int(source.concurrency or 0)
        if self._limit <= 0:
            return
        settings = self.crawler.settings
        self._client = open_crawl_state(settings, source.name).client
        self._wait = StoreWait.of(self.crawler)  # a Redis restart is waited out, as by the shared queue
        self._key = f"{meta_prefix(settings.get('LEAKWATCH_NAMESPACE') or 'lw')}:crawl:{source.name}:slots"
        self._acquire = self._client.register_script(ACQUIRE)
        self._renew = self._client.register_script(RENEW)
        from twisted.internet import task

        self._loop = task.LoopingCall(self._tick)
        self._loop.start(self.lease_ms / 4000, now=False)

    # --- taking and giving back -----------------------------------------------------------------

    async def process_request(self, request):
        if not self._opened:
            self._open()
        if self._limit <= 0:
            return None
        self._count += 1
        holder = f"{self.worker}:{self._count}"
        tries = 0
        while not self._wait.call(self._acquire, keys=[self._key], args=[self._limit, self.lease_ms, holder]):
            tries += 1
            if tries == 1:
                self.crawler.stats.inc_value("leakwatch/shared_concurrency/waits")
            if tries % RECLAIM_EVERY == 0:
                self._reclaim_dead_local()
            # A little jitter: workers that wait for the same slot do not all ask at the same instant.
            await asyncio.sleep(self.poll_seconds * (0.5 + random.random()))
        request.meta[SLOT] = holder
        self._held[holder] = request
        return None

    def request_left_downloader(self, request, spider=None):
        self._release(request)

    def process_response(self, request, response):
        # A response a later middleware gave without a download (the request never reached the downloader).
        self._release(request)
        return response

    def process_exception(self, request, exception):
        # A later middleware dropped the request, or the download failed.
        self._release(request)
        return None

    def _release(self, request) -> None:
        holder = request.meta.pop(SLOT, None)
        if holder is None or self._held.get(holder) is not request:
            return  # none taken, or a copy (a retry) of a request whose slot went back already
        del self._held[holder]
        self._give_back([holder])

    def _give_back(self, holders) -> None:
        try:
            # Waits out a Redis restart, as every Redis call of the crawl does: a slot not given back
            # would stay taken until its lease ended.
            self._wait.call(self._client.zrem, self._key, *holders)
        except Exception as exc:  # Redis given up on (the crawl stops): the lease ends on its own
            logger.warning("source slots: could not give %d back (%s)", len(holders), type(exc).__name__)

    # --- upkeep ---------------------------------------------------------------------------------

    def _tick(self) -> None:
        try:
            active = self.crawler.engine.downloader.active if self.crawler.engine else set()
            # A slot whose request is no longer in the downloader (a middleware after this one
            # replaced it by another request) goes back, instead of being renewed for ever.
            stray = [h for h, r in self._held.items() if r not in active]
            for holder in stray:
                del self._held[holder]
            if stray:
                self._give_back(stray)
            if not self._held:
                return
            lost = self._renew(keys=[self._key], args=[self.lease_ms, *self._held])
            for holder in lost:
                holder = holder.decode() if isinstance(holder, bytes) else holder
                self._held.pop(holder, None)
                self.crawler.stats.inc_value("leakwatch/shared_concurrency/lease_lost")
            if lost:
                logger.warning("source slots: %d lease(s) ended before renewal (Redis away longer than a lease)",
                               len(lost))
        except redis.RedisError as exc:  # a restart: the next tick renews, well within the lease
            logger.warning("source slots: leases not renewed (%s)", type(exc).__name__)
        except Exception:  # a LoopingCall that raises stops for good: log and go on at the next tick
            logger.exception("source slots: upkeep failed")

    def _reclaim_dead_local(self) -> None:
        holders = [h.decode() for h in self._wait.call(self._client.zrange, self._key, 0, -1)]
        dead = [h for h in holders if dead_local_process(h)]
        if dead:
            self._give_back(dead)
            self.crawler.stats.inc_value("leakwatch/shared_concurrency/reclaimed", len(dead))
            logger.info("source slots: %d slot(s) of a killed worker of this machine given back", len(dead))

    def spider_closed(self, spider=None):
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self._held:
            holders, self._held = list(self._held), {}
            self._give_back(holders)
