"""Routing: Tor is the default and fails closed when no Tor is configured; direct only when written."""

from crawl_job import source_yaml, sources_yaml


def test_route_tor_fails_closed_without_a_single_request_reaching_the_site(sites, crawl):
    run = crawl(sources_yaml(source_yaml("hidden-js", "js_pages", sites.urls["js"], route=None),  # the default: tor
                             source_yaml("hidden-forum", "forum", sites.urls["forum"], route="tor",
                                         credentials="env:LW_TEST_FORUM_USER/LW_TEST_FORUM_PASSWORD"),
                             source_yaml("open-api", "paste_api", sites.urls["paste"])),
                ["hidden-js", "hidden-forum", "open-api"])
    assert run.returncode == 1  # a source failed
    for name in ("hidden-js", "hidden-forum"):
        assert run.results[name]["reason"] == "tor_unavailable" and not run.results[name]["ok"]
        assert run.results[name]["stats"].get("downloader/request_count", 0) == 0
        assert f"source {name}: no Tor configured" in run.log
    assert {e["site"] for e in sites.access_log()} == {"paste"}  # js and forum: nothing reached them
    assert run.results["open-api"]["ok"] and len(run.of("open-api")) == 52
    assert run.log.count("source open-api: route direct (no Tor)") == 1
    assert "ERROR" in run.log.split("no Tor configured")[0].rsplit("\n", 1)[-1]


def test_an_unreachable_store_stops_the_source_before_any_request(sites, crawl):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = crawl(sources_yaml(source_yaml("pastes", "paste_listing", sites.urls["paste"])), ["pastes"],
                {"LEAKWATCH_REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    assert run.returncode == 1
    result = run.results["pastes"]
    assert result["reason"] == "error" and "StoreUnavailable" in result["error"] and not result["ok"]
    assert sites.access_log() == []
