"""Requests for an item already committed are not sent (`meta["lw_item_key"]`).

A spider checks the done record when it makes a request, but a request can wait a long time after
that: in a source's shared queue, or leased by a worker killed after it committed the item and
before its lease was acknowledged (the lease then comes back to the queue). A leak site's file can
be gigabytes: asked once more here, just before it would leave, it is not downloaded twice.
"""

import logging

from scrapy.exceptions import IgnoreRequest

logger = logging.getLogger(__name__)

ITEM_KEY = "lw_item_key"  # request meta: the key of the item this request's response becomes


class DoneItemsMiddleware:
    def __init__(self, stats=None):
        self.stats = stats
        self.crawler = None

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler.stats)
        middleware.crawler = crawler
        return middleware

    def process_request(self, request):
        key = request.meta.get(ITEM_KEY)
        state = getattr(self.crawler.spider, "state", None) if self.crawler else None
        if key is None or state is None or not state.done(key):
            return None
        if self.stats is not None:
            self.stats.inc_value("leakwatch/skipped_done")
        raise IgnoreRequest(f"{request.url}: {key} was committed meanwhile; not fetched again")
