"""Pastebin-style scraping API: a JSON list of recent pastes, then one call per paste not taken yet."""

import json
import logging
from datetime import datetime, timezone
from urllib.parse import quote

from leakwatch.crawler.items import DumpItem
from leakwatch.crawler.spiders.base import SourceSpider

logger = logging.getLogger(__name__)


class PasteApiSpider(SourceSpider):
    async def seed_requests(self):
        o = self.options
        yield self.request(self.source.url(o["list_url"].format(limit=o["limit"])), self.parse_list)

    def parse_list(self, response):
        try:
            entries = json.loads(response.body)
        except ValueError:
            self.inc("errors")
            logger.error("source %s: %s is not JSON", self.source.name, response.url)
            return
        if not isinstance(entries, list):
            logger.error("source %s: %s is not a JSON list", self.source.name, response.url)
            return
        entries = [e for e in entries if isinstance(e, dict) and e.get("key")]
        fresh = self.new_keys([str(e["key"]) for e in entries])
        for entry in entries:
            key = str(entry["key"])
            if key not in fresh:
                continue
            fresh.discard(key)
            scrape_url = entry.get("scrape_url")
            # Only follow the API's own URL on the source's own site: a hostile listing must not send
            # the crawler to an address of its choosing.
            if not (isinstance(scrape_url, str) and self.same_site(scrape_url)):
                scrape_url = self.source.url(self.options["item_url"].format(key=quote(key, safe="")))
            full_url = entry.get("full_url") if isinstance(entry.get("full_url"), str) else scrape_url
            yield self.request(scrape_url, self.parse_item, cb_kwargs={
                "key": key, "url": full_url, "title": _text(entry.get("title")),
                "author": _text(entry.get("user")), "posted_at": _iso(entry.get("date")),
            })

    def parse_item(self, response, key, url, title, author, posted_at):
        self.inc("items/paste")
        yield DumpItem(source=self.source.name, kind="paste", key=key, url=url, body=response.body,
                       title=title, author=author, posted_at=posted_at)


def _text(value):
    return str(value) if value not in (None, "") else None


def _iso(value):
    try:
        return datetime.fromtimestamp(int(value), timezone.utc).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return None
