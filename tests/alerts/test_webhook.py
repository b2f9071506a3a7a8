"""Webhook signatures and delivery, against a real receiver on loopback (allowed here as an
operator would allow it: the setting alert_webhook_allow)."""

import json
import time

import httpx
import pytest

from leakwatch.alerts import DeliveryError, sign, verify
from leakwatch.alerts.webhook import post

from .conftest import LOOPBACK
from .peers import WebhookReceiver, free_port

SECRET = "whsec_test"
BODY = b'{"event":"canary","match":"s1-labo-01-patients"}'


def test_signature_verifies_and_a_changed_body_or_secret_does_not():
    now = time.time()
    header = sign(SECRET, BODY, now)
    assert header.startswith(f"t={int(now)},v1=")
    assert verify(SECRET, header, BODY, now=now)
    assert not verify(SECRET, header, BODY.replace(b"canary", b"confirmed"), now=now)
    assert not verify("whsec_other", header, BODY, now=now)


def test_stale_or_future_timestamp_is_refused():
    now = 1_800_000_000
    assert verify(SECRET, sign(SECRET, BODY, now - 300), BODY, now=now)
    assert not verify(SECRET, sign(SECRET, BODY, now - 301), BODY, now=now)
    assert not verify(SECRET, sign(SECRET, BODY, now + 301), BODY, now=now)
    assert verify(SECRET, sign(SECRET, BODY, now - 3000), BODY, now=now, tolerance=3600)


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=123", "t=abc,v1=00", "garbage"])
def test_malformed_signature_header_is_refused(header):
    assert not verify(SECRET, header, BODY, now=123)


def test_any_of_several_v1_values_verifies():
    now = time.time()
    good = sign(SECRET, BODY, now).split(",")[1]
    assert verify(SECRET, f"t={int(now)},v1={'0' * 64},{good}", BODY, now=now)


def test_receiver_refuses_tampered_body_and_replayed_stale_request():
    with WebhookReceiver(secret=SECRET) as receiver:
        now = time.time()
        headers = {"X-Leakwatch-Signature": sign(SECRET, BODY, now), "X-Leakwatch-Delivery": "d1"}
        assert post(receiver.url, BODY, headers, 5, allow=LOOPBACK) == 204
        tampered = json.dumps({**json.loads(BODY), "match": "s2-labo-02-patients"}).encode()
        assert httpx.post(receiver.url, content=tampered, headers=headers).status_code == 401
        stale = {**headers, "X-Leakwatch-Signature": sign(SECRET, BODY, now - 600)}
        assert httpx.post(receiver.url, content=BODY, headers=stale).status_code == 401
        assert [r["verified"] for r in receiver.requests] == [True, False, False]
        assert len(receiver.accepted) == 1


def test_non_2xx_answer_is_a_delivery_error_naming_the_status_only():
    with WebhookReceiver(secret=SECRET, always_fail=True) as receiver, pytest.raises(DeliveryError) as caught:
        post(receiver.url, BODY, {"X-Leakwatch-Signature": sign(SECRET, BODY, time.time())}, 5, allow=LOOPBACK)
    assert str(caught.value) == "HTTP 500"


def test_unreachable_receiver_is_a_delivery_error_naming_the_exception_class():
    with pytest.raises(DeliveryError) as caught:
        post(f"http://127.0.0.1:{free_port()}/hook", BODY, {}, 2, allow=LOOPBACK)
    assert str(caught.value) == "ConnectionRefusedError"
