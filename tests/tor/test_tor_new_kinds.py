"""The leak site as an onion service (its plain and its JS-built list), and Telegram's preview by the exit
relay, crawled through the private Tor network. As in test_tor_network, proof comes from the peers: the
fixture site's access log gives each connection's client port, /proc the process that held it."""

import time
from urllib.parse import urlsplit

from crawl_job import source_yaml, sources_yaml
from test_tor_network import SocketOwners, _check_owners, _hardened_chromium, _since
from tor_helpers import TOR_BROWSER_HANDLERS


def test_onion_leak_site_is_crawled_through_its_onion_service_with_and_without_a_browser(tor_sites, tor_network,
                                                                                         crawl):
    onion = tor_network.onion_address("leaks")
    t0 = time.time()
    with SocketOwners([urlsplit(tor_sites.urls["leaks"]).port]) as owners:
        run = crawl(sources_yaml(source_yaml("leaks-onion", "leak_site", f"http://{onion}", route="tor",
                                             concurrency=4),
                                 source_yaml("leaks-app", "leak_site", f"http://{onion}", route="tor", browser=True,
                                             concurrency=2, leak_site={"path": "/app"})),
                    ["leaks-onion", "leaks-app"], {**TOR_BROWSER_HANDLERS, **tor_network.leakwatch_settings,
                                                   "PLAYWRIGHT_LAUNCH_OPTIONS": _hardened_chromium()}, timeout=400)
    assert run.returncode == 0, run.results
    victims = tor_sites.content["leaks"]["victims"]
    files = {f"/files/{v['slug']}/{name}" for v in victims for name in v["files"]}
    files |= {f"/download/{v['slug']}.zip" for v in victims if v["archive"]}
    for name in ("leaks-onion", "leaks-app"):
        items = run.of(name)
        assert {i["key"] for i in items if i["kind"] == "post"} == {f"victim:{v['slug']}" for v in victims}, name
        assert {urlsplit(i["url"]).path for i in items if i["kind"] == "attachment"} == files, name
        assert all(urlsplit(i["url"]).hostname == onion for i in items)
    assert run.results["leaks-app"]["stats"]["playwright/page_count"] > 0
    # Every connection to the leak site came from the onion service's tor, none from Chromium or the crawler.
    _check_owners(_since(tor_sites, t0, "leaks"), owners, tor_network.service.process.pid)
