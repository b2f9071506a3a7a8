"""leakwatch.crawler.tor.TorController against a real tor of its own (DisableNetwork: no connection leaves it)."""

import os

import pytest

from leakwatch.crawler.tor import TorController, TorUnavailable, free_port, tor_status


def test_launched_tor_reports_its_bootstrap_and_check_refuses_until_it_is_done(tmp_path):
    with TorController.launch(tmp_path / "tor", extra_config={"DisableNetwork": "1"}, timeout=30) as tor:
        status = tor.status()
        assert status["launched"] and not status["ready"] and status["bootstrap"]["progress"] < 100
        assert status["socks_port"] and status["http_tunnel_port"] and status["circuits"] == []
        with pytest.raises(TorUnavailable, match="not bootstrapped"):
            tor.check()
        with pytest.raises(TorUnavailable, match="has not bootstrapped in 0.5s"):
            tor.wait_bootstrapped(timeout=0.5)
        pid = tor.process.pid
        assert (tmp_path / "tor" / "control_auth_cookie").exists()
    with pytest.raises(ProcessLookupError):  # close() stops a tor leakwatch launched
        os.kill(pid, 0)


def test_attaching_with_the_cookie_and_detaching_leaves_the_tor_running(tmp_path):
    with TorController.launch(tmp_path / "tor", extra_config={"DisableNetwork": "1"}, timeout=30) as owner:
        port = owner.controller.get_socket().port
        attached = TorController.attach(port, cookie_path=tmp_path / "tor" / "control_auth_cookie")
        assert attached.bootstrap()["progress"] < 100 and attached.process is None
        attached.close()
        assert owner.bootstrap()["progress"] < 100  # still there
        assert tor_status(port, cookie_path=tmp_path / "tor" / "control_auth_cookie")["ready"] is False


def test_nothing_on_the_control_port_is_a_clear_error():
    port = free_port()
    with pytest.raises(TorUnavailable, match=f"control port 127.0.0.1:{port} is unreachable"):
        TorController.attach(port)
    assert tor_status(port) == {"ready": False, "error": tor_status(port)["error"]}
    assert "unreachable" in tor_status(port)["error"]


def test_a_wrong_cookie_is_refused(tmp_path):
    with TorController.launch(tmp_path / "tor", extra_config={"DisableNetwork": "1"}, timeout=30) as owner:
        wrong = tmp_path / "wrong_cookie"
        wrong.write_bytes(b"\0" * 32)
        with pytest.raises(TorUnavailable, match="refused authentication"):
            TorController.attach(owner.controller.get_socket().port, cookie_path=wrong)
