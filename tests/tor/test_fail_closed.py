"""Fail-closed without a Tor network: a `route: tor` source whose tor is missing, unreachable or not
wired into the download handlers stops with `tor_unavailable`, and the site sees nothing."""

from tor_helpers import TOR_BROWSER_HANDLERS, TOR_HANDLERS, free_port
from crawl_job import source_yaml, sources_yaml


def _tor_sources(sites):
    return sources_yaml(source_yaml("hidden-pastes", "paste_listing", sites.urls["paste"], route="tor"),
                        source_yaml("hidden-js", "js_pages", sites.urls["js"], route=None))  # default: tor


def _assert_closed(run, names, message):
    assert run.returncode == 1
    for name in names:
        result = run.results[name]
        assert result["reason"] == "tor_unavailable" and not result["ok"], result
        assert result["stats"].get("downloader/request_count", 0) == 0
        assert f"source {name}: {message}" in run.log


def test_nothing_listening_on_tor_ports_stops_the_crawl_with_zero_requests_to_the_site(sites, crawl):
    settings = {**TOR_BROWSER_HANDLERS, "LEAKWATCH_TOR_CONTROL": f"127.0.0.1:{free_port()}",
                "LEAKWATCH_TOR_HTTP_TUNNEL": f"127.0.0.1:{free_port()}",
                "LEAKWATCH_TOR_SOCKS": f"127.0.0.1:{free_port()}"}
    run = crawl(_tor_sources(sites), ["hidden-pastes", "hidden-js"], settings)
    _assert_closed(run, ["hidden-pastes", "hidden-js"], "Tor is unavailable: tor's control port")
    assert sites.access_log() == []


def test_no_tor_configured_stops_the_crawl_with_zero_requests_to_the_site(sites, crawl):
    run = crawl(_tor_sources(sites), ["hidden-pastes", "hidden-js"], TOR_BROWSER_HANDLERS)
    _assert_closed(run, ["hidden-pastes", "hidden-js"], "no Tor configured")
    assert sites.access_log() == []


def test_tor_route_without_the_tunnel_handler_refuses_rather_than_sending_plain_http_to_a_proxy(sites, crawl):
    # A deployment whose settings put Scrapy's plain handler back (crawler/settings.py names Tor's).
    scrapy_handler = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"
    settings = {"LEAKWATCH_TOR_CONTROL": f"127.0.0.1:{free_port()}",
                "LEAKWATCH_TOR_HTTP_TUNNEL": f"127.0.0.1:{free_port()}",
                "DOWNLOAD_HANDLERS": {"http": scrapy_handler, "https": scrapy_handler}}
    run = crawl(sources_yaml(source_yaml("hidden-pastes", "paste_listing", sites.urls["paste"], route="tor")),
                ["hidden-pastes"], settings)
    _assert_closed(run, ["hidden-pastes"], "DOWNLOAD_HANDLERS for http/https are not Tor's")
    assert sites.access_log() == []


def test_direct_sources_still_crawl_next_to_a_failed_tor_source(sites, crawl):
    settings = {**TOR_HANDLERS, "LEAKWATCH_TOR_CONTROL": f"127.0.0.1:{free_port()}",
                "LEAKWATCH_TOR_HTTP_TUNNEL": f"127.0.0.1:{free_port()}"}
    run = crawl(sources_yaml(source_yaml("hidden-pastes", "paste_listing", sites.urls["paste"], route="tor"),
                             source_yaml("open-api", "paste_api", sites.urls["paste"])),
                ["hidden-pastes", "open-api"], settings)
    _assert_closed(run, ["hidden-pastes"], "Tor is unavailable")
    assert run.results["open-api"]["ok"] and len(run.of("open-api")) == 52
    assert {e["path"].split("?")[0] for e in sites.access_log()} <= {"/api_scraping.php", "/api_scrape_item.php"}


def test_a_tor_that_has_not_bootstrapped_stops_the_crawl_with_zero_requests_to_the_site(sites, crawl, tmp_path):
    from leakwatch.crawler.tor import TorController

    # DisableNetwork: this tor stays at 0% and opens no connection at all.
    with TorController.launch(tmp_path / "tor", extra_config={"DisableNetwork": "1"}, timeout=30) as tor:
        settings = {**TOR_HANDLERS, "LEAKWATCH_TOR_CONTROL": f"127.0.0.1:{tor.controller.get_socket().port}",
                    "LEAKWATCH_TOR_COOKIE": str(tor.data_dir / "control_auth_cookie"),
                    "LEAKWATCH_TOR_HTTP_TUNNEL": f"127.0.0.1:{tor.http_tunnel_port}"}
        run = crawl(sources_yaml(source_yaml("hidden-pastes", "paste_listing", sites.urls["paste"], route="tor")),
                    ["hidden-pastes"], settings)
        _assert_closed(run, ["hidden-pastes"], "Tor is unavailable: tor is not bootstrapped: 0%")
    assert sites.access_log() == []
