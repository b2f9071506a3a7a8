"""Crawls through the private Tor network (world.tornet): the paste site by the exit relay, the forum
and the JS site as onion services. Proof comes from the peers, not from the crawler: the fixture site's
access log gives each connection's client port, and /proc says which process held that socket; tor's
STREAM events say which circuit and which SOCKS credentials carried each stream.

The network and the sites are the session's (tests/conftest.py); the test that stops the client tor
starts it again.
"""

import base64
import json
import os
import re
import socket
import threading
import time
from urllib.parse import urlsplit


from tor_helpers import TOR_BROWSER_HANDLERS, TOR_HANDLERS
from crawl_job import source_yaml, sources_yaml

CREDENTIALS = "env:LW_TEST_FORUM_USER/LW_TEST_FORUM_PASSWORD"


class ProcSampler:
    """Calls `sample()` every `every` seconds in a thread while a crawl runs (a `with` block)."""

    every = 0.01

    def __init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            time.sleep(self.every)

    def sample(self):
        raise NotImplementedError


class SocketOwners(ProcSampler):
    """Which process held each client socket to the given ports, from /proc."""

    def __init__(self, server_ports):
        super().__init__()
        self.server_ports = set(server_ports)
        self.owner = {}  # client port -> pid

    def sample(self):
        inodes = {}  # inode -> client port
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    local_port = int(fields[1].rsplit(":", 1)[1], 16)
                    remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                    if remote_port in self.server_ports and fields[9] != "0":
                        inodes[fields[9]] = local_port
        if not inodes:
            return
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    match = re.fullmatch(r"socket:\[(\d+)\]", target)
                    if match and match.group(1) in inodes:
                        self.owner[inodes[match.group(1)]] = int(pid)
            except (FileNotFoundError, PermissionError, ProcessLookupError):
                continue


def _no_local_dns(tmp_path):
    """Crawl settings that make every local name lookup of the crawl fail, and log it."""
    log = tmp_path / "dns.log"
    return log, {"TWISTED_DNS_RESOLVER": "tests.tor.refusing_resolver.RefusingResolver", "LW_TEST_DNS_LOG": str(log)}


def _since(sites, t0, site):
    return [e for e in sites.access_log() if e["t"] >= t0 and e["site"] == site]


def _visible(content, site="paste"):
    return {i["key"]: i["text"].encode(i["charset"]) for i in content[site]["items"] if not i["hidden"]}


def _check_owners(entries, owners, pid):
    """Every sampled connection was the given tor's; each one seen at least once."""
    seen = {e["port"]: owners.owner.get(e["port"]) for e in entries}
    sampled = {port: owner for port, owner in seen.items() if owner is not None}
    assert sampled, f"no connection of {len(seen)} sampled"
    assert set(sampled.values()) == {pid}, sampled
    return len(sampled), len(seen)


def test_paste_site_is_crawled_through_the_exit_relay_and_never_from_the_crawler(tor_sites, tor_network, crawl,
                                                                                 tmp_path):
    url = tor_sites.urls["paste"]  # an IP: the exit has no resolver; the onion forum test carries a name
    dns_log, no_dns = _no_local_dns(tmp_path)
    t0 = time.time()
    with SocketOwners([urlsplit(url).port]) as owners:
        run = crawl(sources_yaml(source_yaml("pastes", "paste_listing", url, route="tor", concurrency=4)), ["pastes"],
                    {**TOR_HANDLERS, **tor_network.leakwatch_settings, **no_dns}, timeout=300)
    assert run.returncode == 0 and run.results["pastes"]["ok"], run.results
    assert not dns_log.exists()
    items = {i["key"]: base64.b64decode(i["body_b64"]) for i in run.of("pastes")}
    assert items == _visible(tor_sites.content)  # all 52, byte for byte
    entries = _since(tor_sites, t0, "paste")
    assert entries and {e["client"] for e in entries} == {"127.0.0.1"}
    _check_owners(entries, owners, tor_network.exit_node.process.pid)
    assert "Proxy-Authorization" not in run.log  # the credentials stay between us and tor


