import subprocess

import pytest
from stem.control import Controller

from world.tornet import TorNetwork, TorNetworkError, http_get


def tor_processes(workdir) -> list[str]:
    result = subprocess.run(["pgrep", "-f", "-a", str(workdir)], capture_output=True, text=True)
    return [line for line in result.stdout.splitlines() if "tor" in line]


def test_http_fetch_through_socks_comes_from_the_exit_relay(tor_network, probe_site):
    before = len(probe_site.log)
    status, _, body = http_get(tor_network.socks_port, "127.0.0.1", probe_site.server_port, "/clearnet")
    assert (status, body) == (200, probe_site.page)
    [request] = probe_site.log[before:]
    assert request["path"] == "/clearnet"
    assert request["owner_pid"] == tor_network.exit_node.process.pid


def test_onion_address_serves_the_target_through_remote_resolution(tor_network, probe_site):
    address = tor_network.onion_address("probe")
    assert address.endswith(".onion") and len(address) == 62
    before = len(probe_site.log)
    status, _, body = http_get(tor_network.socks_port, address, 80, "/onion")   # ATYP 3: tor resolves the name
    assert (status, body) == (200, probe_site.page)
    [request] = probe_site.log[before:]
    assert request["owner_pid"] == tor_network.service.process.pid


def test_client_control_port_takes_the_cookie_and_knows_the_exit(tor_network):
    with Controller.from_port(address="127.0.0.1", port=tor_network.control_port) as controller:
        controller.authenticate(chroot_path=None)
        assert "PROGRESS=100" in controller.get_info("status/bootstrap-phase")
        assert "Exit" in controller.get_network_status(tor_network.exit_fingerprint).flags
    assert tor_network.cookie_path.stat().st_size == 32
    torrc = tor_network.client_torrc_path.read_text()
    assert "UseMicrodescriptors 0" in torrc and f"SocksPort 127.0.0.1:{tor_network.socks_port}" in torrc


def test_unknown_onion_target_names_the_known_ones(tor_network):
    with pytest.raises(KeyError, match="forum"):
        tor_network.onion_address("paste")


def test_every_tor_process_binds_loopback_only(tor_network):
    for node in tor_network.nodes:
        for line in node.torrc_path.read_text().splitlines():
            if line.split(" ")[0] in ("ORPort", "DirPort", "SocksPort", "ControlPort") and line.split()[1] != "0":
                assert line.split()[1].startswith("127.0.0.1:"), line


def test_start_that_times_out_leaves_no_tor_process(tmp_path, tor_binaries):
    network = TorNetwork(tmp_path / "net")
    with pytest.raises(TorNetworkError, match="timed out"):
        network.start(timeout=3)
    assert tor_processes(tmp_path) == []


def test_stop_leaves_no_tor_process(tmp_path, tor_binaries):
    with TorNetwork(tmp_path / "net") as network:
        assert len(tor_processes(tmp_path)) == 7   # no onion target: no service process
        assert network.socks_port
    assert tor_processes(tmp_path) == []


def test_constructor_rejects_a_bad_target():
    with pytest.raises(ValueError, match="TCP port"):
        TorNetwork("/tmp/unused", onion_targets={"forum": 0})
