"""Telegram public channels through their web preview (t.me/s/NAME): no account, no API key.

A preview page shows a channel's newest messages, oldest first, with a "load more" link
(`?before=ID`) to the ones before. Each channel is walked from its newest page back until a page
reaches the channel's cursor (the highest message id of the last complete walk) or the channel's
first message. Each message is an item (`channel/ID`); a document attached to it is named, with its
size, in the item's title, and fetched as an item of its own (`channel/ID/N`) when the preview
links it to a file on the source's site (Telegram's own documents open only in the app).

The cursor moves to a walk's highest id only once the walk reached the old cursor and every item
it found is committed: a run killed or cut by its budget leaves the cursor where it was, and the
next run walks the same pages again, skipping by key what was committed.
"""

import logging
import re
from urllib.parse import quote, urlencode, urlsplit

from scrapy.exceptions import IgnoreRequest

from leakwatch.crawler.items import DumpItem
from leakwatch.crawler.middlewares.done_items import ITEM_KEY
from leakwatch.crawler.spiders.base import SourceSpider, element_text, first
from leakwatch.crawler.spiders.forum import safe_label

logger = logging.getLogger(__name__)

CURSOR = "telegram:{channel}"  # the cursor's name in the source's crawl state


class TelegramSpider(SourceSpider):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._walks = {}  # channel -> (highest id, keys of the items the walk found): complete walks

    async def seed_requests(self):
        for channel in self.options["channels"]:
            yield self.page_request(channel, None, cursor=self.cursor_of(channel), top=0)

    def cursor_of(self, channel: str) -> int:
        value = self.state.cursor(CURSOR.format(channel=channel))
        return int(value) if value and value.isdigit() else 0

    def page_request(self, channel: str, before: int | None, *, cursor: int, top: int, keys=()):
        o = self.options
        url = self.source.url(o["channel_path"].format(channel=quote(channel, safe="")))
        if before is not None:
            url += "?" + urlencode({o["before_param"]: before})
        return self.request(url, self.parse_page, browser=self.source.browser,
                            cb_kwargs={"channel": channel, "cursor": cursor, "top": top, "keys": list(keys)})

    def parse_page(self, response, channel, cursor, top, keys):
        o = self.options
        self.inc("telegram/pages")
        messages = []
        for message in response.css(o["messages"]):
            match = re.match(o["post_pattern"], message.attrib.get("data-post", ""))
            if not match or match.group("channel").lower() != channel.lower():
                continue
            messages.append((int(match.group("key")), message))
        if not messages:
            # A page without messages is a changed markup or an empty channel: no walk to complete.
            logger.warning("source %s: %s shows no message (%s)", self.source.name, response.url, o["messages"])
            return
        new = [(mid, m) for mid, m in messages if mid > cursor]
        top = max([top] + [mid for mid, _ in messages])
        page_keys, wanted = [], []
        for mid, message in new:
            key = f"{channel}/{mid}"
            docs = self.documents(response, channel, mid, message)
            page_keys.append(key)
            page_keys += [k for k, _, _, url in docs if url]
            wanted.append((mid, key, message, docs))
        keys = keys + page_keys
        fresh = self.new_keys(page_keys)
        if len(new) < len(messages):
            self.inc("skipped_done", len(messages) - len(new))  # behind the cursor: read by an earlier run
        for mid, key, message, docs in wanted:
            title = self.title_of(channel, docs)
            author = first(message, o["author"])
            posted_at = first(message, o["posted_at"])
            url = self.source.url(f"/{quote(channel, safe='')}/{mid}")
            if key in fresh:
                text = message.css(o["text"])
                self.inc("items/post")
                yield DumpItem(source=self.source.name, kind="post", key=key, url=url,
                               body=(element_text(text[0]) if text else "").encode("utf-8"),
                               title=title, author=author, posted_at=posted_at)
            for doc_key, name, _, doc_url in docs:
                if doc_url and doc_key in fresh:
                    yield self.request(doc_url, self.parse_document, meta={ITEM_KEY: doc_key},
                                       errback=self.on_document_error, cb_kwargs={
                        "key": doc_key, "name": name, "title": title, "author": author, "posted_at": posted_at})
        before = first(response, o["more"])
        if len(new) == len(messages) and before and before.isdigit():
            yield self.page_request(channel, int(before), cursor=cursor, top=top, keys=keys)
            return
        # The walk reached the cursor (or the channel's first message): it is complete.
        self._walks[channel] = (top, keys)
        self.advance(channel)

    def documents(self, response, channel, mid, message) -> list:
        """(key, name, size, URL or None) of each document of a message; None: only the app opens it."""
        o = self.options
        out = []
        for n, doc in enumerate(message.css(o["documents"]) if o["documents"] else []):
            name = safe_label(first(doc, o["document_title"])) or f"document {n + 1}"
            size = first(doc, o["document_extra"])
            href = doc.attrib.get("href")
            url = response.urljoin(href) if href else None
            # Reachable: a file on the source's own site, not the message's permalink (which asks for the
            # app). Never another host: a hostile page must not send the crawler where it likes.
            if url and (not self.same_site(url) or re.fullmatch(rf"/{re.escape(channel)}/{mid}/?",
                                                                 urlsplit(url).path, re.IGNORECASE)):
                url = None
            out.append((f"{channel}/{mid}/{n}", name, size, url))
        if any(url is None for *_, url in out):
            self.inc("telegram/documents_app_only", sum(url is None for *_, url in out))
        return out

    def title_of(self, channel, docs) -> str:
        # Documents' names and sizes are what the channel shows about them: kept with the sighting.
        title = f"t.me/{channel}"
        if docs:
            title += " · documents: " + ", ".join(f"{name} ({size})" if size else name for _, name, size, _ in docs)
        return title

    def parse_document(self, response, key, name, title, author, posted_at):
        self.inc("items/attachment")
        yield DumpItem(source=self.source.name, kind="attachment", key=key, url=response.url, body=response.body,
                       title=title, author=author, posted_at=posted_at, filename=name)

    def on_document_error(self, failure):
        if failure.check(IgnoreRequest) and failure.request.meta.get(ITEM_KEY):
            return  # committed meanwhile (crawler.middlewares.done_items): nothing to fetch
        self.on_error(failure)

    # --- the cursor ---------------------------------------------------------------------------

    def advance(self, channel: str) -> None:
        """Move the channel's cursor to its walk's highest id once all the walk's items are committed."""
        if channel not in self._walks:
            return
        top, keys = self._walks[channel]
        if self.state.not_done(keys):
            return
        del self._walks[channel]
        if top > self.cursor_of(channel):
            self.state.set_cursor(CURSOR.format(channel=channel), str(top))
            logger.info("source %s: channel %s read up to message %d", self.source.name, channel, top)

    def item_left(self, item):
        channel = str(getattr(item, "key", "")).split("/", 1)[0]
        self.advance(channel)

    def _on_closed(self, spider, reason):
        if spider is self:
            for channel in list(self._walks):
                try:
                    self.advance(channel)
                except Exception as exc:  # the items are committed; the next run's walk moves the cursor
                    logger.warning("source %s: cursor of %s not moved (%s)", self.source.name, channel,
                                   type(exc).__name__)
            for channel in self._walks:
                logger.info("source %s: channel %s: cursor kept (items of its walk not all committed)",
                            self.source.name, channel)
        super()._on_closed(spider, reason)
