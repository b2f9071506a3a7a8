"""What every source's spider shares: its source, its crawl state, its requests, its stats."""

import logging
import re
from urllib.parse import urlsplit

import scrapy
from scrapy import signals

from leakwatch.crawler.shared import LOCAL, StoreWait
from leakwatch.crawler.state import open_crawl_state

logger = logging.getLogger(__name__)

# Finish reasons after which the done record is pruned: the crawl read the listings (crawler.runner's OK_REASONS).
_DONE_REASONS = frozenset({"finished", "closespider_pagecount", "closespider_timeout"})

_BLOCK = frozenset("address article blockquote dd div dl dt fieldset figure footer form h1 h2 h3 h4 h5 h6 "
                   "header hr li main nav ol p pre section table tbody td tfoot th thead tr ul".split())


class SourceSpider(scrapy.Spider):
    """Base of the spiders by kind; `leakwatch.crawler.spiders.spider_class(source)` makes the one of a source."""

    source = None  # crawler.sources.Source, set on the class made for a source
    content_wait_ms = 15000  # how long a browser page may take to show its content selector

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.state = open_crawl_state(crawler.settings, cls.source.name)
        # The spider's reads of the crawl state wait out a Redis restart (crawler.shared.store_wait).
        spider.state.client = StoreWait.of(crawler).wrap(spider.state.client)
        crawler.signals.connect(spider._on_item_left, signal=signals.item_scraped)
        crawler.signals.connect(spider._on_item_left, signal=signals.item_dropped)
        crawler.signals.connect(spider._on_closed, signal=signals.spider_closed)
        return spider

    @property
    def options(self):
        return self.source.options

    # --- the round (crawler.shared): who seeds, who joins ---------------------------------------

    async def start(self):
        scheduler = self.crawler.engine.scheduler
        # Scrapy's own scheduler has no rounds: this process is the whole crawl, and seeds it.
        how = getattr(scheduler, "how", "seed")
        if how == "none":
            logger.info("source %s: no round in progress to join; nothing to do", self.source.name)
            return
        async for request in self.local_requests():
            yield request
        if how == "seed":
            async for request in self.seed_requests():
                yield request
            seeded = getattr(scheduler, "seeded", None)
            if seeded is not None:
                seeded()  # every start request is queued (the engine pushes each as it is yielded)

    async def local_requests(self):
        """Requests every worker sends for itself before it takes shared ones (a forum's login)."""
        return
        yield

    async def seed_requests(self):
        """The round's start requests, sent by the worker that opened the round."""
        return
        yield

    def ready_for_shared(self) -> bool:
        """Whether this worker may take requests from the shared queue now."""
        return True

    @property
    def shared_queue(self) -> bool:
        """Requests yielded now go to a queue other workers share (a `gated` scheduler)."""
        return bool(getattr(self.crawler.engine.scheduler, "gated", False))

    # --- requests -----------------------------------------------------------------------------

    def request(self, url, callback, *, browser=False, wait_for=None, meta=None, local=False, **kwargs):
        """A request of this source; `local`: sent by this worker itself, never through the shared queue."""
        meta = dict(meta or {})
        if local:
            meta[LOCAL] = True
        # All fixture sites share 127.0.0.1 and Scrapy keys slots on the host: slot on the source instead.
        meta["download_slot"] = self.source.name
        if browser:
            from scrapy_playwright.page import PageMethod  # only sources with a browser need it

            meta["playwright"] = True
            if wait_for:
                meta["playwright_page_methods"] = [
                    PageMethod("wait_for_selector", wait_for, state="attached", timeout=self.content_wait_ms)
                ]
        kwargs.setdefault("errback", self.on_error)
        return scrapy.Request(url, callback, meta=meta, **kwargs)

    def on_error(self, failure):
        request = getattr(failure, "request", None)
        self.inc("errors")
        logger.warning("source %s: %s failed: %s", self.source.name, getattr(request, "url", "?"),
                       failure.type.__name__ if failure.type else failure)

    # --- state --------------------------------------------------------------------------------

    def new_keys(self, keys: list) -> set:
        """`keys` were seen listed: the ones not committed yet; counts the others as skipped (and keeps
        them in the done record: matchers.registry.CrawlState.listed)."""
        fresh = set(self.state.listed(list(keys))) if keys else set()
        skipped = len(set(keys)) - len(fresh)
        if skipped:
            self.inc("skipped_done", skipped)
        return fresh

    def _on_item_left(self, item, spider):
        if spider is self:
            self.item_left(item)

    def item_left(self, item):
        """An item went through the pipelines, or was dropped by one (the scan pipeline commits it there)."""

    def _on_closed(self, spider, reason):
        if spider is not self:
            return
        try:
            if reason in _DONE_REASONS:
                self._forget_unlisted()
        finally:
            self.state.client.close()

    def _forget_unlisted(self):
        # After a crawl that read the listings: done items no listing has shown for the retention
        # window are forgotten, so the done record stays bounded (matchers.registry.CrawlState.prune).
        days = self.crawler.settings.getfloat("LEAKWATCH_DONE_RETENTION_DAYS", 30)
        try:
            forgotten = self.state.prune(days * 86400)
        except Exception as exc:  # the crawl's work is committed; the record is pruned next time
            logger.warning("source %s: done record not pruned (%s)", self.source.name, type(exc).__name__)
            return
        if forgotten:
            self.inc("done_forgotten", forgotten)
            logger.info("source %s: %d done item(s) no listing showed for %g days forgotten",
                        self.source.name, forgotten, days)

    # --- helpers ------------------------------------------------------------------------------

    def inc(self, key, count=1):
        self.crawler.stats.inc_value(f"leakwatch/{key}", count)

    def key_of(self, url: str, pattern: str) -> str | None:
        return pattern_key(url, pattern)

    def same_site(self, url: str) -> bool:
        a, b = urlsplit(url), urlsplit(self.source.base_url)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def pattern_key(value: str, pattern: str) -> str | None:
    """What a source's `*_pattern` takes out of `value`: group `key`, else the first group, else the
    whole match; None when it does not match."""
    match = re.search(pattern, value or "")
    if not match:
        return None
    return match.group("key") if "key" in match.re.groupindex else match.group(1 if match.re.groups else 0)


def first(selection, css: str) -> str | None:
    """First value of a CSS selector (with ::text or ::attr) under `selection`, stripped; None if absent."""
    if not css:
        return None
    value = selection.css(css).get()
    return value.strip() if value and value.strip() else None


def element_text(selector) -> str:
    """The text of an HTML element as a reader sees it: <br> and block ends are line breaks, the
    text of <pre>/<code> kept as is, scripts and styles left out."""
    parts = []

    def walk(element):
        tag = element.tag if isinstance(element.tag, str) else None
        if tag == "br":
            parts.append("\n")
        elif tag in _BLOCK and parts and not parts[-1].endswith("\n"):
            parts.append("\n")
        if tag is not None and tag not in ("script", "style") and element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if tag in _BLOCK and parts and not parts[-1].endswith("\n"):
            parts.append("\n")

    walk(selector.root)
    return "".join(parts).strip("\n")