def test_an_https_site_is_crawled_through_the_tunnel_with_tls_end_to_end(tor_sites, tor_network, crawl, tmp_path):
    from tor_peers import TLSFront

    front = TLSFront(urlsplit(tor_sites.urls["paste"]).port, tmp_path)
    try:
        with SocketOwners([front.port]) as owners:
            run = crawl(sources_yaml(source_yaml("pastes-tls", "paste_listing", f"https://127.0.0.1:{front.port}",
                                                 route="tor", concurrency=4)),
                        ["pastes-tls"], {**TOR_HANDLERS, **tor_network.leakwatch_settings}, timeout=300)
    finally:
        front.close()
    assert run.returncode == 0, run.results
    assert {i["key"] for i in run.of("pastes-tls")} == set(_visible(tor_sites.content))
    assert all(i["url"].startswith("https://") for i in run.of("pastes-tls"))
    # TLS was spoken with the site (through the tunnel), and every connection to it came from the exit.
    assert front.handshakes >= 1
    assert set(owners.owner.values()) == {tor_network.exit_node.process.pid}, owners.owner


def test_onion_forum_is_crawled_through_the_onion_service(tor_sites, tor_network, crawl, tmp_path):
    onion = tor_network.onion_address("forum")
    dns_log, no_dns = _no_local_dns(tmp_path)
    t0 = time.time()
    with SocketOwners([urlsplit(tor_sites.urls["forum"]).port]) as owners:
        run = crawl(sources_yaml(source_yaml("forum", "forum", f"http://{onion}", route="tor",
                                             credentials=CREDENTIALS, concurrency=4)), ["forum"],
                    {**TOR_HANDLERS, **tor_network.leakwatch_settings, **no_dns}, timeout=400)
    result = run.results["forum"]
    assert run.returncode == 0 and result["ok"], result
    assert not dns_log.exists()
    forum = tor_sites.content["forum"]
    visible = {p["id"] for p in forum["posts"] if not p["hidden"]}
    posts = {i["key"] for i in run.of("forum") if i["kind"] == "post"}
    assert posts == {f"post:{pid}" for pid in visible}
    assert all(urlsplit(i["url"]).hostname == onion for i in run.of("forum"))
    entries = _since(tor_sites, t0, "forum")
    _check_owners(entries, owners, tor_network.service.process.pid)


def _stream_events(controller):
    from stem.control import EventType

    events = []
    listener = events.append
    controller.add_event_listener(listener, EventType.STREAM)
    return events, lambda: controller.remove_event_listener(listener)


def test_each_source_gets_circuits_of_its_own(tor_sites, tor_network, crawl):
    url = tor_sites.urls["paste"]
    events, stop = _stream_events(tor_network.tor.controller)
    try:
        run = crawl(sources_yaml(source_yaml("pastes", "paste_listing", url, route="tor", concurrency=2),
                                 source_yaml("pastes-api", "paste_api", url, route="tor", concurrency=2)),
                    ["pastes", "pastes-api"], {**TOR_HANDLERS, **tor_network.leakwatch_settings}, timeout=300)
        time.sleep(1)
    finally:
        stop()
    assert run.returncode == 0, run.results
    circuits = {}  # isolation token -> ids of the circuits that carried its streams
    for event in events:
        if event.status == "SUCCEEDED" and event.target_port == urlsplit(url).port:
            # tor 0.4.9 keeps a CONNECT's whole Proxy-Authorization value as the stream's SOCKS username.
            assert event.keyword_args["CLIENT_PROTOCOL"] == "HTTPCONNECT"
            scheme, _, encoded = event.keyword_args["SOCKS_USERNAME"].partition(" ")
            token = base64.b64decode(encoded).decode().removeprefix("tor:")
            circuits.setdefault(token, set()).add(event.circ_id)
    assert set(circuits) == {"leakwatch-pastes-0", "leakwatch-pastes-api-0"}, circuits
    assert not circuits["leakwatch-pastes-0"] & circuits["leakwatch-pastes-api-0"]


