"""Real peers for alert tests: an SMTP server (aiosmtpd) and a webhook receiver
(http.server) on 127.0.0.1, each on a free port, in a thread of the test process."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from leakwatch.alerts import verify


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailBox:
    """aiosmtpd handler keeping every message it was given."""

    def __init__(self):
        self.messages = []  # (envelope recipients, raw message bytes)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


class SmtpServer:
    def __init__(self, **smtp_params):
        self.box = MailBox()
        self.port = free_port()
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port, **smtp_params)

    @property
    def messages(self):
        return self.box.messages

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class WebhookReceiver:
    """An institution's receiver: verifies each request's signature with `verify`, answers
    401 if it does not verify, 500 while `failures_left` > 0 (or always if `always_fail`),
    else 204. `requests` has every request, `accepted` the ones stored."""

    def __init__(self, secret=None, fail_first=0, always_fail=False):
        self.secret = secret
        self.failures_left = fail_first
        self.always_fail = always_fail
        self.requests = []
        self.accepted = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._answer(dict(self.headers.items()), body, self.path)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/leakwatch"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _answer(self, headers, body, path) -> int:
        with self._lock:
            verified = verify(self.secret or "", headers.get("X-Leakwatch-Signature"), body)
            entry = {"headers": headers, "body": body, "path": path, "verified": verified}
            self.requests.append(entry)
            if not verified:
                return 401
            if self.always_fail or self.failures_left > 0:
                self.failures_left -= 1
                return 500
            self.accepted.append(entry)
            return 204

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
