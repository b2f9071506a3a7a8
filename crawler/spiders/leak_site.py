"""Ransomware data-leak sites: victims' posts and the files published for them.

List pages (through Chromium when the source has `browser: true`: many such sites build the list
with JavaScript) -> each victim's page: one item (`victim:KEY`, its description scanned, the victim's
name, domain, date and countdown in the sighting's title: public claims, not personal data) -> its
`files` links: directory listings (nginx/Apache autoindex, walked down their tree) and files
(archives included), each file one item (`file:/path`) through the scan path. A file is received in
pieces of `leak_site.chunk_bytes` (HTTP Range, as nginx serves static files) appended to an anonymous
temporary file (it has no name on disk: a killed process leaves nothing behind) and scanned from there
as a stream, so a file of gigabytes is never whole in memory; a server without ranges sends it whole,
held in memory up to DOWNLOAD_MAXSIZE.

Budgets of one run: `leak_site.max_file_bytes` (a file larger than this is not fetched) and
`leak_site.max_bytes` (bytes of files one run fetches), on top of the source's `max_pages` and
`max_seconds`. A file a budget leaves out is reported (a warning naming it and the bound, and the
`leakwatch/budget_skipped/*` stats), never marked done: a later run, or a larger budget, takes it.
Files already committed are not fetched again, so a run killed mid-way is resumed by the next one.
"""

import logging
import re
import tempfile
from urllib.parse import unquote, urlsplit

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from twisted.internet.defer import CancelledError

from leakwatch.crawler.items import DumpItem
from leakwatch.crawler.middlewares.done_items import ITEM_KEY
from leakwatch.crawler.spiders.base import SourceSpider, element_text, first
from leakwatch.crawler.spiders.forum import safe_label

logger = logging.getLogger(__name__)

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")
_SIZE = re.compile(r"^\s*\S+\s+\S+\s+(\d+|-)\s*$")  # autoindex: "03-Dec-2026 10:00   12345" after the link


