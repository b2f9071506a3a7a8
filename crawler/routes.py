"""How a source's traffic leaves this machine: the one decision every request goes through.

A route is chosen by the source's `route:` (`tor` by default, `direct` only when written) and built
from the class path in the `LEAKWATCH_ROUTES` setting, so the Tor route of issue 5 replaces
`TorRoute` here without touching a spider. A route answers three questions, all asked by
`crawler.middlewares.route.RouteMiddleware`:

- `check()`: can traffic go out this way now? Raises `RouteUnavailable` otherwise (fail closed).
- `apply(request, source)`: what a Scrapy request needs to go this way (e.g. `meta["proxy"]`).
- `playwright_context_kwargs(source)`: what a Playwright browser context needs (e.g. `proxy=`): the
  browser's own requests (scripts, XHR) never pass through Scrapy's middlewares, so the route has to
  be set on the context the page lives in.
"""


class RouteUnavailable(Exception):
    """Traffic cannot leave by this route now; `reason` becomes the spider's close reason."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class Route:
    name = ""

    @classmethod
    def from_crawler(cls, crawler):
        return cls()

    def check(self) -> None:
        """Raise RouteUnavailable if no request may leave by this route."""

    def apply(self, request, source) -> None:
        """Prepare a Scrapy request of `source` to leave by this route."""

    def playwright_context_kwargs(self, source) -> dict:
        """Keyword arguments of the Playwright browser context for `source`'s pages."""
        return {}


class DirectRoute(Route):
    """Straight from this machine: the site sees our address. Only for sources that say `route: direct`."""

    name = "direct"

    def apply(self, request, source) -> None:
        # None, not absent: HttpProxyMiddleware would otherwise take a proxy from http_proxy & co.
        request.meta["proxy"] = None


class TorRoute(Route):
    """Through Tor. Not built yet (issue 5): every request is refused, so nothing ever leaves directly."""

    name = "tor"

    def check(self) -> None:
        raise RouteUnavailable("tor_unavailable", "Tor routing is not available yet (issue 5); refusing to fetch")
