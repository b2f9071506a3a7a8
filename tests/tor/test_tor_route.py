"""TorRoute's requests, built directly (its __init__ takes plain values): what they carry to tor."""

import base64
from types import SimpleNamespace

import pytest
from scrapy import Request

from leakwatch.crawler.routes import RouteUnavailable, TorRoute


def _route(**kwargs):
    return TorRoute(**{"http_tunnel": "127.0.0.1:9080", "socks": "127.0.0.1:9050", "control": "9051", **kwargs})


def _token(request):
    scheme, _, encoded = request.headers[b"Proxy-Authorization"].decode().partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(encoded).decode()


def test_every_request_goes_to_the_tunnel_with_credentials_of_its_source():
    route, pastes, forum = _route(), SimpleNamespace(name="pastes"), SimpleNamespace(name="forum")
    a, b, c = Request("http://x.onion/a"), Request("http://x.onion/b"), Request("https://example.org/")
    route.apply(a, pastes), route.apply(b, pastes), route.apply(c, forum)
    assert {r.meta["proxy"] for r in (a, b, c)} == {"http://127.0.0.1:9080"}
    assert all(r.meta["leakwatch_tor"] for r in (a, b, c))
    assert _token(a) == _token(b) == "tor:leakwatch-pastes-0" and _token(c) == "tor:leakwatch-forum-0"


def test_new_identity_gives_the_source_new_credentials_and_leaves_the_others_alone():
    route, pastes, forum = _route(), SimpleNamespace(name="pastes"), SimpleNamespace(name="forum")
    assert route.new_identity(pastes) == "new_credentials"  # no controller attached: no NEWNYM
    a, c = Request("http://x.onion/a"), Request("http://y.onion/")
    route.apply(a, pastes), route.apply(c, forum)
    assert _token(a) == "tor:leakwatch-pastes-1" and _token(c) == "tor:leakwatch-forum-0"


def test_browser_pages_get_tor_socks5_proxy_with_no_loopback_bypass():
    proxy = _route().playwright_context_kwargs(SimpleNamespace(name="js"))["proxy"]
    assert proxy == {"server": "socks5://127.0.0.1:9050", "bypass": "<-loopback>"}
    with pytest.raises(RouteUnavailable, match="LEAKWATCH_TOR_SOCKS"):
        _route(socks="").playwright_context_kwargs(SimpleNamespace(name="js"))


@pytest.mark.parametrize("missing", ["http_tunnel", "control"])
def test_a_route_without_its_tor_settings_refuses(missing):
    with pytest.raises(RouteUnavailable, match="no Tor configured") as info:
        _route(**{missing: ""}).check()
    assert info.value.reason == "tor_unavailable"


def test_tor_handler_refuses_a_tor_request_that_lost_its_tunnel_proxy():
    from leakwatch.crawler.tor.handler import TunnelError, _TorScrapyAgent

    request = Request("http://x.onion/", meta={"leakwatch_tor": True, "proxy": None})
    agent = _TorScrapyAgent.__new__(_TorScrapyAgent)  # _get_agent reads nothing of the instance before refusing
    with pytest.raises(TunnelError, match="has no tunnel proxy"):
        agent._get_agent(request, 10)
