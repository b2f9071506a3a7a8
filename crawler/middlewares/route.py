"""Every request of a source leaves by its route, or not at all.

The first downloader middleware (order 50): a request refused here never reaches the network. A
route that is unavailable (Tor down, or not built yet) stops the spider with the route's close
reason (`tor_unavailable`) and an ERROR line; there is no fallback to a direct connection.
"""

import logging

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import build_from_crawler, load_object

from leakwatch.crawler.routes import RouteUnavailable
from leakwatch.crawler.shared import REFUSED
from leakwatch.crawler.signals import source_blocked

logger = logging.getLogger(__name__)


class RouteMiddleware:
    def __init__(self, routes: dict, crawler=None):
        self.routes = routes  # route name -> Route
        self.crawler = crawler
        self._announced: set[str] = set()
        self._failed: str | None = None

    @classmethod
    def from_crawler(cls, crawler):
        routes = {
            name: build_from_crawler(load_object(path), crawler)
            for name, path in crawler.settings.getdict("LEAKWATCH_ROUTES").items()
        }
        middleware = cls(routes, crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(middleware.source_blocked, signal=source_blocked)
        return middleware

    def source_blocked(self, request, response):
        """The source refused or rate-limited us: a route that can change identity does so now, so
        the retry (and what follows) leaves on new circuits."""
        spider = self.crawler.spider if self.crawler else None
        source = getattr(spider, "source", None)
        route = self.routes.get(getattr(source, "route", None))
        new_identity = getattr(route, "new_identity", None)
        if new_identity is None:
            return
        how = new_identity(source)
        self.crawler.stats.inc_value(f"leakwatch/new_identity/{how}")
        logger.info("source %s answered %d: new identity on %s (%s)", source.name, response.status, source.route, how)

    def spider_closed(self, spider):
        # A route may hold a peer connection (TorRoute: tor's control port).
        for route in self.routes.values():
            close = getattr(route, "close", None)
            if close is not None:
                close()

    def process_request(self, request):
        spider = self.crawler.spider if self.crawler else None
        source = getattr(spider, "source", None)
        # Marked before any refusal: a refused request goes back to the shared queue, for a worker
        # whose route works, instead of counting as fetched (crawler.shared.scheduler).
        request.meta[REFUSED] = True
        if source is None:
            raise IgnoreRequest(f"{request.url}: the spider has no source, so no route: refused")
        route = self.routes.get(source.route)
        if route is None:
            self._fail(source, "route_unknown", f"route {source.route!r} has no class in LEAKWATCH_ROUTES")
            raise IgnoreRequest(f"source {source.name}: no route {source.route!r}")
        try:
            route.check()
        except RouteUnavailable as exc:
            self._fail(source, exc.reason, str(exc))
            raise IgnoreRequest(f"source {source.name}: {exc}") from None
        if source.route == "direct" and source.name not in self._announced:
            self._announced.add(source.name)
            logger.info("source %s: route direct (no Tor)", source.name)
        try:
            route.apply(request, source)
            if request.meta.get("playwright"):
                # One browser context per source and route: cookies stay with their source, and the
                # context's proxy (set by the route) carries the page's own subrequests too.
                request.meta["playwright_context"] = f"{source.name}:{source.route}"
                request.meta["playwright_context_kwargs"] = route.playwright_context_kwargs(source)
        except RouteUnavailable as exc:
            self._fail(source, exc.reason, str(exc))
            raise IgnoreRequest(f"source {source.name}: {exc}") from None
        del request.meta[REFUSED]
        return None

    def _fail(self, source, reason: str, message: str) -> None:
        if self._failed is not None:
            return
        self._failed = reason
        logger.error("source %s: %s; stopping the crawl of this source (%s)", source.name, message, reason)
        self.crawler.stats.set_value("leakwatch/route_failure", reason)
        engine = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))
