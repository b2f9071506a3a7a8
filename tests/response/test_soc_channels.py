"""An institution's TheHive and STIX receiver as alert channels: the sender delivers each event
there, TheHive keeps one alert per match (a later event updates it), STIX bundles are signed."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import stix2
from typer.testing import CliRunner

from leakwatch.alerts import verify
from leakwatch.alerts.soc_channels import SocChannels
from leakwatch.cli import app

from .thehive_receiver import TheHiveReceiver


@pytest.fixture
def thehive():
    receiver = TheHiveReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def stix_receiver():
    got = {"secret": "", "bundles": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ok = verify(got["secret"], self.headers.get("X-Leakwatch-Signature"), body)
            got["bundles"].append({"verified": ok, "event": self.headers.get("X-Leakwatch-Event"), "body": body})
            self.send_response(204 if ok else 401)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got["url"] = f"http://127.0.0.1:{server.server_address[1]}/stix"
    yield got
    server.shutdown()
    server.server_close()


def test_the_sender_delivers_to_thehive_and_the_stix_receiver(confirmed, thehive, stix_receiver):
    runtime = confirmed.runtime
    soc = SocChannels(runtime.redis, runtime.settings.namespace, runtime.settings.alert_webhook_allow)
    current = soc.set("labo-07", thehive_url=thehive.url, thehive_api_key=thehive.api_key, stix_url=stix_receiver["url"])
    stix_receiver["secret"] = current["stix_secret"]
    sender = runtime.alert_sender
    sender.run_once()
    deliveries = sender.deliveries(confirmed.matches["leak"])
    assert {(d["event"], d["channel"], d["state"]) for d in deliveries} == {
        ("canary", "thehive", "delivered"), ("confirmed", "thehive", "delivered"),
        ("canary", "stix", "delivered"), ("confirmed", "stix", "delivered")}, [d["last_error"] for d in deliveries]
    # Two events of one match: one TheHive alert, created by the first and updated by the second.
    (alert,) = thehive.alerts.values()
    assert alert["sourceRef"] == confirmed.matches["leak"]
    assert ("PATCH", f"/api/v1/alert/{alert['_id']}") in thehive.requests
    assert len(stix_receiver["bundles"]) == 2 and all(b["verified"] for b in stix_receiver["bundles"])
    assert stix2.parse(stix_receiver["bundles"][0]["body"].decode()).type == "bundle"


def test_thehive_down_is_retried_then_listed_as_failed(confirmed, thehive):
    runtime = confirmed.runtime
    soc = SocChannels(runtime.redis, runtime.settings.namespace, runtime.settings.alert_webhook_allow)
    soc.set("labo-07", thehive_url=thehive.url, thehive_api_key="revoked-key", stix_url=None)
    sender = runtime.alert_sender
    sender.run_once()
    (first, *_) = [d for d in sender.deliveries(confirmed.matches["leak"]) if d["channel"] == "thehive"]
    assert first["state"] in ("pending", "failed") and "TheHive refused" in first["last_error"]
    assert not thehive.alerts


def test_the_api_sets_soc_channels_and_refuses_internal_addresses(lab, app_server, token, thehive):
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{app_server.url}/api/v1/soc-channels"
    refused = httpx.put(url, headers=headers, json={"thehive_url": "http://10.1.2.3:9000", "thehive_api_key": "k"})
    assert refused.status_code == 422
    keyless = httpx.put(url, headers=headers, json={"thehive_url": thehive.url})
    assert keyless.status_code == 422 and "needs its API key" in keyless.text
    assert httpx.get(url, headers=headers).json()["thehive_url"] is None   # nothing stored by a refusal
    done = httpx.put(url, headers=headers, json={"thehive_url": thehive.url, "thehive_api_key": "k",
                                                 "stix_url": thehive.url + "/stix"})
    assert done.status_code == 200, done.text
    assert done.json()["stix_secret"].startswith("whsec_") and done.json()["thehive_api_key_set"]
    shown = httpx.get(url, headers=headers).json()
    assert shown["thehive_url"] == thehive.url and "thehive_api_key" not in shown and "stix_secret" not in shown


def test_the_cli_sets_soc_channels(lab, thehive, tmp_path, monkeypatch):
    monkeypatch.setenv("LEAKWATCH_ALERT_WEBHOOK_ALLOW", "127.0.0.0/8")  # the receiver is on loopback
    key = tmp_path / "hive.key"
    key.write_text("k123\n")
    s = lab.settings
    result = CliRunner().invoke(app, ["--redis-url", s.redis_url, "--namespace", s.namespace, "--home", str(s.home),
                                      "--config", str(lab.home / "none.yaml"), "institution", "soc-channels", "labo-07",
                                      "--thehive-url", thehive.url, "--thehive-api-key-file", str(key)])
    assert result.exit_code == 0, result.output
    assert "(API key set)" in result.output
    soc = SocChannels(lab.runtime.redis, s.namespace)
    assert soc.get("labo-07")["thehive_api_key"] == "k123"
