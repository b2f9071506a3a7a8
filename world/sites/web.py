"""What every fixture site shares: request/response values, HTML pages, the admin endpoints.

A site is a `Site` subclass whose `route(request)` returns a `Response`; server.py turns
HTTP into `Request`s and back. Every string that reaches HTML goes through `esc`: the
content is attacker-like (a paste may hold `</pre><script>`), as on the real sites.
"""

import html
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def iso(t: int) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat()


def human(t: int) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%a %b %d, %Y %H:%M")


@dataclass
class Request:
    method: str
    target: str                  # path and query, as sent
    path: str
    query: dict                  # first value of each parameter
    headers: dict                # lower-case names
    body: bytes = b""
    client: tuple = ("", 0)

    @property
    def cookies(self) -> dict:
        out = {}
        for part in self.headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                out[name] = value
        return out

    def form(self) -> dict:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True).items()}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list = field(default_factory=list)


def page(title: str, body_html: str, status: int = 200) -> Response:
    """A whole HTML page; `title` is escaped here, `body_html` must already be."""
    doc = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title></head>\n'
           f"<body>\n{body_html}\n</body></html>\n")
    return Response(status, doc.encode("utf-8"))


def json_response(value, status: int = 200) -> Response:
    return Response(status, json.dumps(value).encode("utf-8"), "application/json")


def redirect(location: str) -> Response:
    return Response(302, b"", headers=[("Location", location)])


def error(status: int, message: str) -> Response:
    return page(f"{status}", f'<p class="error">{esc(message)}</p>', status)


def int_param(query: dict, name: str, default: int) -> int | None:
    """The parameter as an int, `default` when absent, None when not an int."""
    try:
        return int(query.get(name, default))
    except ValueError:
        return None


class Site:
    """One fixture site: its content, its hidden items, and the fixture-only /admin/ endpoints."""

    name = "site"

    def __init__(self, content: dict, content_dir):
        self.content = content
        self.content_dir = content_dir
        self.lock = threading.Lock()        # handlers run in threads; state changes take this lock
        self.requests = Counter()           # by target; admin requests are not counted
        self.latency = 0.0                  # seconds each non-admin request takes (POST /admin/latency)
        self.in_flight = 0                  # non-admin requests being answered now, and the most at once
        self.in_flight_max = 0

    def hidden(self) -> list:
        """Hidden items in publishing order (oldest first). Subclasses with hidden items override."""
        return []

    def visible_count(self) -> int:
        raise NotImplementedError

    def enter(self) -> None:
        """A non-admin request arrived (server.py calls `leave` once its response is sent)."""
        with self.lock:
            self.in_flight += 1
            self.in_flight_max = max(self.in_flight_max, self.in_flight)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def handle(self, request: Request) -> Response:
        if request.path == "/admin/latency":
            if request.method != "POST":
                return error(405, "POST /admin/latency?ms=N")
            ms = int_param(request.query, "ms", 0)
            if ms is None or ms < 0:
                return error(400, "ms must be an integer >= 0")
            self.latency = ms / 1000
            return json_response({"latency_ms": ms})
        if request.path == "/admin/publish":
            if request.method != "POST":
                return error(405, "POST /admin/publish?n=K")
            n = int_param(request.query, "n", 1)
            if n is None or n < 0:
                return error(400, "n must be an integer >= 0")
            with self.lock:
                for item in self.hidden()[:n]:
                    item["hidden"] = False
            return json_response({"visible": self.visible_count()})
        if request.path == "/admin/stats":
            with self.lock:
                return json_response({"requests": sum(self.requests.values()), "by_path": dict(self.requests)})
        if request.path == "/admin/in_flight":
            with self.lock:
                return json_response({"now": self.in_flight, "max": self.in_flight_max})
        with self.lock:
            self.requests[request.target] += 1
        if self.latency:
            time.sleep(self.latency)        # a slow site: requests overlap, as over Tor
        return self.route(request)

    def route(self, request: Request) -> Response:
        raise NotImplementedError
