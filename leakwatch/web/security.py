"""Security headers on every response, and a cap on request bodies, as one ASGI middleware.

The pages need no script and no inline style (the spread chart uses SVG attributes), so
the policy allows nothing but this site's own files.
"""

import json

from leakwatch.matchers.errors import LeakwatchError

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
FORM_LIMIT = 1 << 20     # a form or a JSON body: a note of 2,000 characters is far below


class BodyTooLarge(LeakwatchError):
    pass


class SecurityMiddleware:
    def __init__(self, app, *, upload_limit: int, upload_prefix: str = "/api/v1/datasets/"):
        self.app = app
        self.upload_limit = upload_limit
        self.upload_prefix = upload_prefix

    def _limit(self, scope) -> int:
        if scope["method"] == "PUT" and scope["path"].startswith(self.upload_prefix):
            return self.upload_limit
        return FORM_LIMIT

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self._limit(scope)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            if int(declared) <= DRAIN_LIMIT:
                await _drain(receive)  # so the client, still sending, reads the 413 instead of a reset
            return await _too_large(send, limit)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        static = scope["path"].startswith("/static/")
        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = list(HEADERS)
                if not static:
                    # Pages show leak details: no copy in shared or browser caches.
                    extra.append((b"cache-control", b"no-store"))
                names = {name for name, _ in extra}
                message = {**message, "headers": [h for h in message.get("headers", []) if h[0] not in names] + extra}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


# A refused body up to this size is read and thrown away before the 413: closing a connection with
# unread data makes the kernel send a reset, and the client would see that instead of the answer.
DRAIN_LIMIT = 8 << 20


async def _drain(receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


async def _too_large(send, limit: int) -> None:
    body = json.dumps({"detail": f"The request body is larger than {limit} bytes."}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *HEADERS]})
    await send({"type": "http.response.body", "body": body})
