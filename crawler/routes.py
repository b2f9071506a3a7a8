"""How a source's traffic leaves this machine: the one decision every request goes through.

A route is chosen by the source's `route:` (`tor` by default, `direct` only when written) and built
from the class path in the `LEAKWATCH_ROUTES` setting, so another route can replace `TorRoute`
without touching a spider. A route answers three questions, all asked by
`leakwatch.crawler.middlewares.route.RouteMiddleware`:

- `check()`: can traffic go out this way now? Raises `RouteUnavailable` otherwise (fail closed).
- `apply(request, source)`: what a Scrapy request needs to go this way (e.g. `meta["proxy"]`).
- `playwright_context_kwargs(source)`: what a Playwright browser context needs (e.g. `proxy=`): the
  browser's own requests (scripts, XHR) never pass through Scrapy's middlewares, so the route has to
  be set on the context the page lives in.
"""

from leakwatch.matchers.errors import LeakwatchError


class RouteUnavailable(LeakwatchError):
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
    """Through Tor, or not at all.

    Scrapy requests: HTTP CONNECT to tor's HTTPTunnelPort (`LEAKWATCH_TOR_HTTP_TUNNEL`), carried by
    crawler.handlers.tor (the hostname goes to tor; nothing is resolved here), with per-source
    credentials so that each source gets circuits of its own. Browser pages: a Chromium context
    whose proxy is tor's SocksPort (`LEAKWATCH_TOR_SOCKS`, socks5: Chromium sends hostnames).
    `check()` asks tor itself, through its control port, whether it has bootstrapped; it fails
    closed when tor is missing, unreachable, not bootstrapped, or when the download handler that
    keeps plain http inside the tunnel is not installed.
    """

    name = "tor"
    # Seconds a good check is trusted. 0: ask tor before every request (two GETINFOs on loopback, well
    # under a millisecond next to a Tor round trip), so a tor that dies mid-crawl stops the source at
    # its next request with `tor_unavailable`, not after retries that end as "finished" with errors.
    CHECK_INTERVAL = 0.0

    def __init__(self, http_tunnel=None, socks=None, control=None, cookie_path=None, password=None,
                 handler_ok: bool = True, check_interval: float = CHECK_INTERVAL):
        from leakwatch.crawler.tor import parse_address

        self.http_tunnel = parse_address(http_tunnel)
        self.socks = parse_address(socks)
        self.control = parse_address(control)
        self.cookie_path, self.password = cookie_path or None, password or None
        self.handler_ok = handler_ok
        self.check_interval = check_interval
        self._tor = None           # leakwatch.crawler.tor.TorController, attached on the first check
        self._checked_at = None    # monotonic time of the last good check
        self._generation = {}      # source name -> isolation generation (bumped by new_identity)
        self._browser_socks = {}   # source name -> the SocksPort of its own that its browser pages use

    @classmethod
    def from_crawler(cls, crawler):
        from leakwatch.crawler.tor.handler import TorTunnelMixin
        from scrapy.utils.misc import load_object

        settings = crawler.settings
        handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
        try:
            handler_ok = all(issubclass(load_object(handlers.get(s)), TorTunnelMixin) for s in ("http", "https"))
        except Exception:  # a handler path that does not load is not ours either
            handler_ok = False
        return cls(http_tunnel=settings.get("LEAKWATCH_TOR_HTTP_TUNNEL"), socks=settings.get("LEAKWATCH_TOR_SOCKS"),
                   control=settings.get("LEAKWATCH_TOR_CONTROL"), cookie_path=settings.get("LEAKWATCH_TOR_COOKIE"),
                   password=settings.get("LEAKWATCH_TOR_PASSWORD"), handler_ok=handler_ok,
                   check_interval=settings.getfloat("LEAKWATCH_TOR_CHECK_INTERVAL", cls.CHECK_INTERVAL))

    def check(self) -> None:
        import time

        from leakwatch.crawler.tor import TorController, TorUnavailable

        if self.control is None or self.http_tunnel is None:
            raise RouteUnavailable("tor_unavailable", "no Tor configured (LEAKWATCH_TOR_CONTROL and "
                                   "LEAKWATCH_TOR_HTTP_TUNNEL are required); refusing to fetch")
        if not self.handler_ok:
            raise RouteUnavailable("tor_unavailable", "DOWNLOAD_HANDLERS for http/https are not Tor's "
                                   "(crawler.handlers.tor.TorDownloadHandler); refusing to fetch")
        now = time.monotonic()
        if self._checked_at is not None and now - self._checked_at < self.check_interval:
            return
        self._checked_at = None
        try:
            if self._tor is None:
                self._tor = TorController.attach(self.control, cookie_path=self.cookie_path, password=self.password)
            self._tor.check()
            tunnels = self._tor.controller.get_info("net/listeners/httptunnel", "")
            if f"{self.http_tunnel[0]}:{self.http_tunnel[1]}" not in tunnels:
                raise TorUnavailable(f"tor has no HTTPTunnelPort on {self.http_tunnel[0]}:{self.http_tunnel[1]} "
                                     f"(its tunnel ports: {tunnels or 'none'})")
        except TorUnavailable as exc:
            self._drop()
            raise RouteUnavailable("tor_unavailable", f"Tor is unavailable: {exc}; refusing to fetch") from None
        self._checked_at = now

    def _drop(self):
        if self._tor is not None:
            tor, self._tor = self._tor, None
            try:
                tor.close()
            except Exception:
                pass  # the connection is already gone: that is why we drop it

    def isolation_token(self, source) -> str:
        return f"leakwatch-{source.name}-{self._generation.get(source.name, 0)}"

    def apply(self, request, source) -> None:
        import base64

        from leakwatch.crawler.tor.handler import META_KEY

        host, port = self.http_tunnel
        # Both set: without the handler, a request with this proxy still cannot leave but through tor.
        request.meta["proxy"] = f"http://{host}:{port}"
        request.meta[META_KEY] = True
        # tor keeps this value as the stream's SOCKS username: one per source, circuits of its own.
        credentials = base64.b64encode(f"tor:{self.isolation_token(source)}".encode()).decode()
        request.headers["Proxy-Authorization"] = f"Basic {credentials}"

    def playwright_context_kwargs(self, source) -> dict:
        if self.socks is None:
            raise RouteUnavailable("tor_unavailable", "no Tor SocksPort configured (LEAKWATCH_TOR_SOCKS) for "
                                   "browser pages; refusing to fetch")
        host, port = self.socks[0], self._source_socks_port(source)
        # socks5 (not socks4): Chromium sends the hostname to the proxy and resolves nothing itself.
        # "<-loopback>": Chromium would otherwise reach localhost and 127.0.0.1 directly, past the proxy.
        return {"proxy": {"server": f"socks5://{host}:{port}", "bypass": "<-loopback>"}}

    def _source_socks_port(self, source) -> int:
        """A SocksPort of the source's own (Chromium sends no SOCKS credentials; tor isolates ports
        instead): asked of tor once per source, through the control connection `check()` opened."""
        if source.name in self._browser_socks:
            return self._browser_socks[source.name]
        if self._tor is None or self.socks[0] not in ("127.0.0.1", "localhost"):
            return self.socks[1]  # a remote tor: its one SocksPort, shared by the browser sources
        try:
            port = self._tor.add_socks_port()
        except Exception as exc:  # TorUnavailable, or stem refusing the SETCONF
            self._drop()
            raise RouteUnavailable("tor_unavailable", f"tor would not open a SocksPort for {source.name}: "
                                   f"{exc}; refusing to fetch") from None
        self._browser_socks[source.name] = port
        return port

    def new_identity(self, source) -> str:
        """Fresh circuits for `source` (it blocked or rate-limited us): its next requests carry new
        credentials, so tor builds them new circuits; NEWNYM too when tor allows one now (tor rate-limits
        it, and the reactor must not sleep)."""
        self._generation[source.name] = self._generation.get(source.name, 0) + 1
        if self._tor is not None and self._tor.controller.is_newnym_available():
            self._tor.new_identity()
            return "newnym"
        return "new_credentials"

    def close(self) -> None:
        self._drop()
