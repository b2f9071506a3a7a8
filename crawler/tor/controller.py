"""`TorController`: leakwatch's tor, attached to or launched, driven through stem.

    tor = TorController.attach(control=("127.0.0.1", 9051), cookie_path="/run/tor/control.authcookie")
    tor = TorController.launch(home / "tor")     # leakwatch's own tor: free loopback ports, ClientOnly
    tor.wait_bootstrapped(timeout=120)
    tor.check()                                  # TorUnavailable unless reachable and bootstrapped
    tor.new_identity()                           # NEWNYM, waiting out tor's rate limit
    tor.status()                                 # JSON-able: bootstrap, circuits, exits (`leakwatch tor status`)

Values come in as arguments (leakwatch.settings passes them); nothing here reads the environment.
The ports leakwatch's crawl needs are `socks_port` (Playwright's Chromium, socks5 with remote DNS) and
`http_tunnel_port` (Scrapy, HTTP CONNECT: see crawler/tor/handler.py for why).
"""

import re
import socket
import time
from pathlib import Path

from leakwatch.matchers.errors import LeakwatchError

BOOTSTRAP_TIMEOUT = 180.0  # seconds; a cold tor on the real network can take a minute or two


class TorUnavailable(LeakwatchError, RuntimeError):
    """Tor cannot carry traffic now: unreachable, refused our authentication, or not bootstrapped."""


