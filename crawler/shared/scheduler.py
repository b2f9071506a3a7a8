"""Scrapy scheduler of leakwatch: one request queue and one seen-set per source, shared in Redis by
every worker that crawls the source (scrapy-redis's Scheduler, with leased pops and rounds).

    SCHEDULER = "leakwatch.crawler.shared.scheduler.SharedScheduler"

- A request is pushed to the source's queue unless the round's seen-set has it (crawler.shared.
  lease_queue.PUSH: check and push in one step); any worker pops it, under a lease.
- A lease is acknowledged once the engine is done with its request: the response or the error went
  through the callback, the items it gave left the pipelines (committed, for the scan pipeline),
  the requests it led to were pushed. Until then the worker renews it; a worker killed meanwhile
  leaves it to expire back into the queue (LEAKWATCH_LEASE_SECONDS).
- A worker holds at most `max_held` leases (LEAKWATCH_QUEUE_MAX_HELD; default twice the source's
  concurrency): Scrapy would otherwise keep taking requests while their responses wait for the scan
  pipeline (one item at a time), hoarding work other workers could do and that a killed worker
  would leave to be fetched again.
- Leases of a worker of this machine whose process is gone (killed with SIGKILL) are put back at
  once, at start and then with each renewal, as SourceLock does with a dead local holder's lock;
  those of other machines wait for their deadline.
- Requests marked `meta["lw_local"]` stay in this process (a forum's login: its session cookie
  lives in this worker's cookie jar) and are never leased.
- A spider with `ready_for_shared()` returning False (a forum worker logging in) gets no shared
  request until it is ready.
- The spider stays open while its round has work anywhere (queued, or leased by another worker that
  may still push requests or die), and closes with "finished" once the round has drained.

Why the engine's private `_slot` is read: Scrapy has no signal for "this request was handled to the
end"; the engine's `_slot.inprogress` holds exactly the requests it took from the scheduler and has
not finished (it removes one after its response's callback output and items were processed). A
lease is acknowledged when its request leaves that set. The worker also kicks `_slot.nextcall`
while it waits for work other workers may release, instead of Scrapy's 5 s heartbeat. `open`
fails loudly if a Scrapy version lacks them, rather than acknowledging too early or never.
"""

import logging
import os
import secrets
import socket
from collections import deque

from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from leakwatch.matchers.registry.lock import dead_local_process

from ..setup_error import CrawlSetupError

from .crawl_round import CrawlRound
from .lease_queue import LeaseQueue
from .store_wait import StoreWait

logger = logging.getLogger(__name__)

LOCAL = "lw_local"  # request meta: keep this request in this process (not shared, not leased)
REFUSED = "lw_refused"  # request meta, set by the route middleware: refused here, not handled


