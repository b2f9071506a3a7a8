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
import time

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


def post(url: str, body: bytes, headers: dict, timeout: float) -> int:
    """POST `body` to `url`; returns the 2xx status, or raises DeliveryError with a short reason.

    Redirects are not followed: a signed alert goes to the URL the institution set, nowhere else.
    """
    import httpx  # here: only a sender needs it

    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout, follow_redirects=False)
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        raise DeliveryError(type(exc).__name__) from None
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"HTTP {response.status_code}")
    return response.status_code
