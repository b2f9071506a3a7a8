"""Crawled items through the one scan path, committed with their sighting.

A thin adapter: the item's bytes go to the same DumpScanner as `leakwatch scan`; the
sighting, its matches (into the match queue) and the "item done" mark are written in one
Redis transaction, so a crawl killed at any moment neither loses a committed item nor
matches one twice. When Redis goes away mid-item, the item is taken again from the start once
it is back ("is it done?" first: a commit whose reply was lost is not made twice).
"""

import logging
import threading
from dataclasses import dataclass

from scrapy.exceptions import DropItem
from twisted.internet.threads import deferToThread

from leakwatch.crawler.setup_error import CrawlSetupError
from leakwatch.crawler.shared.store_wait import TRANSIENT
from leakwatch.matchers.errors import LeakwatchError

logger = logging.getLogger(__name__)


class ScanFailed(LeakwatchError):
    """Scanning an item failed in a way no input should cause; says nothing of its content."""


@dataclass(frozen=True)
class ScanComponents:
    """What the scan pipeline scans with (a DumpScanner) and commits to (a Redis client, a namespace)."""

    scanner: object
    redis: object
    namespace: str

    def __deepcopy__(self, memo):
        # Scrapy copies its settings for each crawler: the scanner and the store are shared, not copied.
        return self


class ScanPipeline:
    """Scans each item with `scanner` (a DumpScanner) and commits it to `redis` under `namespace`:
    plain values, built by whoever starts the crawl from leakwatch's one settings object."""

    def __init__(self, scanner, redis, namespace: str, store_wait=None):
        from leakwatch.crawler.shared import StoreWait

        self.scanner = scanner
        self.redis = redis
        self.namespace = namespace
        self.store_wait = store_wait or StoreWait()
        # Scanning is CPU work: off the reactor thread, one item at a time (the tokenizer's
        # cache and the index are not shared between threads).
        self._lock = threading.Lock()
        self._warned_unregistered = False

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy.utils.misc import load_object

        from leakwatch.crawler.shared import StoreWait

        components = crawler.settings.get("LEAKWATCH_SCAN_COMPONENTS")
        if components is None:
            factory = crawler.settings.get("LEAKWATCH_SCAN_COMPONENTS_FACTORY")
            if not factory:
                raise CrawlSetupError("the crawl has no scanner: start it with `leakwatch crawl`, or give "
                                      "LEAKWATCH_SCAN_COMPONENTS (or LEAKWATCH_SCAN_COMPONENTS_FACTORY)")
            components = load_object(factory)(crawler.settings.getdict("LEAKWATCH_SETTINGS"))
        if not isinstance(components, ScanComponents):
            raise CrawlSetupError(f"LEAKWATCH_SCAN_COMPONENTS must be a ScanComponents, not {type(components).__name__}")
        pipeline = cls(components.scanner, components.redis, components.namespace, StoreWait.of(crawler))
        pipeline.stats = crawler.stats
        return pipeline

    def open_spider(self, spider=None):
        # Fail at start, not on the first item: no store means no crawl.
        self.redis.ping()

    async def process_item(self, item, spider=None):
        from scrapy.utils.defer import maybe_deferred_to_future

        return await maybe_deferred_to_future(deferToThread(self._scan, dict(item)))

    def _scan(self, item):
        try:
            return self.store_wait.call(self._scan_once, item)
        finally:
            if item.get("stream") is not None:
                item["stream"].close()  # an anonymous temporary file: closing it frees its disk space

    def _check_registry(self):
        """Warn, once a crawl and again after the registry comes back, when nothing is registered.

        Every item would then read "nothing found" and be marked done, which looks like a quiet
        day. Items are still scanned and recorded as sightings: they were seen, and their reposts
        link to them. Asked before each item (one round trip; the scan's own look then finds the
        index unchanged), since a store restarted empty in the middle of a crawl counts too.
        """
        if self.scanner.index_cache.get().registered:
            self._warned_unregistered = False
            return
        self.stats.inc_value("leakwatch/items_unmatched")
        if not self._warned_unregistered:
            self._warned_unregistered = True
            logger.warning("no dataset is registered (none yet, or the store was emptied): crawled items are "
                           "recorded as sightings but matched against nothing; register datasets (leakwatch register)")

    def _scan_once(self, item):
        from leakwatch.matchers.registry import CrawlState

        state = CrawlState(self.redis, item["source"], self.namespace)
        key = item["key"]
        with self._lock:
            if state.done(key):
                self.stats.inc_value("leakwatch/items_already_done")
                raise DropItem(f"{item['source']}:{key} was committed by an earlier run")
            body = item.get("body") or b""
            stream = item.get("stream")
            label = item.get("filename") or item.get("url") or key
            try:
                self._check_registry()
                sighting = dict(name=label, url=item.get("url"), source=item["source"], title=item.get("title"),
                                author=item.get("author"), posted_at=item.get("posted_at"), commit=(state, key))
                if stream is not None:
                    stream.seek(0)  # from the start again when the store went away mid-item
                    report = self.scanner.scan_stream(stream, **sighting)
                else:
                    report = self.scanner.scan_bytes(body, **sighting)
            except TRANSIENT:
                raise  # the store went away: StoreWait takes the item again once it is back
            except Exception as exc:  # noqa: BLE001 - a bug: the item stays not done, for a later run
                self.stats.inc_value("leakwatch/item_failures")
                # Only the exception's type: its message could quote the dump. `from None` keeps
                # the original (and its message) out of the logged traceback.
                raise ScanFailed(f"{item['source']}:{key}: {type(exc).__name__} while scanning; "
                                 "not committed, a later run takes it again") from None
        self.stats.inc_value("leakwatch/items")
        self.stats.inc_value("leakwatch/sightings")
        self.stats.inc_value("leakwatch/bytes", stream.tell() if stream is not None else len(body))
        if report.errors:
            self.stats.inc_value("leakwatch/item_errors")
            for error in report.errors:
                # The message names the item and the reason, never content.
                logger.warning("%s %s: %s", item["source"], item.get("url"), error)
        if report.matches:
            self.stats.inc_value("leakwatch/matches", len(report.matches))
            self.stats.inc_value("leakwatch/matched_records", sum(m["records"] for m in report.matches))
            for match in report.matches:
                logger.warning("%s %s: %d records of %s/%s%s", item["source"], item.get("url"), match["records"],
                               match["institution"], match["dataset"],
                               f", {match['canaries']} canaries" if match["canaries"] else "")
        summary = {k: v for k, v in item.items() if k not in ("body", "stream")}
        summary.update(sighting=report.sighting_id, rows=report.rows, matches=report.matches,
                       error="; ".join(report.errors) or None)
        return summary
