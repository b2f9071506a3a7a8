"""Webhook alerts: a signed JSON POST to the institution's URL.

Every request carries three headers:

    X-Leakwatch-Event: canary | confirmed
    X-Leakwatch-Delivery: <delivery id>     the same on every retry of one alert: drop repeats
    X-Leakwatch-Signature: t=<unix time>,v1=<hex HMAC-SHA256>

How a receiver verifies a request (the secret is shown once the webhook is set, and
again after `rotate_secret`):

1. Read the raw request body as bytes, before any JSON parsing.
2. Split the signature header on "," into key=value pairs; take `t` and every `v1`.
3. Compute HMAC-SHA256 with the secret (UTF-8) as key over `f"{t}."` + body (bytes),
   in lowercase hex.
4. Accept only if it equals one of the `v1` values under a constant-time comparison
   (Python: `hmac.compare_digest`), and `t` is within 5 minutes of your clock:
   a recorded request replayed later is refused.
5. Answer 2xx once the alert is stored; anything else, or no answer within the timeout,
   is retried later with the same delivery id.

In Python: `leakwatch.alerts.verify(secret, request.headers["X-Leakwatch-Signature"], body)`.
"""

import hashlib
import hmac
import http.client
import socket
import ssl
import time
from urllib.parse import urlsplit

from .destinations import delivery_addresses
from .errors import DeliveryError

SIGNATURE_HEADER = "X-Leakwatch-Signature"
EVENT_HEADER = "X-Leakwatch-Event"
DELIVERY_HEADER = "X-Leakwatch-Delivery"
TOLERANCE_SECONDS = 300


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    message = f"{int(timestamp)}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp) -> str:
    """The X-Leakwatch-Signature header value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={int(timestamp)},v1={_digest(secret, body, timestamp)}"


def verify(secret: str, header: str | None, body: bytes, *, tolerance: int = TOLERANCE_SECONDS, now=None) -> bool:
    """Whether `header` is a valid signature of `body` under `secret`, made at most
    `tolerance` seconds from `now` (either way: a clock ahead is as suspect as one behind)."""
    if not secret or not header:
        return False
    timestamp, candidates = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = _digest(secret, body, timestamp)
    # Compare against every candidate, so the time taken tells nothing about which matched.
    ok = False
    for candidate in candidates:
        ok |= hmac.compare_digest(expected, candidate)
    return ok


def post(url: str, body: bytes, headers: dict, timeout: float, *, allow: tuple = (), resolver=None) -> int:
    """POST `body` to `url`; returns the 2xx status, or raises DeliveryError with a short reason.

    The host is resolved once and every address checked (destinations.py: no loopback,
    private, link-local... address unless `allow` holds its range); the connection goes to a
    checked address, never to a second resolution of the name. TLS still verifies the
    certificate against the host name. Redirects are not followed: a signed alert goes to
    the URL the institution set, nowhere else. `resolver(host, port)` -> addresses replaces
    the system resolver (tests).
    """
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DeliveryError("webhook URL is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise DeliveryError("webhook URL must be an http:// or https:// URL with a host")
    addresses = delivery_addresses(host, port, allow, resolver)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = None
    try:
        connection = _connect(parts.scheme, host, port, addresses, timeout)
        connection.request("POST", path, body=body, headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(type(exc).__name__) from None
    finally:
        if connection is not None:
            connection.close()
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")
    return status


def _connect(scheme: str, host: str, port: int, addresses: list, timeout: float):
    """A connection to the first of the checked addresses that answers."""
    error = None
    for address in addresses:
        if scheme == "https":
            connection = _PinnedHTTPSConnection(host, port, str(address), timeout, ssl.create_default_context())
        else:
            connection = _PinnedHTTPConnection(host, port, str(address), timeout)
        try:
            connection.connect()
            return connection
        except OSError as exc:
            connection.close()
            error = exc
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to `host` (its Host header) over a connection to `address`, an address already checked."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        # A socket of the address's family connected to it: no resolver is asked anything.
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect((self.address, self.port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443

    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, address, timeout)
        self.context = context

    def connect(self):
        super().connect()
        # SNI and the certificate check are for the host name, as for any HTTPS request.
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.host)
