"""What the session's Tor peers need besides fixtures: a probe web server that notes which process
connected to it, and the check that tor's binaries are installed."""

import shutil
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from world.tornet import INSTALL_HINT

PAGE = b"<html><body>leakwatch tornet probe page</body></html>"


class ProbeHandler(BaseHTTPRequestHandler):
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



def require_tor() -> None:
    for binary in ("tor", "tor-gencert"):
        if shutil.which(binary) is None and shutil.which(binary, path="/usr/sbin:/usr/bin") is None:
            pytest.fail(f"{binary} is not installed; {INSTALL_HINT}")


class TLSFront:
    """TLS in front of a plain-HTTP loopback site (a self-signed certificate made with `cryptography`):
    what an https paste site looks like to the crawler, for the Tor tunnel's https path."""

    def __init__(self, target_port: int, workdir: Path):
        import datetime
        import socket
        import ssl
        import threading

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
        cert_path, key_path = workdir / "front.crt", workdir / "front.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_path, key_path)
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.handshakes = 0
        self._socket, self._threading = socket, threading
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self._threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn):
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except OSError:
            conn.close()
            return
        self.handshakes += 1
        upstream = self._socket.create_connection(("127.0.0.1", self.target_port))

        def pump(src, dst):
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(self._socket.SHUT_RDWR)
                    except OSError:
                        pass

        back = self._threading.Thread(target=pump, args=(upstream, tls), daemon=True)
        back.start()
        pump(tls, upstream)
        back.join()
        tls.close()
        upstream.close()

    def close(self):
        self.listener.close()
