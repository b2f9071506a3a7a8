"""The fixture-sites process: one ThreadingHTTPServer per site on 127.0.0.1, an access log, READY.

    python -m world.sites serve --content DIR [--port-base 0]

Every request becomes one JSON line in DIR/access.log (the client's address and port
included: later tests prove which connections came through Tor). The log records paths
and sizes, never bodies, so it holds no personal values beyond what a URL carries.
"""

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .files_paste import FilesPasteSite
from .forum import ForumSite
from .js import JsSite
from .leak_site import LeakSite
from .limited import LimitedSite
from .paste import PasteSite
from .telegram import TelegramSite
from .unread_forum import UnreadForumSite
from .web import Request, Response, error

HOST = "127.0.0.1"                  # loopback only: the content looks like real leaks
SITES = {"paste": PasteSite, "forum": ForumSite, "js": JsSite, "limited": LimitedSite,
         "files": FilesPasteSite, "unread": UnreadForumSite, "telegram": TelegramSite, "leaks": LeakSite}
MAX_BODY = 64 << 10                 # the only POST bodies are login forms


class AccessLog:
    """Appends one JSON object per line; one lock, one flush per line, so readers see whole lines."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.file = open(path, "w", encoding="utf-8")     # a log of this serving run only

    def write(self, entry: dict) -> None:
        line = json.dumps(entry) + "\n"
        with self.lock:
            if self.file.closed:      # a late keep-alive request after shutdown
                return
            self.file.write(line)
            self.file.flush()

    def close(self) -> None:
        with self.lock:
            self.file.close()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"     # keep-alive, as Scrapy and browsers expect of real sites
    server_version = "nginx"          # what the real sites announce; also hides "Python" from crawlers' logs
    timeout = 30                      # idle keep-alive connections do not hold a thread for ever

    def do_GET(self):
        self.dispatch(b"")

    def do_HEAD(self):
        self.dispatch(b"", head=True)

    def do_POST(self):
        length = self.headers.get("Content-Length") or "0"
        if not (length.isascii() and length.isdigit()) or int(length) > MAX_BODY:
            self.close_connection = True      # the unread body must not be taken for the next request
            self.send(error(413, "Request body missing a length or too large"))
            return
        length = int(length)
        self.dispatch(self.rfile.read(length))

    def dispatch(self, body: bytes, head: bool = False) -> None:
        url = urlsplit(self.path)
        request = Request(self.command, self.path, url.path,
                          {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()},
                          {k.lower(): v for k, v in self.headers.items()}, body, self.client_address[:2])
        site = self.server.site
        counted = not url.path.startswith("/admin/")
        if counted:
            site.enter()  # in flight from the request's arrival until its response is sent
        try:
            try:
                response = site.handle(request)
            except Exception as exc:      # a fixture bug must show as a 500, not a dropped connection
                print(f"{site.name}: {type(exc).__name__} on {url.path}: {exc}", file=sys.stderr)
                response = error(500, "Internal Server Error")
            self.send(response, head)
        finally:
            if counted:
                site.leave()

    def send(self, response: Response, head: bool = False) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        # Logged before the body goes out: once a client has its whole response, its line is in
        # the log (tests read the log right after their requests).
        self.log_access(response, head)
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def log_access(self, response: Response, head: bool) -> None:
        self.server.access_log.write({
            "t": time.time(), "site": self.server.site.name, "client": self.client_address[0],
            "port": self.client_address[1], "method": self.command, "path": self.path,
            "status": response.status, "ua": self.headers.get("User-Agent", ""),
            "bytes": 0 if head else len(response.body)})

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format, *args):
        pass    # the access log says it all, as JSON; stderr stays for errors


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True             # open keep-alive connections do not delay the exit
    allow_reuse_address = True

    def __init__(self, site_class, content, content_dir, access_log, port: int = 0):
        super().__init__((HOST, port), Handler)
        self.site = site_class(content, content_dir, f"{HOST}:{self.server_address[1]}")
        self.access_log = access_log

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}"


def _wait_for_eof(stop: threading.Event) -> None:
    # os.read on the fd, not sys.stdin: a daemon thread blocked inside sys.stdin's buffer lock
    # makes interpreter shutdown wait for that lock (about a second) before giving up.
    while os.read(sys.stdin.fileno(), 4096):
        pass
    stop.set()


def serve(content_dir, port_base: int = 0, stop_on_eof: bool = False) -> int:
    """Serve every site until SIGTERM/SIGINT (or EOF on stdin with stop_on_eof)."""
    content_dir = Path(content_dir)
    content = json.loads((content_dir / "content.json").read_text(encoding="utf-8"))
    log = AccessLog(content_dir / "access.log")
    servers = {name: SiteServer(cls, content, content_dir, log, port_base + i if port_base else 0)
               for i, (name, cls) in enumerate(SITES.items())}
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if stop_on_eof:
        # The parent holds our stdin: when it dies, even by SIGKILL, we see EOF and go too.
        threading.Thread(target=_wait_for_eof, args=(stop,), daemon=True).start()
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
               for s in servers.values()]
    for t in threads:
        t.start()
    print("READY " + json.dumps({name: s.url for name, s in servers.items()}), flush=True)
    while not stop.wait(0.5):     # a timed wait lets the signal handlers run promptly
        pass
    for s in servers.values():
        s.shutdown()
        s.server_close()
    log.close()
    return 0