class LeakSiteSpider(SourceSpider):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reserved = 0  # bytes of files fetched or in flight in this run
        self._due = set()  # keys of files requested in this run (those not committed at the end are reported)
        self._spools = {}  # key -> anonymous temporary file receiving a large file's pieces

    async def seed_requests(self):
        yield self.html_request(self.source.url(self.options["path"]), self.parse_listing, self.options["victims"])

    def html_request(self, url, callback, wait_for, **kwargs):
        return self.request(url, callback, browser=self.source.browser, wait_for=wait_for or None, **kwargs)

    # --- victims ------------------------------------------------------------------------------

    def parse_listing(self, response):
        o = self.options
        self.inc("leak_site/listing_pages")
        victims = response.css(o["victims"])
        if not victims:
            logger.warning("source %s: %s lists no victims (%s)%s", self.source.name, response.url, o["victims"],
                           "" if self.source.browser else "; does the list need `browser: true`?")
            self.inc("leak_site/listing_empty")
        for victim in victims:
            link = victim.css(o["victim_link"]) if o["victim_link"] else [victim]
            href = link[0].attrib.get("href") if link else None
            url = response.urljoin(href) if href else None
            key = self.key_of(url, o["victim_key_pattern"]) if url else None
            if key is None or not self.same_site(url):
                continue
            title = victim_title(first(victim, o["victim_name"]), first(victim, o["victim_domain"]),
                                 first(victim, o["victim_countdown"]))
            yield self.html_request(url, self.parse_victim, o["description"], cb_kwargs={
                "key": key, "title": title, "posted_at": first(victim, o["victim_date"])})
        next_link = response.css(o["next_page"]) if o["next_page"] else []
        if victims and next_link and next_link[0].attrib.get("href"):
            yield self.html_request(response.urljoin(next_link[0].attrib["href"]), self.parse_listing, o["victims"])

    def parse_victim(self, response, key, title, posted_at):
        o = self.options
        item_key = f"victim:{key}"
        if self.new_keys([item_key]):
            description = response.css(o["description"]) if o["description"] else []
            self.inc("items/post")
            yield DumpItem(source=self.source.name, kind="post", key=item_key, url=response.url,
                           body=(element_text(description[0]) if description else "").encode("utf-8"),
                           title=title, posted_at=posted_at)
        meta = {"title": title, "posted_at": posted_at}
        files = []
        for link in response.css(o["files"]) if o["files"] else []:
            href = link.attrib.get("href")
            url = response.urljoin(href) if href else None
            if not url or not self.same_site(url):
                continue  # never another host: a hostile page must not send the crawler where it likes
            if urlsplit(url).path.endswith("/"):
                yield self.request(url, self.parse_directory, cb_kwargs={"root": urlsplit(url).path, **meta})
            else:
                files.append((url, None))
        yield from self.file_requests(files, meta)

    def parse_directory(self, response, root, title, posted_at):
        """An autoindex page: subdirectories under `root` are walked, files are fetched."""
        self.inc("leak_site/directory_pages")
        here = urlsplit(response.url).path
        files = []
        for link in response.css("a[href]"):
            url = response.urljoin(link.attrib["href"])
            path = urlsplit(url).path
            # Only entries below this directory: not "../", not a sort link (?C=N;O=D), not another site.
            if not self.same_site(url) or not path.startswith(here) or path == here or urlsplit(url).query:
                continue
            if path.endswith("/"):
                yield self.request(url, self.parse_directory, cb_kwargs={
                    "root": root, "title": title, "posted_at": posted_at})
            else:
                tail = link.root.tail or ""
                size = _SIZE.match(tail.split("\n", 1)[0])
                files.append((url, int(size.group(1)) if size and size.group(1).isdigit() else None))
        yield from self.file_requests(files, {"title": title, "posted_at": posted_at})

    # --- files and budgets ----------------------------------------------------------------------

    def file_requests(self, files, meta):
        keyed = {f"file:{unquote(urlsplit(url).path)}": (url, size) for url, size in files}
        new = set(self.new_keys(list(keyed)))  # one look in the store for the whole listing
        for key in [k for k in keyed if k in new and k not in self._due]:
            url, size = keyed[key]
            if not self.within_budgets(url, size):
                continue
            self._reserved += size or 0
            self._due.add(key)
            yield self.piece_request(url, key, 0, size, meta)

    def within_budgets(self, url, size) -> bool:
        """Whether a file of `size` bytes (None: not known yet) may be fetched; reports it when not."""
        o = self.options
        left = o["max_bytes"] - self._reserved if o["max_bytes"] else None
        if size is not None and o["max_file_bytes"] and size > o["max_file_bytes"]:
            self.skipped(url, size, f"larger than max_file_bytes ({o['max_file_bytes']})")
            return False
        if left is not None and (left <= 0 or (size is not None and size > left)):
            self.skipped(url, size, f"beyond this run's max_bytes ({o['max_bytes']}, {max(left, 0)} left)")
            return False
        return True

    def piece_request(self, url, key, offset, listed_size, meta):
        """The file's bytes from `offset`, `chunk_bytes` at most (HTTP Range): a file of gigabytes is
        received in pieces appended to an anonymous temporary file, never whole in memory."""
        o = self.options
        left = o["max_bytes"] - self._reserved + (listed_size or 0) if o["max_bytes"] else None
        # A server that ignores Range sends the whole file: bounded while downloading, Scrapy cancels past it.
        # One response is held in memory: a piece, or at most DOWNLOAD_MAXSIZE when the server sends it all.
        bounds = [b for b in (o["max_file_bytes"], left, self.crawler.settings.getint("DOWNLOAD_MAXSIZE")) if b]
        headers = {"Range": f"bytes={offset}-{offset + o['chunk_bytes'] - 1}"} if o["chunk_bytes"] else {}
        request_meta = {ITEM_KEY: key, **({"download_maxsize": min(bounds)} if bounds else {})}
        # Pieces after the first stay in this process, where their temporary file is; the URL is the
        # same for every piece, so they are not taken for duplicates.
        return self.request(url, self.parse_file, errback=self.on_file_error, headers=headers, meta=request_meta,
                            local=offset > 0, dont_filter=offset > 0,
                            cb_kwargs={"key": key, "listed_size": listed_size, "offset": offset, **meta})

    def parse_file(self, response, key, listed_size, offset, title, posted_at):
        meta = {"title": title, "posted_at": posted_at}
        if response.status != 206:  # the whole file at once (no Range asked, or the server ignores it)
            self._reserved += len(response.body) - (listed_size or 0)
            yield self.file_item(response.url, key, meta, body=response.body)
            return
        piece = _CONTENT_RANGE.match(response.headers.get("Content-Range", b"").decode("latin-1"))
        if not piece or int(piece.group(1)) != offset:
            self.drop_spool(key)
            self.inc("errors")
            logger.warning("source %s: %s: a piece from byte %d was asked, another came; not scanned",
                           self.source.name, response.url, offset)
            return
        total = int(piece.group(3)) if piece.group(3) != "*" else None
        if offset == 0:
            if listed_size is None and total is not None:
                # The size is known now: the budgets are asked again with it.
                if not self.within_budgets(response.url, total):
                    self._due.discard(key)
                    return
                self._reserved += total
            self._spools[key] = tempfile.TemporaryFile(prefix="leakwatch-")
        spool = self._spools.get(key)
        if spool is None:
            return  # its file was given up (an earlier piece failed)
        spool.write(response.body)
        end = int(piece.group(2))
        if total is not None and end + 1 < total and response.body:
            yield self.piece_request(response.url, key, end + 1, listed_size if listed_size is not None else total,
                                     meta)
            return
        del self._spools[key]
        yield self.file_item(response.url, key, meta, stream=spool)

    def file_item(self, url, key, meta, body=b"", stream=None):
        size = len(body) if stream is None else stream.tell()
        self.inc("items/attachment")
        self.inc("leak_site/file_bytes", size)
        return DumpItem(source=self.source.name, kind="attachment", key=key, url=url, body=body, stream=stream,
                        filename=safe_label(urlsplit(url).path), **meta)

    def drop_spool(self, key):
        spool = self._spools.pop(key, None)
        if spool is not None:
            spool.close()  # anonymous: its bytes are gone with it

    def on_file_error(self, failure):
        request = failure.request
        key = request.cb_kwargs.get("key")
        self._due.discard(key)
        self.drop_spool(key)
        self._reserved -= request.cb_kwargs.get("listed_size") or 0
        if failure.check(IgnoreRequest) and request.meta.get(ITEM_KEY):
            return  # committed meanwhile (crawler.middlewares.done_items): nothing to fetch
        # Scrapy cancels a download past its download_maxsize (CancelledError before Scrapy 2.13).
        if failure.check(DownloadCancelledError, CancelledError):
            self.skipped(request.url, None, f"larger than the {request.meta.get('download_maxsize')} bytes one "
                                            "download could take here (budgets left, DOWNLOAD_MAXSIZE)")
            return
        self.on_error(failure)

    def skipped(self, url, size, why):
        self.inc("budget_skipped/files")
        if size:
            self.inc("budget_skipped/bytes", size)
        logger.warning("source %s: %s%s not fetched: %s; a later run takes it", self.source.name, url,
                       f" ({size} bytes)" if size is not None else "", why)

    def _on_closed(self, spider, reason):
        if spider is self:
            for key in list(self._spools):
                self.drop_spool(key)
            left = self.state.not_done(sorted(self._due)) if self._due else []
            if left:
                # Requested but not committed when the run ended (its time or page budget): reported.
                self.crawler.stats.set_value("leakwatch/budget_skipped/unfinished_files", len(left))
                logger.warning("source %s: %d file(s) not fetched before the run ended (%s); the next run "
                               "takes them", self.source.name, len(left), reason)
        super()._on_closed(spider, reason)


def victim_title(name, domain, countdown) -> str | None:
    """The victim as the site names it, kept with the sighting: "Name (domain) · deadline ..."."""
    if not name and not domain:
        return None
    title = " ".join(filter(None, [name, f"({domain})" if domain else None]))
    return f"{title} · deadline {countdown}" if countdown else title
