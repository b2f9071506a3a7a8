"""`TorDownloadHandler`: Scrapy's HTTP/1.1 handler, every request of a Tor-routed source tunnelled
through tor's HTTPTunnelPort with HTTP CONNECT.

Why HTTP CONNECT to tor, and not a SOCKS handler or a proxy in between:
- No local name resolution, ever. `CONNECT host:port` hands the *hostname* to tor, which resolves it
  at the exit (or looks up the onion service); this process never calls getaddrinfo for a target.
  Scrapy's own CONNECT code (`_TunnelingTCP4ClientEndpoint`) sends the hostname as it is.
- Nothing new on the wire path: Scrapy's kept tunnelling endpoint and agent, tor's own listener. A
  SOCKS5h handler would mean our own protocol code (Twisted ships no SOCKS client); privoxy & co.
  would be one more process that could be misconfigured into resolving names itself.
- Scrapy tunnels only https through a proxy; plain http goes as `GET http://...` to the proxy,
  which tor's HTTPTunnelPort refuses (it speaks CONNECT only). This handler tunnels plain http too:
  CONNECT, then HTTP in the clear inside the tunnel (tor carries it encrypted to the exit; onion
  services end to end).
- Isolation: tor 0.4.9 keeps a CONNECT's `Proxy-Authorization` value as the stream's SOCKS username
  (its STREAM events show `SOCKS_USERNAME="Basic ..."`, `CLIENT_PROTOCOL=HTTPCONNECT`), and
  IsolateSOCKSAuth (on by default) keeps streams with different credentials on different circuits.
  TorRoute gives every source its own `Basic base64("tor:" + token)`, the form tor's log asks for.

Requests that carry `meta["leakwatch_tor"]` (set by crawler.routes.TorRoute) go this way; the others
are Scrapy's (a `route: direct` source). Fail-closed either way: a Tor request always has
`meta["proxy"]` set to the tunnel port, so if it cannot connect there, it fails; there is no path from
here to the target that skips tor.

`leakwatch.crawler.tor.playwright_handler.TorPlaywrightDownloadHandler` is the same for sources with a browser: pages go to scrapy-playwright
(whose Chromium context has the route's socks5 proxy), other requests of the source through the tunnel.
"""

import re

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    ResponseDataLossError,
    TunnelError,
    _ScrapyAgent,
    _TunnelingAgent,
    _TunnelingTCP4ClientEndpoint,
    get_dataloss_msg,
    logger,
    maybe_deferred_to_future,
    normalize_bind_address,
    wrap_twisted_exceptions,
)
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.python import to_bytes

META_KEY = "leakwatch_tor"


class _TorTunnelEndpoint(_TunnelingTCP4ClientEndpoint):
    """Scrapy's CONNECT endpoint, for http too: after `200`, TLS only when the target is https."""

    def __init__(self, *args, tls: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self._tls = tls

    def processProxyResponse(self, data: bytes) -> None:
        if self._tls:
            return super().processProxyResponse(data)
        self._connectBuffer += data
        if b"\r\n\r\n" not in self._connectBuffer:
            return
        self._protocol.dataReceived = self._protocolDataReceived
        head, _, rest = bytes(self._connectBuffer).partition(b"\r\n\r\n")
        match = self._responseMatcher.match(head)
        if match and int(match.group("status")) == 200:
            self._tunnelReadyDeferred.callback(self._protocol)
            if rest:  # the server spoke first, inside the tunnel: hand its bytes on
                self._protocol.dataReceived(rest)
        else:
            extra = ({"status": int(match.group("status")), "reason": match.group("reason").strip()}
                     if match else head[:self._truncatedLength])
            self._protocol.transport.loseConnection()
            self._tunnelReadyDeferred.errback(
                TunnelError(f"tor refused the CONNECT tunnel on {self._host}:{self._port} [{extra!r}]"))


class _TorTunnelAgent(_TunnelingAgent):
    def _getEndpoint(self, uri):
        return _TorTunnelEndpoint(
            reactor=self._reactor, host=uri.host, port=uri.port, proxyConf=self._proxyConf,
            contextFactory=self._contextFactory, timeout=self._endpointFactory._connectTimeout,
            bindAddress=self._endpointFactory._bindAddress, tls=uri.scheme == b"https")


class _TorScrapyAgent(_ScrapyAgent):
    def _get_agent(self, request, timeout):
        from twisted.internet import reactor

        proxy = request.meta.get("proxy")
        match = re.fullmatch(r"http://([^/:@]+):(\d+)/?", proxy or "")
        if not match:
            # Never a direct connection for a Tor request, whatever a middleware did to its meta.
            raise TunnelError(f"Tor request {request.url} has no tunnel proxy (meta proxy {proxy!r}); refused")
        proxy_conf = (match.group(1), int(match.group(2)), request.headers.get(b"Proxy-Authorization"))
        if urlparse_cached(request).scheme not in ("http", "https"):
            raise TunnelError(f"{request.url}: only http and https go through Tor")
        return _TorTunnelAgent(
            reactor=reactor, proxyConf=proxy_conf, contextFactory=self._contextFactory,
            connectTimeout=timeout, bindAddress=normalize_bind_address(self._bindAddress), pool=self._pool)


class TorTunnelMixin:
    """Sends requests marked by TorRoute through `_TorScrapyAgent`; the rest to the next handler."""

    async def download_request(self, request):
        if not request.meta.get(META_KEY) or request.meta.get("playwright"):
            return await super().download_request(request)
        spider = self._crawler.spider
        agent = _TorScrapyAgent(
            contextFactory=self._contextFactory, bindAddress=self._bind_address, pool=self._pool,
            maxsize=getattr(spider, "download_maxsize", self._default_maxsize),
            warnsize=getattr(spider, "download_warnsize", self._default_warnsize),
            fail_on_dataloss=self._fail_on_dataloss, crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging)
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise


class TorDownloadHandler(TorTunnelMixin, HTTP11DownloadHandler):
    pass


__all__ = ["META_KEY", "TorDownloadHandler", "TorTunnelMixin"]