class SharedScheduler(Scheduler):
    def __init__(self, server, crawl_round: CrawlRound, *, role: str = "lead", proposed_round: str | None = None,
                 lease_seconds: float = 120.0, poll_seconds: float = 0.2, max_held: int = 16,
                 wait: StoreWait | None = None, crawler=None, stats=None):
        super().__init__(server, persist=True, queue_key=crawl_round.queue_key,
                         dupefilter=RFPDupeFilter(server, key=crawl_round.seen_key),
                         dupefilter_key=crawl_round.seen_key)
        if role not in ("lead", "join"):
            raise CrawlSetupError(f"role must be 'lead' or 'join', not {role!r} (Scrapy setting LEAKWATCH_CRAWL_ROLES)")
        self.round = crawl_round
        self.role = role
        self.proposed_round = proposed_round
        self.lease_ms = int(lease_seconds * 1000)
        self.poll_seconds = poll_seconds
        if max_held < 1:
            raise CrawlSetupError("max_held must be 1 or more (Scrapy setting LEAKWATCH_QUEUE_MAX_HELD)")
        self.max_held = max_held
        self.wait = wait or StoreWait()
        self.crawler = crawler
        self.stats = stats
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.how = None  # 'seed' | 'join' | 'none', once open
        self._local = deque()
        self._held = {}  # lease token -> Request (None: the seed lease)
        self._count = 0
        self._waiting = False
        self._round_over = False
        self._loop = None
        self._since_renew = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        from leakwatch.crawler.state import open_crawl_state

        settings, spider = crawler.settings, crawler.spider
        state = getattr(spider, "state", None) or open_crawl_state(settings, spider.name)
        server = getattr(state.client, "client", state.client)  # the client itself, not a retrying wrapper
        wait = StoreWait.of(crawler)
        wait.stats = crawler.stats
        crawl_round = CrawlRound(server, spider.name, settings.get("LEAKWATCH_NAMESPACE") or "lw", wait=wait)
        return cls(server, crawl_round, role=settings.getdict("LEAKWATCH_CRAWL_ROLES").get(spider.name, "lead"),
                   proposed_round=settings.getdict("LEAKWATCH_CRAWL_ROUNDS").get(spider.name),
                   lease_seconds=settings.getfloat("LEAKWATCH_LEASE_SECONDS", 120.0),
                   poll_seconds=settings.getfloat("LEAKWATCH_QUEUE_POLL_SECONDS", 0.2),
                   max_held=settings.getint("LEAKWATCH_QUEUE_MAX_HELD")
                   or 2 * max(1, settings.getint("CONCURRENT_REQUESTS", 8)),
                   wait=wait, crawler=crawler, stats=crawler.stats)

    # --- what spiders ask -----------------------------------------------------------------------

    gated = True  # `ready_for_shared()` is honoured: a spider may hold back shared requests

    def seeded(self) -> None:
        """The spider's start requests are all queued: the round no longer needs the seed lease."""
        token = self.round.seed_token(self.worker)
        if token in self._held:
            del self._held[token]
            self.queue.ack([token])

    # --- Scrapy's scheduler interface -------------------------------------------------------------

    def open(self, spider):
        self.spider = spider
        slot = getattr(self.crawler.engine, "_slot", None) if self.crawler else None
        if slot is None or not hasattr(slot, "inprogress") or not hasattr(slot, "nextcall"):
            raise RuntimeError("this Scrapy's engine has no _slot.inprogress/_slot.nextcall: the shared queue "
                               "could not tell when a request was handled (crawler.shared.scheduler)")
        self._slot = slot
        self.queue = LeaseQueue(self.server, spider, self.queue_key, self.serializer,
                                leases_key=self.round.leases_key, leased_key=self.round.leased_key,
                                seen_key=self.round.seen_key, lease_ms=self.lease_ms, wait=self.wait)
        self.how = self.round.open(self.role, self.worker, self.proposed_round, seed_ms=self.lease_ms)
        if self.how == "seed":
            self._held[self.round.seed_token(self.worker)] = None
        self._reclaim_dead_local()
        self.wait.on_give_up = self._store_given_up
        self._set_stat("leakwatch/shared/round", self.how)
        self._set_stat("leakwatch/shared/round_id", self.round.id or "")
        logger.info("source %s: %s round %s as worker %s", spider.name,
                    {"seed": "opened", "join": "joined", "none": "no"}[self.how], self.round.id or "", self.worker)
        from twisted.internet import task

        self._loop = task.LoopingCall(self._tick)
        self._loop.start(self.poll_seconds, now=False)

    def close(self, reason):
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.how is None or self.wait.gave_up:
            return  # leases left to expire: whatever this worker held is fetched again
        self._ack_finished()
        # Requests taken and not handled (none after a normal close: the engine waits for them)
        # go back to the queue now rather than after their lease; the seed lease just goes.
        left = [t for t in self._held if self._held[t] is not None]
        if left:
            self.queue.release(left)
            self._inc("leakwatch/shared/released", len(left))
        seed = [t for t in self._held if self._held[t] is None]
        if seed:
            self.queue.ack(seed)
        self._held.clear()

    def enqueue_request(self, request) -> bool:
        if request.meta.get(LOCAL):
            self._local.append(request)
            return True
        if self.how == "none":
            # No round to push into: a request here would be work nobody is assigned to.
            logger.debug("source %s: no round; not queueing %s", self.spider.name, request)
            return False
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        if not self.queue.push(request, fingerprint):
            self.df.log(request, self.spider)
            return False
        self._inc("scheduler/enqueued/redis")
        return True

    def next_request(self):
        if self.wait.gave_up:
            return None
        self._ack_finished()
        if self._local:
            return self._local.popleft()
        if self.how == "none" or self._round_over or not self._ready() or len(self._held) >= self.max_held:
            self._waiting = not self._round_over and self.how != "none"
            return None
        self._count += 1
        token = f"{self.worker}:{self._count}"
        request, requeued = self.queue.pop(token)
        if requeued:
            self._inc("leakwatch/shared/requeued", requeued)
        if request is None:
            self._waiting = True
            return None
        self._waiting = False
        self._held[token] = request
        self._inc("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self._local:
            return True
        if self.how == "none" or self._round_over or self.wait.gave_up:
            return False
        self._ack_finished()
        queued, leased, state, requeued = self.round.status()
        if requeued:
            self._inc("leakwatch/shared/requeued", requeued)
        if state != "open":
            self._round_over = True
            if state == "drained":
                self._set_stat("leakwatch/shared/closed_round", True)
            return False
        return True

    def __len__(self):
        return len(self._local) + (len(self.queue) if self.how not in (None, "none") else 0)

    # --- leases ---------------------------------------------------------------------------------

    def _ready(self) -> bool:
        ready = getattr(self.spider, "ready_for_shared", None)
        return ready() if ready is not None else True

    def _ack_finished(self) -> None:
        if self.wait.gave_up:
            # An item whose commit failed for want of Redis must not be acknowledged as handled.
            return
        inprogress = self._slot.inprogress
        done = [t for t, r in self._held.items() if r is not None and r not in inprogress]
        if not done:
            return
        requests = [self._held.pop(token) for token in done]
        # Refused by the route (Tor down on this machine): back to the queue for a worker that can
        # send it, not acknowledged as if it had been fetched.
        refused = [t for t, r in zip(done, requests) if r.meta.get(REFUSED)]
        handled = [t for t, r in zip(done, requests) if not r.meta.get(REFUSED)]
        if handled:
            self.queue.ack(handled)
            self._inc("leakwatch/shared/acked", len(handled))
        if refused:
            self.queue.release(refused)
            self._inc("leakwatch/shared/released", len(refused))

    def _store_given_up(self) -> None:
        """Redis stayed away longer than crawl_store_wait_seconds: stop this worker, acknowledging
        nothing more (its leases expire and its requests are fetched again, by it or another)."""
        from scrapy.utils.defer import deferred_from_coro
        from twisted.internet import reactor

        if self.stats is not None:
            self.stats.set_value("leakwatch/failure", "store_unavailable")

        def stop():
            engine = self.crawler.engine
            if engine is not None and engine.spider is not None:
                deferred_from_coro(engine.close_spider_async(reason="store_unavailable"))

        reactor.callFromThread(stop)

    def _tick(self) -> None:
        try:
            self._ack_finished()
            self._since_renew += self.poll_seconds
            if self._held and self._since_renew * 1000 >= self.lease_ms / 4:
                self._since_renew = 0.0
                lost = self.queue.renew(list(self._held))
                for token in lost:
                    # Expired before we renewed it (Redis was away longer than a lease): another
                    # worker may take it again; the item commit stays exactly-once (scan pipeline).
                    self._held.pop(token, None)
                    self._inc("leakwatch/shared/lease_lost")
                if lost:
                    logger.warning("source %s: %d lease(s) expired before renewal", self.spider.name, len(lost))
                self._reclaim_dead_local()
            if self._waiting:
                self._slot.nextcall.schedule()
        except Exception:  # a LoopingCall that raises stops for good: log and go on at the next tick
            logger.exception("source %s: shared queue upkeep failed", getattr(self.spider, "name", "?"))

    def _reclaim_dead_local(self) -> None:
        if self.how in (None, "none"):
            return
        tokens = [t.decode() for t in self.wait.call(self.server.zrange, self.round.leases_key, 0, -1)]
        dead = [t for t in tokens if _dead_local_worker(t)]
        if dead:
            released = self.queue.release(dead)
            self._inc("leakwatch/shared/reclaimed", released)
            logger.info("source %s: %d request(s) of a killed worker of this machine back in the queue",
                        self.spider.name, released)

    def _inc(self, key, count=1):
        if self.stats is not None:
            self.stats.inc_value(key, count)

    def _set_stat(self, key, value):
        if self.stats is not None:
            self.stats.set_value(key, value)


def _dead_local_worker(token: str) -> bool:
    """Whether a lease token ("[seed:]host:pid:...") names a process of this machine that is gone."""
    return dead_local_process(token.removeprefix("seed:"))
    return False
