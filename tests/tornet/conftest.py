"""The private Tor network, once per session (to move to tests/conftest.py), and a web server to reach through it."""

import shutil
import threading
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from leakwatch.tornet import INSTALL_HINT, TorNetwork

PAGE = b"<html><body>leakwatch tornet probe page</body></html>"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        # Who connected, noted while the connection is still open, so a test can find the owning process.
        self.server.log.append({"path": self.path, "peer": self.client_address,
                                "owner_pid": _socket_owner(self.client_address[1], self.server.server_port)})
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


def _socket_owner(peer_port: int, server_port: int) -> int | None:
    """The pid holding the client end of a loopback TCP connection, from /proc/net/tcp and /proc/*/fd."""
    inode = None
    with open("/proc/net/tcp") as table:
        for row in list(table)[1:]:
            fields = row.split()
            local, remote = fields[1].split(":"), fields[2].split(":")
            if int(local[1], 16) == peer_port and int(remote[1], 16) == server_port:
                inode = fields[9]
    if inode is None:
        return None
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if fd.readlink().name == f"socket:[{inode}]":
                return int(fd.parts[2])
        except OSError:
            continue
    return None


@pytest.fixture(scope="session")
def probe_site():
    """An HTTP server on a free 127.0.0.1 port; `.log` lists each request with its peer and the peer's pid."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
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
    require_tor()


def require_tor() -> None:
    for binary in ("tor", "tor-gencert"):
        if shutil.which(binary) is None and shutil.which(binary, path="/usr/sbin:/usr/bin") is None:
            pytest.fail(f"{binary} is not installed; {INSTALL_HINT}")


@pytest.fixture(scope="session")
def tor_network(tmp_path_factory, probe_site, tor_binaries):
    """The private Tor network, started once; the probe site is also served as the onion target "forum"."""
    network = TorNetwork(tmp_path_factory.mktemp("tornet"), onion_targets={"forum": probe_site.server_port})
    network.start()
    yield network
    network.stop()
