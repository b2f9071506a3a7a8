"""Helpers of the web app's tests: logging in (browser or httpx), form tokens, waiting."""

import re
import socket
import threading
import time
from contextlib import contextmanager

import httpx
import uvicorn

ANALYST, PASSWORD = "alice", "correct horse battery"


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def login(page, name=ANALYST, password=PASSWORD):
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


class Analyst:
    """An analyst's browser-less session (httpx): logs in through the form like a browser."""

    def __init__(self, base_url, name=ANALYST, password=PASSWORD, **kwargs):
        self.client = httpx.Client(base_url=base_url, timeout=10, **kwargs)
        form = self.client.get("/login")
        self.response = self.client.post("/login", data={"name": name, "password": password,
                                                         "csrf": form_token(form.text)})

    def csrf(self, path="/"):
        return form_token(self.client.get(path).text)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    return found.group(1) if found else ""


@contextmanager
def serving(app):
    """`app` served by uvicorn in a thread of this process, on a free loopback port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", proxy_headers=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, timeout=15, what="uvicorn in a thread")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
