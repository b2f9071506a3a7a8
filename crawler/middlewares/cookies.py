"""Scrapy's CookiesMiddleware, without its one network access of its own.

Scrapy asks tldextract whether a cookie's domain is a public suffix, and tldextract by default
downloads the Public Suffix List from publicsuffix.org on first use: a direct connection from
this machine, outside every source's route. This subclass makes tldextract use the list it ships
with, so the only traffic of a crawl is its requests, each through its route.
"""

from scrapy.downloadermiddlewares import cookies as scrapy_cookies
from tldextract import TLDExtract


class CookiesMiddleware(scrapy_cookies.CookiesMiddleware):
    @classmethod
    def from_crawler(cls, crawler):
        scrapy_cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)
        return super().from_crawler(crawler)
