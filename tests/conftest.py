"""Session-wide real peers. A missing binary fails the suite with the command that installs it."""

import shutil
import uuid

import pytest
import redis

from leakwatch.matchers.registry.local_server import INSTALL_HINT, LocalRedis


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server on a free loopback port, AOF on, for the whole session."""
    if shutil.which("redis-server") is None:
        pytest.fail(f"redis-server is not installed; {INSTALL_HINT} (or run `make test`, which installs it)")
    server = LocalRedis(tmp_path_factory.mktemp("redis"))
    url = server.ensure()
    yield server, url
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    return redis_server[1]


@pytest.fixture
def namespace():
    """A key prefix of its own for each test: tests share one server, never each other's keys."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


# ---------------------------------------------------------------- fixture sites and the private Tor network


@pytest.fixture(scope="session")
def crawl_content(tmp_path_factory):
    """The fixture sites' content (three planted labs), built once."""
    from world.synth import make_institutions
    from world.sites import build_content

    out = tmp_path_factory.mktemp("crawl-sites")
    build_content(out, make_institutions(3, rows=80, seed=7), seed=7)
    return out


@pytest.fixture(scope="session")
def probe_site():
    """An HTTP server on a free 127.0.0.1 port; `.log` lists each request with its peer and the peer's pid."""
    import threading
    from http.server import ThreadingHTTPServer

    from tor_peers import PAGE, ProbeHandler

    server = ThreadingHTTPServer(("127.0.0.1", 0), ProbeHandler)
    server.log = []
    server.page = PAGE
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def tor_binaries():
    """Fails, never skips, without tor and tor-gencert."""
    from tor_peers import require_tor

    require_tor()


@pytest.fixture(scope="session")
def tor_sites(crawl_content, tmp_path_factory):
    """The fixture sites the Tor tests crawl, served once (tests tell their requests apart by time)."""
    import json

    from world.sites import FixtureSites

    copy = tmp_path_factory.mktemp("tor-sites") / "content"
    shutil.copytree(crawl_content, copy)
    with FixtureSites(copy) as running:
        running.content = json.loads((copy / "content.json").read_text(encoding="utf-8"))
        yield running


@pytest.fixture(scope="session")
def tor_network(tmp_path_factory, tor_binaries, probe_site, tor_sites):
    """The private Tor network, started once per session and shared by every test that needs it.

    Onion services: "probe" (the probe site), "forum", "js" and "leaks" (the fixture sites). `.tor` is a stem
    controller attached to the client; `.leakwatch_settings` the crawl settings that route through it.
    """
    from urllib.parse import urlsplit

    from leakwatch.crawler.tor import TorController
    from world.tornet import TorNetwork

    targets = {"probe": probe_site.server_port,
               **{name: urlsplit(tor_sites.urls[name]).port for name in ("forum", "js", "leaks")}}
    network = TorNetwork(tmp_path_factory.mktemp("tornet"), onion_targets=targets)
    network.start()
    try:
        network.attach = lambda: TorController.attach(network.control_port, cookie_path=network.cookie_path)
        network.tor = network.attach()
        network.tunnel_port = network.http_tunnel_port
        network.leakwatch_settings = {
            "LEAKWATCH_TOR_CONTROL": f"127.0.0.1:{network.control_port}",
            "LEAKWATCH_TOR_COOKIE": str(network.cookie_path),
            "LEAKWATCH_TOR_HTTP_TUNNEL": f"127.0.0.1:{network.http_tunnel_port}",
            "LEAKWATCH_TOR_SOCKS": f"127.0.0.1:{network.socks_port}",
        }
        yield network
        network.tor.close()
    finally:
        network.stop()


@pytest.fixture
def env(tmp_path, redis_url, namespace):
    """The environment of a CLI command run on the session's Redis, in a fresh home and namespace,
    with an empty config file (nothing read from the machine's own)."""
    (tmp_path / "none.yaml").write_text("{}\n")
    return {"LEAKWATCH_HOME": str(tmp_path / "home"), "LEAKWATCH_REDIS_URL": redis_url,
            "LEAKWATCH_NAMESPACE": namespace, "LEAKWATCH_CONFIG": str(tmp_path / "none.yaml")}
