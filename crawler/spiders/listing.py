"""Sites that list their items on pages: listing page -> item page -> raw endpoint (or page text).

Pagination is followed until a listing page holds only items already committed (the listing is
newest first, so everything further back was taken by an earlier run) or the run's budget ends.

Every raw link (or content block) of an item page is taken: a paste of several files gives one item
per file, keyed `PASTE/SLUG` (`file_key_pattern` on the file's link) or `PASTE/file-N`.
"""

import logging
from urllib.parse import quote

from itemadapter import ItemAdapter

from leakwatch.crawler.items import DumpItem
from leakwatch.crawler.spiders.base import SourceSpider, element_text, first, pattern_key

logger = logging.getLogger(__name__)


class PasteListingSpider(SourceSpider):
    item_kind = "paste"  # what a raw endpoint gives
    page_kind = "paste"  # what the text of an item page gives, when there is no raw endpoint

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._queued: set[str] = set()  # keys requested in this run
        self._files_of: dict[str, list] = {}  # paste key -> its files' item keys (pastes of several files)
        self._paste_of: dict[str, str] = {}  # a file's item key -> its paste's key

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
        links = response.css(o["raw_link"]) if o["raw_link"] else []
        raw_urls = list(dict.fromkeys(response.urljoin(a.attrib["href"]) for a in links if a.attrib.get("href")))
        if not raw_urls and self.raw_url(key):
            raw_urls = [self.raw_url(key)]
        if raw_urls:
            # The raw endpoint is plain bytes: never through the browser, which would wrap it in HTML.
            for file_key, raw_url in self.files_to_take(key, raw_urls):
                # A file of several is shown by its own URL: a match names the file that leaked.
                shown = raw_url if len(raw_urls) > 1 else response.url
                yield self.request(raw_url, self.parse_raw, cb_kwargs={"key": file_key, "page_url": shown, **meta})
            return
        content = response.css(o["content"]) if o["content"] else []
        if not content:
            self.inc("content_missing")
            logger.warning("source %s: %s has no %s%s", self.source.name, response.url, o["content"],
                           "" if self.source.browser else " (does it need `browser: true`?)")
            return
        wanted = {file_key for file_key, _ in self.files_to_take(key, [None] * len(content))}
        for (file_key, _), block in zip(file_keys(key, [None] * len(content), ""), content):
            if file_key in wanted:
                self.inc(f"items/{self.page_kind}")
                yield DumpItem(source=self.source.name, kind=self.page_kind, key=file_key, url=response.url,
                               body=element_text(block).encode("utf-8"), **meta)

    def files_to_take(self, key, urls) -> list:
        """(item key, url) of the files of paste `key` not committed yet. A paste of several files is
        done once all of them are: its own key is then committed (`_paste_done`), so that the listing
        skips it next time; until then its page is read again and the files already taken are skipped."""
        files = file_keys(key, urls, self.options["file_key_pattern"])
        if len(files) == 1:
            return files
        self.inc("multi_file_pastes")
        fresh = self.new_keys([k for k, _ in files])
        self._files_of[key] = [k for k, _ in files]
        for file_key, _ in files:
            self._paste_of[file_key] = key
        if not fresh:
            self._paste_done(key)
        return [(k, url) for k, url in files if k in fresh]

    def item_left(self, item):
        # What the pipelines hand on (the scan pipeline's summary is a dict): its key either way.
        key = ItemAdapter(item).get("key") if ItemAdapter.is_item(item) else None
        paste = self._paste_of.get(key)
        if paste is not None and self.state.done(key) and not self.state.not_done(self._files_of[paste]):
            self._paste_done(paste)

    def _paste_done(self, paste):
        files = self._files_of.pop(paste, [])
        for file_key in files:
            self._paste_of.pop(file_key, None)
        # The paste's own key stands for its files in the done record: the sighting of its first file.
        sighting = self.state.sighting_of(files[0]) if files else None
        if sighting and not self.state.done(paste):
            self.state.commit(paste, sighting)

    def parse_raw(self, response, key, page_url, title, author, posted_at):
        self.inc(f"items/{self.item_kind}")
        yield DumpItem(source=self.source.name, kind=self.item_kind, key=key, url=page_url, body=response.body,
                       title=title, author=author, posted_at=posted_at)


def file_keys(key: str, urls: list, pattern: str) -> list:
    """(item key, url) of each file of paste `key`: the paste's own key when it has one file; else
    `key/SLUG` (SLUG from `pattern` on the file's URL) or `key/file-N` (N from 1, in page order)."""
    if len(urls) == 1:
        return [(key, urls[0])]
    out, seen = [], set()
    for n, url in enumerate(urls, 1):
        slug = pattern_key(url, pattern) if pattern and url else None
        slug = slug if slug and slug not in seen else f"file-{n}"
        seen.add(slug)
        out.append((f"{key}/{slug}", url))
    return out


class JsPagesSpider(PasteListingSpider):
    """Pages whose content a script builds: read through Chromium (the source's `browser: true`)."""

    page_kind = "page"
