"""Time-to-warning: every time a match went through, from the source's posting to the alert
delivered, kept as it happened and given by the API and the CLI."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from typer.testing import CliRunner

from leakwatch.cli import app
from leakwatch.response import match_facts
from leakwatch.response.timing import parse_posted, warning_times


@pytest.fixture
def receiver():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def _epoch(iso):
    return parse_posted(iso)


def test_a_warned_match_has_every_time_in_order(confirmed, receiver):
    url, received = receiver
    runtime = confirmed.runtime
    runtime.channels.set("labo-07", webhook_url=url, emails=[])
    sender = runtime.alert_sender
    sender.run_once()
    assert len(received) == 2  # the canary alert at once, the confirmation's
    times = match_facts(runtime.sightings, runtime.queue.get(confirmed.matches["leak"]), sender).times
    assert times["posted_at"] == "2026-12-01T10:00:00Z"
    order = [_epoch(times[k]) for k in ("posted_at", "first_seen", "matched", "confirmed", "warned")]
    assert order == sorted(order) and None not in order
    assert {(a["event"], a["channel"], a["state"]) for a in times["alerts"]} == {
        ("canary", "webhook", "delivered"), ("confirmed", "webhook", "delivered")}
    # The canary warned before any analyst looked: warned is the first delivery.
    assert times["warned"] == min(a["delivered_at"] for a in times["alerts"])
    assert 0 <= times["seconds"]["first_seen_to_warned"] < 120


def test_a_repost_is_timed_from_the_leaks_first_posting(lab):
    report = lab.scan("again.csv", [lab.rows[i] for i in lab.leaked[:25]], source="forum", url="http://forum.test/t/9",
                      posted_at="hier, 23:14")
    match = lab.runtime.queue.get(f"{report.sighting_id}-labo-07-patients")
    facts = match_facts(lab.runtime.sightings, match)
    assert facts.first["id"] != facts.sighting["id"]  # linked to the first sighting as a repost
    assert facts.times["posted_at"] == "2026-12-01T10:00:00Z"
    assert _epoch(facts.times["first_seen"]) == int(facts.first["seen_at"])


def test_a_posting_time_that_is_not_a_time_is_kept_as_text():
    times = warning_times({"created_at": 110.0, "state": "new"}, {"seen_at": 100.0, "posted_at": "hier, 23:14"}, None, [])
    assert times["posted_at"] is None and times["posted_at_text"] == "hier, 23:14"
    assert times["seconds"]["posted_to_first_seen"] is None and times["seconds"]["seen_to_matched"] == 10.0


def test_the_api_and_the_cli_give_the_times(confirmed, app_server, token):
    answer = httpx.get(f"{app_server.url}/api/v1/matches/{confirmed.matches['leak']}/times",
                       headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["posted_at"] == "2026-12-01T10:00:00Z" and body["confirmed"] is not None and body["warned"] is None
    s = confirmed.settings
    result = CliRunner().invoke(app, ["--redis-url", s.redis_url, "--namespace", s.namespace, "--home", str(s.home),
                                      "--config", str(confirmed.home / "none.yaml"), "times", confirmed.matches["leak"]])
    assert result.exit_code == 0, result.output
    assert "posted_at    2026-12-01T10:00:00Z" in result.output and "not warned yet" in result.output
