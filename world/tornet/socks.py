"""A SOCKS5 client in a few lines (RFC 1928/1929), enough to probe Tor and to fetch a page through it.

Hostnames are always sent to the proxy (ATYP 3) so that Tor resolves them, never this process:
that is the only way to reach a .onion name, and it keeps a target's name out of local DNS.
"""

import ipaddress
import socket
import struct

from leakwatch.matchers.errors import LeakwatchError

# Tor's replies, including its extended onion-service codes (SocksPort flag ExtendedErrors).
REPLIES = {
    1: "general failure", 2: "not allowed by ruleset", 3: "network unreachable", 4: "host unreachable",
    5: "connection refused", 6: "TTL expired", 7: "command not supported", 8: "address type not supported",
    0xF0: "onion service descriptor not found", 0xF1: "onion service descriptor invalid",
    0xF2: "onion service introduction failed", 0xF3: "onion service rendezvous failed",
    0xF4: "onion service missing client authorization", 0xF5: "onion service wrong client authorization",
    0xF6: "onion address invalid", 0xF7: "onion service introduction timed out",
}


class SocksError(LeakwatchError, ConnectionError):
    """The proxy refused the connection; `reply` is the SOCKS5 reply code (None when the handshake broke)."""

    def __init__(self, message: str, reply: int | None = None):
        super().__init__(message)
        self.reply = reply


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise SocksError("the SOCKS proxy closed the connection during the handshake")
        data += chunk
    return data


def socks_connect(proxy_port: int, host: str, port: int, *, proxy_host: str = "127.0.0.1",
                  username: str | None = None, password: str | None = None,
                  timeout: float = 30.0) -> socket.socket:
    """A socket connected to host:port through the SOCKS5 proxy. A username/password pair of its own
    puts the stream on circuits of its own in Tor (IsolateSOCKSAuth, on by default)."""
    sock = socket.create_connection((proxy_host, proxy_port), timeout=timeout)
    try:
        methods = b"\x02" if username is not None else b"\x00"
        sock.sendall(b"\x05\x01" + methods)
        version, method = _recv_exact(sock, 2)
        if version != 5 or method != methods[0]:
            raise SocksError(f"the SOCKS proxy chose no usable method (version {version}, method {method})")
        if username is not None:
            user, pw = username.encode(), (password or "").encode()
            sock.sendall(b"\x01" + bytes([len(user)]) + user + bytes([len(pw)]) + pw)
            if _recv_exact(sock, 2)[1] != 0:
                raise SocksError("the SOCKS proxy rejected the username/password")
        try:
            address = b"\x01" + ipaddress.IPv4Address(host).packed
        except ValueError:
            name = host.encode("idna")
            address = b"\x03" + bytes([len(name)]) + name
        sock.sendall(b"\x05\x01\x00" + address + struct.pack(">H", port))
        version, reply, _, atyp = _recv_exact(sock, 4)
        if reply != 0:
            raise SocksError(f"SOCKS5 connect to {host}:{port} failed: {REPLIES.get(reply, reply)}", reply)
        # Skip the bound address: its length depends on its type.
        _recv_exact(sock, {1: 4, 4: 16}.get(atyp) or _recv_exact(sock, 1)[0])
        _recv_exact(sock, 2)
        return sock
    except BaseException:
        sock.close()
        raise


def http_get(proxy_port: int, host: str, port: int = 80, path: str = "/", *, timeout: float = 60.0,
             username: str | None = None, password: str | None = None) -> tuple[int, dict, bytes]:
    """GET http://host:port/path through the SOCKS5 proxy: (status, headers, body). HTTP/1.0, so the
    server closes the connection and the body is everything after the headers."""
    with socks_connect(proxy_port, host, port, username=username, password=password, timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body