class TorAddressError(LeakwatchError, ValueError):
    """A tor address setting (tor_control, tor_socks, tor_http_tunnel) that is not host:port or a port."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def parse_address(value, default_host: str = "127.0.0.1") -> tuple[str, int] | None:
    """'9050', '127.0.0.1:9050', 9050 or (host, port) -> (host, port); '' / None / 0 -> None."""
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, (tuple, list)):
        return str(value[0]), int(value[1])
    text = str(value).strip()
    host, _, port = text.rpartition(":")
    try:
        return (host or default_host), int(port)
    except ValueError:
        raise TorAddressError(f"expected host:port or a port number, got {value!r}") from None


class TorController:
    def __init__(self, controller, *, socks_port: int | None = None, http_tunnel_port: int | None = None,
                 process=None, data_dir: Path | None = None):
        self.controller = controller  # stem.control.Controller, authenticated
        self.process = process        # the tor we launched, or None when attached
        self.data_dir = data_dir
        self._socks_port = socks_port
        self._http_tunnel_port = http_tunnel_port

    # --- getting one --------------------------------------------------------------------------

    @classmethod
    def attach(cls, control, *, cookie_path=None, password: str | None = None,
               socks_port: int | None = None, http_tunnel_port: int | None = None) -> "TorController":
        """Attach to a running tor through its control port (cookie or password authentication)."""
        from stem import ControllerError, SocketError
        from stem.connection import AuthenticationFailure
        from stem.control import Controller

        address = parse_address(control)
        if address is None:
            raise TorAddressError("control must be host:port or a port number of tor's ControlPort (setting tor_control)")
        try:
            controller = Controller.from_port(address=address[0], port=address[1])
        except SocketError as exc:
            raise TorUnavailable(f"tor's control port {address[0]}:{address[1]} is unreachable: {exc}") from None
        try:
            _authenticate(controller, cookie_path, password)
        except (AuthenticationFailure, ControllerError, OSError) as exc:
            controller.close()
            raise TorUnavailable(f"tor's control port {address[0]}:{address[1]} refused authentication: {exc}") from None
        return cls(controller, socks_port=socks_port, http_tunnel_port=http_tunnel_port)

    @classmethod
    def launch(cls, data_dir, *, tor_cmd: str = "tor", extra_config: dict | None = None,
               timeout: float = BOOTSTRAP_TIMEOUT) -> "TorController":
        """Start leakwatch's own tor (a client only) with a data directory of its own and free loopback ports."""
        import stem.process

        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        socks, tunnel, control = free_port(), free_port(), free_port()
        config = {
            "DataDirectory": str(data_dir),
            "SocksPort": f"127.0.0.1:{socks} IsolateSOCKSAuth",
            "HTTPTunnelPort": f"127.0.0.1:{tunnel} IsolateSOCKSAuth",
            "ControlPort": f"127.0.0.1:{control}",
            "CookieAuthentication": "1",
            "CookieAuthFile": str(data_dir / "control_auth_cookie"),
            "ClientOnly": "1",
            "AvoidDiskWrites": "1",
            "Log": "notice file " + str(data_dir / "tor.log"),
            **(extra_config or {}),
        }
        process = stem.process.launch_tor_with_config(config, tor_cmd=tor_cmd, take_ownership=True,
                                                      timeout=timeout, completion_percent=0)
        try:
            tor = cls.attach(("127.0.0.1", control), cookie_path=data_dir / "control_auth_cookie",
                             socks_port=socks, http_tunnel_port=tunnel)
            # Ours: tor exits when this control connection closes, even if leakwatch is killed.
            tor.controller.msg("TAKEOWNERSHIP")
            tor.controller.reset_conf("__OwningControllerProcess")
        except Exception:
            process.kill()
            process.wait()
            raise
        tor.process, tor.data_dir = process, data_dir
        return tor

    def close(self) -> None:
        """Detach; a tor we launched is stopped, one we attached to keeps running."""
        self.controller.close()
        if self.process is not None:
            process, self.process = self.process, None
            process.terminate()
            try:
                process.wait(timeout=10)
            except Exception:
                process.kill()
                process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- ports --------------------------------------------------------------------------------

    def _listener(self, kind: str) -> int | None:
        try:
            listeners = self.controller.get_info(f"net/listeners/{kind}", "")
        except Exception:
            return None
        match = re.search(r'"?127\.0\.0\.1:(\d+)"?', listeners)
        return int(match.group(1)) if match else None

    @property
    def socks_port(self) -> int | None:
        return self._socks_port or self._listener("socks")

    @property
    def http_tunnel_port(self) -> int | None:
        return self._http_tunnel_port or self._listener("httptunnel")

    def add_socks_port(self, timeout: float = 10.0) -> int:
        """One more SocksPort on 127.0.0.1, for one source's browser pages.

        Chromium cannot send SOCKS credentials, so SOCKS auth isolation cannot tell its sources apart;
        tor isolates listeners from one another instead (streams that come in on different SocksPorts
        never share a circuit). The port is added to the running configuration only (no SAVECONF):
        the tor's torrc is left as it was, and a restart of tor drops it.
        """
        current = [v for v in self.controller.get_conf("SocksPort", multiple=True) if v and v != "0"]
        port = free_port()
        self.controller.set_conf("SocksPort", [*current, f"127.0.0.1:{port}"])
        deadline = time.monotonic() + timeout
        while f"127.0.0.1:{port}" not in self.controller.get_info("net/listeners/socks", ""):
            if time.monotonic() > deadline:
                raise TorUnavailable(f"tor did not open the SocksPort 127.0.0.1:{port} it was asked for")
            time.sleep(0.05)
        return port

    # --- state --------------------------------------------------------------------------------

    def bootstrap(self) -> dict:
        """tor's bootstrap phase: {'progress': int, 'tag': str, 'summary': str}."""
        line = self.controller.get_info("status/bootstrap-phase")
        progress = re.search(r"PROGRESS=(\d+)", line)
        tag = re.search(r"TAG=(\S+)", line)
        summary = re.search(r'SUMMARY="([^"]*)"', line)
        return {"progress": int(progress.group(1)) if progress else 0, "tag": tag.group(1) if tag else "",
                "summary": summary.group(1) if summary else line}

    def wait_bootstrapped(self, timeout: float = BOOTSTRAP_TIMEOUT, poll: float = 0.25) -> None:
        deadline = time.monotonic() + timeout
        while True:
            phase = self.bootstrap()
            if phase["progress"] >= 100:
                return
            if time.monotonic() >= deadline:
                raise TorUnavailable(f"tor has not bootstrapped in {timeout:g}s: {phase['progress']}% ({phase['summary']})")
            time.sleep(poll)

    def check(self) -> None:
        """Raise TorUnavailable unless tor answers on its control port and has bootstrapped."""
        try:
            phase = self.bootstrap()
        except Exception as exc:  # stem raises several kinds once the socket is gone
            raise TorUnavailable(f"tor's control connection is broken: {type(exc).__name__}: {exc}") from None
        if phase["progress"] < 100:
            raise TorUnavailable(f"tor is not bootstrapped: {phase['progress']}% ({phase['summary']})")

    def new_identity(self, max_wait: float = 15.0) -> float:
        """NEWNYM: new circuits for new streams. Waits out tor's rate limit (about 10 s between two)
        rather than sending a signal tor would ignore; returns the seconds waited."""
        from stem import Signal

        waited = 0.0
        if not self.controller.is_newnym_available():
            waited = self.controller.get_newnym_wait()
            if waited > max_wait:
                raise TorUnavailable(f"tor allows the next NEWNYM in {waited:.1f}s, more than {max_wait:g}s")
            time.sleep(waited)
        self.controller.signal(Signal.NEWNYM)
        return waited

    def circuits(self) -> list[dict]:
        out = []
        for circ in self.controller.get_circuits():
            out.append({"id": circ.id, "status": circ.status, "purpose": circ.purpose,
                        "path": [{"fingerprint": fp, "nickname": nick} for fp, nick in circ.path],
                        "build_flags": list(circ.build_flags or []),
                        "socks_username": getattr(circ, "socks_username", None)})
        return out

    def exits_in_use(self) -> list[dict]:
        """The last hop of each built general-purpose circuit, with its address when tor knows it."""
        exits = {}
        for circ in self.controller.get_circuits():
            # Internal circuits (onion services, directory fetches) end at a middle relay, not an exit.
            if circ.status != "BUILT" or circ.purpose != "GENERAL" or not circ.path \
                    or "IS_INTERNAL" in (circ.build_flags or ()):
                continue
            fingerprint, nickname = circ.path[-1]
            entry = exits.setdefault(fingerprint, {"fingerprint": fingerprint, "nickname": nickname,
                                                   "address": None, "circuits": []})
            entry["circuits"].append(circ.id)
            if entry["address"] is None:
                try:
                    entry["address"] = self.controller.get_network_status(fingerprint).address
                except Exception:
                    pass  # no descriptor yet: the address stays unknown
        return list(exits.values())

    def status(self) -> dict:
        """What `leakwatch tor status` prints: JSON-able, and complete even when tor is not ready."""
        out = {"launched": self.process is not None, "version": str(self.controller.get_version()),
               "socks_port": self.socks_port, "http_tunnel_port": self.http_tunnel_port}
        try:
            out["bootstrap"] = self.bootstrap()
            out["circuits"] = self.circuits()
            out["exits"] = self.exits_in_use()
            out["ready"] = out["bootstrap"]["progress"] >= 100
        except Exception as exc:
            out.update(ready=False, error=f"{type(exc).__name__}: {exc}")
        return out


def _authenticate(controller, cookie_path, password) -> None:
    """Cookie (SAFECOOKIE: the cookie itself is never sent), password, or none, as configured.

    Not `Controller.authenticate()`: stem sends TAKEOWNERSHIP after it when tor's
    __OwningControllerProcess is our pid, after which tor exits when this connection closes; a tor
    we attach to is not ours to stop.
    """
    import stem.connection
    from stem.control import BaseController

    if cookie_path:
        stem.connection.authenticate_safecookie(controller, str(cookie_path))
    elif password:
        stem.connection.authenticate_password(controller, password)
    else:
        stem.connection.authenticate_none(controller)
    BaseController._post_authentication(controller)  # stem's bookkeeping, without the ownership step


def tor_status(control, *, cookie_path=None, password=None) -> dict:
    """`leakwatch tor status` of a configured tor: never raises, says what is wrong instead."""
    try:
        with TorController.attach(control, cookie_path=cookie_path, password=password) as tor:
            return tor.status()
    except (TorUnavailable, ValueError) as exc:
        return {"ready": False, "error": str(exc)}
