"""The alert sender end to end: real matches from real scans, a real SMTP server and a
real webhook receiver that verifies signatures; time for backoff is driven with `now`."""

import email
import email.policy
import json
import logging
import threading
import time

from leakwatch.alerts import AlertSender, misp_event
from leakwatch.review import spread_timeline
from leakwatch.runtime import Runtime
from leakwatch.settings import Settings

from .lab import CANARY, DATASET, INSTITUTION, PEOPLE, RAW_VALUES, register, scan_leak


def pending_key(runtime):
    return runtime.queue.alerts_key


def processing_key(runtime):
    return f"{{{runtime.settings.namespace}}}:alerts:processing"


def test_canary_hit_reaches_webhook_and_email_without_any_analyst(runtime, wired, receiver, smtp_server, make_sender,
                                                                  tmp_path):
    match = scan_leak(runtime, tmp_path, [PEOPLE[0], CANARY])
    assert match["canaries"] == 1 and match["state"] == "new"
    sender = make_sender()

    assert sender.run_once() == 2

    assert len(receiver.accepted) == 1
    request = receiver.accepted[0]
    assert request["headers"]["X-Leakwatch-Event"] == "canary"
    body = json.loads(request["body"])
    assert body["event"] == "canary" and body["match"] == match["id"] and body["canaries"] == 1
    assert body["link"] == f"https://leakwatch.example/matches/{match['id']}"
    assert [rcpt for rcpt, _ in smtp_server.messages] == [["secu@labo-01.example"]]
    mail = email.message_from_bytes(smtp_server.messages[0][1], policy=email.policy.default)
    assert mail["Subject"] == f"[leakwatch] canary hit: {INSTITUTION}/{DATASET}"
    assert match["id"] in mail.get_content()
    deliveries = sender.deliveries(match["id"])
    assert sorted(d["channel"] for d in deliveries) == ["email", "webhook"]
    assert {d["state"] for d in deliveries} == {"delivered"}
    assert {d["target"] for d in deliveries} == {"secu@labo-01.example", receiver.url.split("/")[2]}
    assert request["headers"]["X-Leakwatch-Delivery"] in {d["id"] for d in deliveries}
    assert runtime.redis.llen(pending_key(runtime)) == 0 and runtime.redis.llen(processing_key(runtime)) == 0
    assert sender.run_once() == 0  # nothing left to do: nothing is sent twice


def test_confirmed_match_alerts_once_even_if_confirmed_twice(runtime, wired, receiver, smtp_server, make_sender, tmp_path):
    match = scan_leak(runtime, tmp_path, PEOPLE[:3])
    assert match["canaries"] == 0
    sender = make_sender()
    assert sender.run_once() == 0  # no canary: nobody is warned before an analyst confirms
    assert receiver.requests == []

    runtime.triage.decide(match["id"], "confirmed", "alice")
    assert sender.run_once() == 2
    runtime.triage.decide(match["id"], "confirmed", "bob")
    assert sender.run_once() == 0

    assert len(receiver.accepted) == 1 and len(smtp_server.messages) == 1
    body = json.loads(receiver.accepted[0]["body"])
    assert body["event"] == "confirmed" and body["state"] == "confirmed" and body["records"] == 3
    assert len(sender.deliveries(match["id"])) == 2


def test_failing_receiver_gets_the_alert_on_the_third_attempt_after_backoff(runtime, channels, make_sender, tmp_path):
    from .peers import WebhookReceiver

    register(runtime)
    with WebhookReceiver(fail_first=2) as flaky:
        flaky.secret = channels.set(INSTITUTION, webhook_url=flaky.url, emails=[])["webhook_secret"]
        match = scan_leak(runtime, tmp_path, [CANARY])
        sender = make_sender(backoff_seconds=30)
        t0 = time.time()

        assert sender.run_once(now=t0) == 1
        (d,) = sender.deliveries(match["id"])
        assert (d["state"], d["attempts"], d["last_error"]) == ("pending", 1, "HTTP 500")
        assert d["next_at"] == t0 + 30
        assert sender.run_once(now=t0 + 29) == 0  # not due yet
        assert sender.run_once(now=t0 + 30) == 1
        (d,) = sender.deliveries(match["id"])
        assert (d["attempts"], d["next_at"]) == (2, t0 + 30 + 60)  # backoff doubled
        assert sender.run_once(now=t0 + 89) == 0
        assert sender.run_once(now=t0 + 90) == 1

        (d,) = sender.deliveries(match["id"])
        assert (d["state"], d["attempts"], d["delivered_at"]) == ("delivered", 3, t0 + 90)
        assert len(flaky.requests) == 3 and len(flaky.accepted) == 1
        # One delivery id on every attempt: the receiver can drop repeats.
        assert {r["headers"]["X-Leakwatch-Delivery"] for r in flaky.requests} == {d["id"]}


