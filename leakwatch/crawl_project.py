"""The Scrapy project module of `scrapy list` and `scrapy crawl NAME` run in crawler/ (scrapy.cfg):
the crawler's own settings with leakwatch's resolved ones on top, as `leakwatch crawl` gives them."""

from leakwatch.crawler.settings import *  # noqa: F401,F403

from leakwatch.crawl import scrapy_settings as _scrapy_settings
from leakwatch.settings import Settings as _Settings

globals().update(_scrapy_settings(_Settings.load()))
