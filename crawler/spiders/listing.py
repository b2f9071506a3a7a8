"""Sites that list their items on pages: listing page -> item page -> raw endpoint (or page text).

Pagination is followed until a listing page holds only items already committed (the listing is
newest first, so everything further back was taken by an earlier run) or the run's budget ends.
"""

import logging
from urllib.parse import quote

from leakwatch.crawler.items import DumpItem
from leakwatch.crawler.spiders.base import SourceSpider, element_text, first

logger = logging.getLogger(__name__)


class PasteListingSpider(SourceSpider):
    item_kind = "paste"  # what a raw endpoint gives
    page_kind = "paste"  # what the text of an item page gives, when there is no raw endpoint

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._queued: set[str] = set()  # keys requested in this run

    async def seed_requests(self):
        yield self.request(self.source.url(self.options["path"]), self.parse_listing)

    def parse_listing(self, response):
        o = self.options
        rows = []
        for link in response.css(o["item_links"]):
            href = link.attrib.get("href")
            if not href:
                continue
            url = response.urljoin(href)
            key = self.key_of(url, o["key_pattern"])
            if key is None:
                continue
            rows.append((key, url, " ".join(link.css("::text").getall()).strip() or None))
        self.inc("listing_pages")
        fresh = self.new_keys([key for key, _, _ in rows])
        for key, url, title in rows:
            if key in fresh and key not in self._queued:
                self._queued.add(key)
                yield self.item_request(key, url, title)
        if not rows:
            logger.info("source %s: listing %s lists no items; stopping there", self.source.name, response.url)
            return
        if not fresh:
            logger.info("source %s: listing %s holds only items already taken; stopping there",
                        self.source.name, response.url)
            return
        next_link = response.css(o["next_page"]) if o["next_page"] else []
        if next_link and next_link[0].attrib.get("href"):
            yield self.request(response.urljoin(next_link[0].attrib["href"]), self.parse_listing)

    def item_request(self, key, url, title):
        o = self.options
        if o["item_page"]:
            return self.request(url, self.parse_item, browser=self.source.browser, wait_for=o["content"] or None,
                                cb_kwargs={"key": key, "title": title})
        return self.request(self.raw_url(key), self.parse_raw,
                            cb_kwargs={"key": key, "page_url": url, "title": title, "author": None, "posted_at": None})

    def raw_url(self, key):
        template = self.options["raw_url"]
        return self.source.url(template.format(key=quote(key, safe=""))) if template else None

    def parse_item(self, response, key, title):
        o = self.options
        meta = {
            "title": first(response, o["title"]) or title,
            "author": first(response, o["author"]),
            "posted_at": first(response, o["posted_at"]),
        }
        raw = response.css(o["raw_link"]) if o["raw_link"] else []
        raw_url = response.urljoin(raw[0].attrib["href"]) if raw and raw[0].attrib.get("href") else self.raw_url(key)
        if raw_url:
            # The raw endpoint is plain bytes: never through the browser, which would wrap it in HTML.
            yield self.request(raw_url, self.parse_raw, cb_kwargs={"key": key, "page_url": response.url, **meta})
            return
        content = response.css(o["content"]) if o["content"] else []
        if not content:
            self.inc("content_missing")
            logger.warning("source %s: %s has no %s%s", self.source.name, response.url, o["content"],
                           "" if self.source.browser else " (does it need `browser: true`?)")
            return
        body = element_text(content[0]).encode("utf-8")
        self.inc(f"items/{self.page_kind}")
        yield DumpItem(source=self.source.name, kind=self.page_kind, key=key, url=response.url, body=body, **meta)

    def parse_raw(self, response, key, page_url, title, author, posted_at):
        self.inc(f"items/{self.item_kind}")
        yield DumpItem(source=self.source.name, kind=self.item_kind, key=key, url=page_url, body=response.body,
                       title=title, author=author, posted_at=posted_at)


class JsPagesSpider(PasteListingSpider):
    """Pages whose content a script builds: read through Chromium (the source's `browser: true`)."""

    page_kind = "page"