def test_receiver_failing_always_ends_failed_listed_and_retry_rearms_it(runtime, channels, make_sender, tmp_path):
    from .peers import WebhookReceiver

    register(runtime)
    with WebhookReceiver(always_fail=True) as broken:
        broken.secret = channels.set(INSTITUTION, webhook_url=broken.url, emails=[])["webhook_secret"]
        match = scan_leak(runtime, tmp_path, [CANARY])
        sender = make_sender(max_attempts=3, backoff_seconds=30)
        t0 = time.time()
        for now in (t0, t0 + 30, t0 + 90):
            assert sender.run_once(now=now) == 1
        assert sender.run_once(now=t0 + 100_000) == 0  # given up: no fourth attempt

        (failed,) = sender.failures()
        assert (failed["match"], failed["state"], failed["attempts"], failed["last_error"]) == (match["id"], "failed", 3, "HTTP 500")
        assert len(broken.requests) == 3

        broken.always_fail = False
        assert sender.retry(failed["id"], now=t0 + 200) == [failed["id"]]
        assert sender.get(failed["id"])["state"] == "pending"
        assert sender.failures() == []
        assert sender.run_once(now=t0 + 200) == 1
        assert sender.get(failed["id"])["state"] == "delivered"
        assert len(broken.accepted) == 1


def test_event_left_in_processing_by_a_dead_process_is_delivered_once(runtime, wired, receiver, smtp_server, make_sender,
                                                                      tmp_path):
    match = scan_leak(runtime, tmp_path, [CANARY])
    client = runtime.redis
    # A sender took the event (LMOVE) and died before making its deliveries.
    raw = client.lmove(pending_key(runtime), processing_key(runtime), "LEFT", "RIGHT")
    assert raw is not None and client.llen(pending_key(runtime)) == 0

    sender = make_sender()
    assert sender.run_once() == 2
    assert len(receiver.accepted) == 1 and len(smtp_server.messages) == 1
    assert client.llen(processing_key(runtime)) == 0

    # The same event taken again (a repeat, or a process dying after its transaction):
    # idempotent by event id, no second delivery.
    client.rpush(processing_key(runtime), raw)
    assert sender.run_once() == 0
    assert client.llen(processing_key(runtime)) == 0
    assert len(sender.deliveries(match["id"])) == 2
    assert len(receiver.accepted) == 1 and len(smtp_server.messages) == 1


def test_delivery_leased_by_a_dead_process_is_attempted_after_the_lease(runtime, wired, receiver, smtp_server,
                                                                       make_sender, tmp_path):
    match = scan_leak(runtime, tmp_path, [CANARY])
    sender = make_sender(timeout=5)
    t0 = time.time()
    # A process took the event, made its deliveries, claimed them (the due time pushed to
    # the lease end: timeout + margin) and died during the attempts.
    raw = runtime.redis.lmove(pending_key(runtime), processing_key(runtime), "LEFT", "RIGHT")
    sender._expand(raw, t0)
    lease_end = t0 + 5 + 60
    due_key = f"{{{runtime.settings.namespace}}}:alerts:due"
    ids = [d["id"] for d in sender.deliveries(match["id"])]
    runtime.redis.zadd(due_key, {i: lease_end for i in ids})

    assert sender.run_once(now=t0 + 1) == 0  # leased: not taken twice while an attempt may run
    assert receiver.requests == []
    assert sender.run_once(now=lease_end) == 2  # the dead process's attempts resume
    assert {sender.get(i)["state"] for i in ids} == {"delivered"}
    assert len(receiver.accepted) == 1 and len(smtp_server.messages) == 1


def test_institution_without_channel_is_recorded_as_a_failed_delivery(runtime, channels, make_sender, receiver, tmp_path):
    register(runtime)
    match = scan_leak(runtime, tmp_path, [CANARY])
    sender = make_sender()
    assert sender.run_once() == 0

    (d,) = sender.deliveries(match["id"])
    assert (d["channel"], d["state"], d["last_error"]) == ("none", "failed", "no alert channel")
    assert [f["id"] for f in sender.failures()] == [d["id"]]

    # Once a channel is set, retrying sends the alert there.
    receiver.secret = channels.set(INSTITUTION, webhook_url=receiver.url, emails=[])["webhook_secret"]
    (new_id,) = sender.retry(d["id"])
    assert sender.run_once() == 1
    assert sender.get(new_id)["state"] == "delivered"
    assert json.loads(receiver.accepted[0]["body"])["event"] == "canary"
    assert sender.failures() == []


