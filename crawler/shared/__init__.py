"""Many crawler processes on one source: a shared request queue with leases, per-round seen-sets,
and waiting out Redis restarts (scrapy-redis underneath)."""

from .crawl_round import CrawlRound, new_round_id
from .lease_queue import LeaseQueue
from .scheduler import LOCAL, REFUSED, SharedScheduler
from .store_wait import StoreWait

__all__ = ["LOCAL", "REFUSED", "CrawlRound", "LeaseQueue", "SharedScheduler", "StoreWait", "new_round_id"]
