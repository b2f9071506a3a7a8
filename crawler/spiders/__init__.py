"""One spider class per source, made from its kind: `spider_class(source)`."""

from leakwatch.crawler.spiders.api import PasteApiSpider
from leakwatch.crawler.spiders.base import SourceSpider
from leakwatch.crawler.spiders.forum import ForumSpider
from leakwatch.crawler.spiders.leak_site import LeakSiteSpider
from leakwatch.crawler.spiders.listing import JsPagesSpider, PasteListingSpider
from leakwatch.crawler.spiders.telegram import TelegramSpider

SPIDER_OF_KIND = {
    "paste_listing": PasteListingSpider,
    "paste_api": PasteApiSpider,
    "forum": ForumSpider,
    "js_pages": JsPagesSpider,
    "telegram": TelegramSpider,
    "leak_site": LeakSiteSpider,
}

_PLAYWRIGHT_HANDLER = "leakwatch.crawler.tor.playwright_handler.TorPlaywrightDownloadHandler"


def source_settings(source) -> dict:
    """The Scrapy settings of one source's crawl (priority `spider`: CLI overrides still win)."""
    settings = {
        # One crawler per source: its downloader holds only this source's requests, so the
        # process's concurrency is the source's (across processes: crawler.middlewares.
        # shared_concurrency). A request waiting out a Retry-After counts in it, so nothing else of
        # the source goes out of this process meanwhile.
        "CONCURRENT_REQUESTS": source.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": source.concurrency,
        # The source's delay is kept by crawler.middlewares.shared_pace across every process that
        # crawls it; a local delay on top would come after the shared slot and bunch requests up.
        "DOWNLOAD_DELAY": 0,
        "DOWNLOAD_SLOTS": {source.name: {"concurrency": source.concurrency, "delay": 0}},
        "CLOSESPIDER_PAGECOUNT": source.max_pages,
        "CLOSESPIDER_TIMEOUT": source.time_budget,
    }
    if source.browser:
        # Only sources with a browser load Playwright; the handler passes other requests to Scrapy's own.
        settings["DOWNLOAD_HANDLERS"] = {"http": _PLAYWRIGHT_HANDLER, "https": _PLAYWRIGHT_HANDLER}
    return settings


def spider_class(source) -> type[SourceSpider]:
    base = SPIDER_OF_KIND[source.kind]
    return type(
        f"{base.__name__}[{source.name}]",
        (base,),
        {"name": source.name, "source": source, "custom_settings": source_settings(source),
         "__module__": base.__module__},
    )


__all__ = ["ForumSpider", "JsPagesSpider", "LeakSiteSpider", "PasteApiSpider", "PasteListingSpider", "SourceSpider",
           "TelegramSpider", "spider_class"]
