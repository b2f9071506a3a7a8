"""The error of a crawl started without what it needs, or with crawl settings it cannot use."""

from leakwatch.matchers.errors import LeakwatchError


class CrawlSetupError(LeakwatchError, ValueError):
    """A crawl's Scrapy settings are missing something or hold a value of the wrong kind. `leakwatch
    crawl` sets them; a user meets this error only by starting the crawler some other way."""
