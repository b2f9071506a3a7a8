"""A plain http.client client that never follows redirects: the tests look at every 302."""

import http.client
import re
from urllib.parse import urlencode, urlsplit


def fetch(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    """(status, headers as a lower-case dict, body bytes)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body, headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def text(url: str, **kw) -> str:
    status, _, body = fetch(url, **kw)
    assert status == 200, (url, status)
    return body.decode("utf-8")


class ForumClient:
    """Logs in like a browser: GET the form, POST it back with its hidden fields, keep `sid`."""

    def __init__(self, base: str, username="watcher", password="correct horse battery staple"):
        self.base, self.username, self.password = base, username, password
        self.sid = None

    def form_fields(self) -> dict:
        page = text(self.base + "/ucp.php?mode=login")
        return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))

    def post_login(self, **overrides):
        fields = dict(self.form_fields(), username=self.username, password=self.password, login="Login")
        fields.update(overrides)
        return fetch(self.base + "/ucp.php?mode=login", "POST", urlencode(fields).encode(),
                     {"Content-Type": "application/x-www-form-urlencoded"})

    def login(self) -> "ForumClient":
        status, headers, _ = self.post_login()
        assert status == 302 and headers["location"] == "/index.php", status
        self.sid = re.match(r"sid=(\w+)", headers["set-cookie"]).group(1)
        return self

    def get(self, path: str):
        return fetch(self.base + path, headers={"Cookie": f"sid={self.sid}"} if self.sid else {})

    def page(self, path: str) -> str:
        status, _, body = self.get(path)
        assert status == 200, (path, status)
        return body.decode("utf-8")