def _fetch_through_tunnel(port, host, target_port, token):
    credentials = base64.b64encode(f"tor:{token}".encode()).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
        conn.sendall(f"CONNECT {host}:{target_port} HTTP/1.1\r\nHost: {host}:{target_port}\r\n"
                     f"Proxy-Authorization: Basic {credentials}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(1)
        assert head.startswith(b"HTTP/1.0 200") or head.startswith(b"HTTP/1.1 200"), head
        conn.sendall(f"GET /archive HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        body = b""
        while chunk := conn.recv(65536):
            body += chunk
    return body


def test_newnym_moves_a_source_to_a_new_circuit(tor_sites, tor_network):
    port = urlsplit(tor_sites.urls["paste"]).port
    tor = tor_network.tor
    events, stop = _stream_events(tor.controller)

    def circuit_of_next_fetch():
        before = len(events)
        assert _fetch_through_tunnel(tor_network.tunnel_port, "127.0.0.1", port, "newnym-test").startswith(b"HTTP/1")
        time.sleep(0.3)
        # The circuit the stream ended on: tor may detach a slow stream and retry it on another
        # circuit, so a fetch can show two SUCCEEDED events; the last one is where it went.
        succeeded = [e.circ_id for e in events[before:] if e.status == "SUCCEEDED" and e.target_port == port]
        return {succeeded[-1]} if succeeded else set()

    try:
        first = circuit_of_next_fetch()
        again = circuit_of_next_fetch()
        tor.new_identity()
        after = circuit_of_next_fetch()
    finally:
        stop()
    assert len(first) == 1 and again == first  # same credentials, no NEWNYM: the same circuit
    assert len(after) == 1 and after != first


def _hardened_chromium():
    """crawler/settings.py's Chromium, plus: every local name lookup fails (so the pages' success proves
    Chromium sent hostnames to tor), and WebRTC sends no UDP outside the proxy."""
    from leakwatch.crawler import settings

    options = dict(settings.PLAYWRIGHT_LAUNCH_OPTIONS)
    options["args"] = [*options["args"], "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                       "--force-webrtc-ip-handling-policy=disable_non_proxied_udp"]
    return options


def test_playwright_loads_js_only_pages_through_tor(tor_sites, tor_network, crawl):
    onion = tor_network.onion_address("js")
    local = tor_sites.urls["js"]
    t0 = time.time()
    with SocketOwners([urlsplit(local).port]) as owners:
        run = crawl(sources_yaml(source_yaml("js-onion", "js_pages", f"http://{onion}", route="tor", concurrency=2),
                                 source_yaml("js-local", "js_pages", local, route="tor", concurrency=2, max_pages=3)),
                    ["js-onion", "js-local"], {**TOR_BROWSER_HANDLERS, **tor_network.leakwatch_settings,
                                               "PLAYWRIGHT_LAUNCH_OPTIONS": _hardened_chromium()}, timeout=400)
    assert run.returncode == 0, run.results
    expected = {i["key"] for i in tor_sites.content["js"]["items"] if not i["hidden"]}
    assert {i["key"] for i in run.of("js-onion")} == expected
    assert run.results["js-onion"]["stats"]["playwright/page_count"] == len(expected)
    assert run.of("js-local")  # 127.0.0.1 too goes through tor: Chromium's loopback bypass is off
    entries = _since(tor_sites, t0, "js")
    owners_seen = {owners.owner.get(e["port"]) for e in entries} - {None}
    # The onion pages came from the onion service, the 127.0.0.1 ones from the exit; none from Chromium.
    assert owners_seen == {tor_network.service.process.pid, tor_network.exit_node.process.pid}, owners_seen


class LoopbackPeers(ProcSampler):
    """The remote ports of each loopback client port, so a stream's SOURCE_ADDR (Chromium's end)
    tells which tor SocksPort it came in on. A port number is not one connection's: the private
    network's relays connect from ephemeral ports too, and one number can be in use towards two
    destinations at once, so every remote port seen is kept and the caller picks the listener."""

    every = 0.005

    def __init__(self):
        super().__init__()
        self.remote = {}  # local port -> remote ports

    def sample(self):
        with open("/proc/net/tcp") as table:
            for line in table.readlines()[1:]:
                fields = line.split()
                if fields[3] == "01":  # ESTABLISHED
                    local, remote = (int(fields[i].rsplit(":", 1)[1], 16) for i in (1, 2))
                    self.remote.setdefault(local, set()).add(remote)


def test_each_browser_source_gets_a_socks_port_and_circuits_of_its_own(tor_sites, tor_network, crawl):
    local = tor_sites.urls["js"]
    js_port = urlsplit(local).port
    events, stop = _stream_events(tor_network.tor.controller)
    try:
        with LoopbackPeers() as peers:
            run = crawl(sources_yaml(source_yaml("js-a", "js_pages", local, route="tor", max_pages=3),
                                     source_yaml("js-b", "js_pages", local, route="tor", max_pages=3)),
                        ["js-a", "js-b"], {**TOR_BROWSER_HANDLERS, **tor_network.leakwatch_settings}, timeout=400)
            time.sleep(0.5)
    finally:
        stop()
    assert run.returncode == 0, run.results
    assert run.of("js-a") and run.of("js-b")
    # A stream's NEW event names its client end (Chromium's socket), its SUCCEEDED event its circuit.
    client_end = {e.id: int(e.source_addr.rsplit(":", 1)[1]) for e in events if e.status == "NEW" and e.source_addr}
    listeners = {int(port) for port in re.findall(r":(\d+)", tor_network.tor.controller.get_info("net/listeners/socks"))}
    circuits = {}  # the SocksPort a stream came in on -> circuits that carried it
    for event in events:
        if event.status == "SUCCEEDED" and event.target_port == js_port and event.id in client_end:
            socks = peers.remote.get(client_end[event.id], set()) & listeners
            if len(socks) == 1:  # the client port was another SocksPort's too at some time: not told apart
                circuits.setdefault(socks.pop(), set()).add(event.circ_id)
    # (Scrapy's own requests of the spiders came in on the HTTPTunnelPort, isolated by credentials.)
    ports = sorted(circuits)
    # Two SocksPorts opened for the two sources' browser pages, neither the shared one; no circuit in common.
    assert len(ports) == 2 and tor_network.socks_port not in ports, circuits
    assert not circuits[ports[0]] & circuits[ports[1]]


def test_a_source_that_rate_limits_us_is_moved_to_new_circuits(tor_sites, tor_network, crawl):
    url = tor_sites.urls["limited"]
    port = urlsplit(url).port
    t0 = time.time()
    events, stop = _stream_events(tor_network.tor.controller)
    try:
        run = crawl(sources_yaml(source_yaml("limited", "paste_listing", url, route="tor")), ["limited"],
                    {**TOR_HANDLERS, **tor_network.leakwatch_settings}, timeout=300)
        time.sleep(0.5)
    finally:
        stop()
    result = run.results["limited"]
    assert result["ok"], result
    refused = [e for e in _since(tor_sites, t0, "limited") if e["status"] == 429]
    new_identities = sum(v for k, v in result["stats"].items() if k.startswith("leakwatch/new_identity/"))
    seen = [(e["path"], e["status"]) for e in _since(tor_sites, t0, "limited")]
    assert refused and new_identities == result["stats"].get("retry_after/count") == len(refused), \
        (seen, {k: v for k, v in result["stats"].items() if "retry" in k or "identity" in k or "response_status" in k})
    circuits = {}  # isolation token -> circuits
    for event in events:
        if event.status == "SUCCEEDED" and event.target_port == port:
            _, _, encoded = event.keyword_args["SOCKS_USERNAME"].partition(" ")
            token = base64.b64decode(encoded).decode().removeprefix("tor:")
            circuits.setdefault(token, set()).add(event.circ_id)
    # Every refusal gave the source new credentials, and so circuits no earlier identity used.
    assert "leakwatch-limited-0" in circuits and f"leakwatch-limited-{len(refused)}" in circuits, circuits
    tokens = sorted(circuits, key=lambda t: int(t.rsplit("-", 1)[1]))
    assert not circuits[tokens[0]] & circuits[tokens[-1]]


def test_tor_status_shows_bootstrap_circuits_and_the_exit_in_use(tor_network):
    from leakwatch.crawler.tor import tor_status

    status = tor_status(tor_network.control_port, cookie_path=tor_network.cookie_path)
    json.dumps(status)  # what `leakwatch tor status --json` prints
    assert status["ready"] and status["bootstrap"]["progress"] == 100
    assert status["socks_port"] == tor_network.socks_port and status["http_tunnel_port"] == tor_network.tunnel_port
    assert any(c["status"] == "BUILT" for c in status["circuits"])
    assert [e["fingerprint"] for e in status["exits"]] == [tor_network.exit_fingerprint]
    assert status["exits"][0]["address"] == "127.0.0.1"


def test_tor_stopping_mid_crawl_stops_the_source_and_nothing_reaches_the_site_after(tor_sites, tor_network, crawl,
                                                                                      tmp_path):
    """Stops the client tor mid-crawl; starts it again afterwards for the tests that follow."""
    url = tor_sites.urls["paste"]
    port = urlsplit(url).port
    t0 = time.time()
    stopped = {}

    def stop_after_some_requests():
        while len(_since(tor_sites, t0, "paste")) < 5 and time.time() - t0 < 120:
            time.sleep(0.05)
        stopped["t"] = time.time()
        tor_network.client.stop()

    killer = threading.Thread(target=stop_after_some_requests)
    killer.start()
    try:
        _crawl_while_tor_stops(tor_sites, tor_network, crawl, url, port, t0, stopped, killer)
    finally:
        killer.join()
        tor_network.tor.close()
        tor_network.restart_client()
        tor_network.tor = tor_network.attach()


def _crawl_while_tor_stops(tor_sites, tor_network, crawl, url, port, t0, stopped, killer):
    with SocketOwners([port]) as owners:
        # A delay, so the crawl is still going when tor stops.
        run = crawl(sources_yaml(source_yaml("pastes", "paste_listing", url, route="tor", delay=0.3)), ["pastes"],
                    {**TOR_HANDLERS, **tor_network.leakwatch_settings}, timeout=300)
    killer.join()
    assert run.returncode == 1 and run.results["pastes"]["reason"] == "tor_unavailable", run.results["pastes"]
    assert "source pastes: Tor is unavailable" in run.log
    entries = _since(tor_sites, t0, "paste")
    assert 5 <= len(entries) < 52 + 3
    _check_owners(entries, owners, tor_network.exit_node.process.pid)
    # Nothing after the stop: a line logged later would be a connection that did not come through tor.
    assert [e for e in entries if e["t"] > stopped["t"] + 0.5] == []

    # And a new crawl with tor down sends nothing at all.
    t1 = time.time()
    again = crawl(sources_yaml(source_yaml("pastes", "paste_listing", url, route="tor")), ["pastes"],
                  {**TOR_HANDLERS, **tor_network.leakwatch_settings}, timeout=120)
    assert again.returncode == 1 and again.results["pastes"]["reason"] == "tor_unavailable"
    assert again.results["pastes"]["stats"].get("downloader/request_count", 0) == 0
    assert [e for e in tor_sites.access_log() if e["t"] >= t1] == []