def test_no_raw_value_in_webhook_email_misp_deliveries_or_logs(runtime, wired, channels, receiver, smtp_server,
                                                               make_sender, tmp_path, caplog):
    from .peers import WebhookReceiver

    caplog.set_level(logging.DEBUG)
    match = scan_leak(runtime, tmp_path, PEOPLE + [CANARY], url="https://paste.example/raw/abc", source="paste")
    runtime.triage.decide(match["id"], "confirmed", "alice")
    sender = make_sender(max_attempts=1)
    assert sender.run_once() == 4  # canary + confirmed, webhook + e-mail each
    # A failing receiver too: error paths write log lines and last_error.
    with WebhookReceiver(always_fail=True) as broken:
        broken.secret = channels.set(INSTITUTION, webhook_url=broken.url, emails=[])["webhook_secret"]
        runtime.redis.rpush(pending_key(runtime), json.dumps({"id": "e-fail", "event": "confirmed", "match": match["id"]}))
        assert sender.run_once() == 1
    assert len(sender.failures()) == 1

    sighting = runtime.sightings.get(match["sighting"])
    assert sighting["excerpt"]  # the evidence is stored for analysts...
    misp = misp_event(match, sighting, spread_timeline(runtime.sightings, match))
    texts = [r["body"].decode() + json.dumps(r["headers"]) for r in receiver.requests + broken.requests]
    texts += [raw.decode("utf-8", "replace") for _, raw in smtp_server.messages]
    texts += [email.message_from_bytes(raw, policy=email.policy.default).get_content() for _, raw in smtp_server.messages]
    texts += [json.dumps(misp), json.dumps(sender.deliveries(match["id"])), json.dumps(sender.failures())]
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("leakwatch")]
    texts += ours
    assert len(receiver.accepted) == 2 and len(smtp_server.messages) == 2 and len(broken.requests) == 1 and ours
    everything = "\n".join(texts).lower()
    leaked = [v for v in RAW_VALUES if v.lower() in everything]
    assert leaked == []  # ...and none of it in what leaves or is logged


def test_background_loop_survives_a_failing_run_and_goes_on(runtime, wired, receiver, make_sender, tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="leakwatch.alerts")
    client = runtime.redis
    client.set(processing_key(runtime), "not a list")  # every run fails until it is gone
    match = scan_leak(runtime, tmp_path, [CANARY])
    sender = make_sender()
    stop = threading.Event()
    thread = threading.Thread(target=sender.run_forever, args=(stop,), kwargs={"interval": 0.02})
    thread.start()
    try:
        deadline = time.time() + 5
        while not caplog.records and time.time() < deadline:
            time.sleep(0.01)
        assert caplog.records and "ResponseError" in caplog.records[0].getMessage()
        client.delete(processing_key(runtime))
        while not receiver.accepted and time.time() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert json.loads(receiver.accepted[0]["body"])["match"] == match["id"]


def test_from_runtime_takes_the_settings(tmp_path, redis_url, namespace):
    settings = Settings.load(flags={"redis_url": redis_url, "namespace": namespace, "home": str(tmp_path),
                                    "smtp_port": 2525, "alert_max_attempts": 4, "alert_backoff_seconds": 7,
                                    "serve_port": 8181}, environ={})
    runtime = Runtime(settings)
    sender = AlertSender.from_runtime(runtime)
    assert (sender.mailer.port, sender.max_attempts, sender.backoff_seconds) == (2525, 4, 7)
    assert sender.public_url == "http://127.0.0.1:8181"
    assert sender.pending_key == runtime.queue.alerts_key
    runtime.redis.close()


def test_unreadable_event_is_set_aside_and_the_next_one_still_delivered(runtime, wired, receiver, make_sender, tmp_path,
                                                                         caplog):
    ns = "{" + runtime.settings.namespace + "}"
    runtime.redis.rpush(pending_key(runtime), b"{not json")
    match = scan_leak(runtime, tmp_path, [CANARY])
    assert make_sender().run_once() == 2
    assert runtime.redis.lrange(f"{ns}:alerts:dead", 0, -1) == [b"{not json"]  # kept for a human, not dropped
    assert runtime.redis.llen(processing_key(runtime)) == 0
    assert json.loads(receiver.accepted[0]["body"])["match"] == match["id"]
    assert any("unreadable alert event" in r.getMessage() for r in caplog.records)
