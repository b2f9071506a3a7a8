"""A TheHive-compatible receiver on loopback: the alert endpoints thehive4py 2.x calls, with
TheHive 5's rules for them, so the tests exercise the real client against a real HTTP server.

  POST  /api/v1/alert              create; 400 "CreateError" when an alert of the same
                                   (type, source, sourceRef) exists, as TheHive refuses it
  POST  /api/v1/query?name=alerts  listAlert with a filter of _eq/_and (what alert.find sends)
  PATCH /api/v1/alert/{id}         update the given fields; 404 for an unknown id
Every request needs `Authorization: Bearer <api key>` (401 otherwise, as TheHive answers).
"""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPDATABLE = {"title", "description", "severity", "tags", "tlp", "pap", "date", "status", "summary", "externalLink"}


def _matches(alert: dict, expr: dict) -> bool:
    if "_and" in expr:
        return all(_matches(alert, e) for e in expr["_and"])
    if "_or" in expr:
        return any(_matches(alert, e) for e in expr["_or"])
    if "_eq" in expr:
        return alert.get(expr["_eq"]["_field"]) == expr["_eq"]["_value"]
    raise ValueError(f"filter not implemented by the test receiver: {sorted(expr)}")


class TheHiveReceiver:
    def __init__(self, api_key: str = "hive-test-key"):
        self.api_key = api_key
        self.alerts = {}
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status, body=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")

            def _authorized(self):
                if self.headers.get("Authorization") != f"Bearer {receiver.api_key}":
                    self._reply(401, {"type": "AuthenticationError", "message": "Authentication failure"})
                    return False
                return True

            def do_POST(self):
                receiver.requests.append(("POST", self.path))
                if not self._authorized():
                    return
                body = self._body()
                if self.path == "/api/v1/alert":
                    with receiver.lock:
                        same = [a for a in receiver.alerts.values()
                                if (a["type"], a["source"], a["sourceRef"]) == (body["type"], body["source"], body["sourceRef"])]
                        if same:
                            return self._reply(400, {"type": "CreateError", "message": "Alert already exists"})
                        for needed in ("type", "source", "sourceRef", "title", "description"):
                            if not body.get(needed):
                                return self._reply(400, {"type": "BadRequest", "message": f"{needed} is missing"})
                        alert = {**body, "_id": f"~{uuid.uuid4().int % 10**9}", "_type": "Alert"}
                        receiver.alerts[alert["_id"]] = alert
                    return self._reply(201, alert)
                if self.path.startswith("/api/v1/query"):
                    query = body["query"]
                    if query[0] != {"_name": "listAlert"}:
                        return self._reply(400, {"type": "BadRequest", "message": "unsupported query"})
                    found = list(receiver.alerts.values())
                    for step in query[1:]:
                        if step["_name"] == "filter":
                            expr = {k: v for k, v in step.items() if k != "_name"}
                            found = [a for a in found if _matches(a, expr)]
                    return self._reply(200, found)
                self._reply(404, {"type": "NotFound", "message": self.path})

            def do_PATCH(self):
                receiver.requests.append(("PATCH", self.path))
                if not self._authorized():
                    return
                alert_id = self.path.rsplit("/", 1)[-1]
                body = self._body()
                with receiver.lock:
                    if not self.path.startswith("/api/v1/alert/") or alert_id not in receiver.alerts:
                        return self._reply(404, {"type": "NotFoundError", "message": f"Alert {alert_id} not found"})
                    unknown = set(body) - UPDATABLE
                    if unknown:
                        return self._reply(400, {"type": "BadRequest", "message": f"cannot update {sorted(unknown)}"})
                    receiver.alerts[alert_id].update(body)
                self._reply(204)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
