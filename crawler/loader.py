"""`SPIDER_LOADER_CLASS`: the spiders are the enabled sources of the sources file, one each.

`scrapy list` prints their names; `scrapy crawl NAME` crawls that source. The file is the setting
`LEAKWATCH_SOURCES` (`scrapy list -s LEAKWATCH_SOURCES=other.yaml` for another one).
"""

from urllib.parse import urlsplit

from leakwatch.crawler.sources import load_sources
from leakwatch.crawler.spiders import spider_class


class SourceSpiderLoader:
    def __init__(self, sources):
        self._spiders = {s.name: spider_class(s) for s in sources if s.enabled}

    @classmethod
    def from_settings(cls, settings):
        return cls(load_sources(settings.get("LEAKWATCH_SOURCES")))

    def load(self, spider_name):
        try:
            return self._spiders[spider_name]
        except KeyError:
            raise KeyError(f"Spider not found: {spider_name} (no enabled source of that name)") from None

    def list(self):
        return list(self._spiders)

    def find_by_request(self, request):
        target = urlsplit(request.url)
        return [name for name, spider in self._spiders.items()
                if (urlsplit(spider.source.base_url).hostname, urlsplit(spider.source.base_url).port)
                == (target.hostname, target.port)]
