"""A webhook never reaches the monitor's own network: internal addresses are refused when a
channel is set and again at each delivery, after the name is resolved once, unless the
operator allows their range. Real Redis, a real receiver on loopback that must get nothing."""

import ipaddress
import socket

import pytest

from leakwatch.alerts import AlertChannels, AlertError, DeliveryError
from leakwatch.alerts.destinations import refusal
from leakwatch.alerts.webhook import post

from .conftest import LOOPBACK
from .lab import CANARY, INSTITUTION, register, scan_leak
from .peers import WebhookReceiver

REFUSED_URLS = [
    "http://127.0.0.1:6379/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/hook",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",
    "http://[fc00::1]/hook",
    "http://[fe80::1]/hook",
    "http://224.0.0.1/hook",
    "http://0.0.0.0/hook",
    "http://240.0.0.1/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a9fe:a9fe]/hook",
    "http://localhost:6379/",
    "http://metrics.localhost/",
]


@pytest.fixture
def store(redis_client, namespace):
    return AlertChannels(redis_client, namespace)


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_an_internal_or_oddly_spelled_webhook_address_is_refused_when_set(store, url):
    with pytest.raises(AlertError, match="webhook host is"):
        store.set(INSTITUTION, webhook_url=url, emails=[])
    assert store.get(INSTITUTION)["webhook_url"] is None


@pytest.mark.parametrize("url", ["https://hooks.labo-01.example/in", "http://8.8.8.8/hook", "https://[2606:4700::1]/in"])
def test_a_public_webhook_address_is_accepted(store, url):
    assert store.set(INSTITUTION, webhook_url=url, emails=[])["webhook_url"] == url


def test_an_allowed_range_is_accepted_and_odd_spellings_are_not_even_then(redis_client, namespace):
    store = AlertChannels(redis_client, namespace, webhook_allow=("127.0.0.0/8", "10.20.0.0/16"))
    assert store.set(INSTITUTION, webhook_url="http://10.20.3.4/hook", emails=[])["webhook_url"]
    assert store.set(INSTITUTION, webhook_url="http://localhost:9000/hook", emails=[])["webhook_url"]
    for url in ("http://10.21.0.1/hook", "http://0x7f000001/"):
        with pytest.raises(AlertError):
            store.set(INSTITUTION, webhook_url=url, emails=[])


def test_an_ipv6_form_of_an_internal_ipv4_address_is_refused_as_what_it_carries():
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), ()) == "a loopback address"
    assert refusal(ipaddress.ip_address("2002:a9fe:a9fe::1"), ()) == "a link-local address"  # 6to4
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), tuple(map(ipaddress.ip_network, LOOPBACK))) is None
    assert refusal(ipaddress.ip_address("93.184.216.34"), ()) is None


def resolving_to(*addresses):
    """A resolver hook answering every name with `addresses`, counting its calls."""
    def resolve(host, port):
        resolve.calls.append(host)
        return list(addresses)
    resolve.calls = []
    return resolve


def set_loopback_webhook(runtime, receiver, host):
    """The channel as an allowing deployment stored it (or before the name moved to loopback)."""
    url = receiver.url.replace("127.0.0.1", host)
    channels = AlertChannels(runtime.redis, runtime.settings.namespace, webhook_allow=LOOPBACK)
    receiver.secret = channels.set(INSTITUTION, webhook_url=url, emails=[])["webhook_secret"]


def test_a_name_that_resolves_to_loopback_gets_no_alert_at_delivery(runtime, receiver, make_sender, tmp_path):
    register(runtime)
    set_loopback_webhook(runtime, receiver, "hooks.labo-01.test")
    resolver = resolving_to("127.0.0.1")
    match = scan_leak(runtime, tmp_path, [CANARY])
    sender = make_sender(webhook_allow=(), resolver=resolver)
    sender.run_once()
    assert receiver.requests == []
    (delivery,) = sender.deliveries(match["id"])
    assert delivery["state"] == "pending" and "resolves to a loopback address" in delivery["last_error"]
    assert resolver.calls == ["hooks.labo-01.test"]


def test_localhost_through_the_system_resolver_gets_no_alert_unless_loopback_is_allowed(runtime, receiver, make_sender,
                                                                                        tmp_path):
    register(runtime)
    set_loopback_webhook(runtime, receiver, "localhost")
    match = scan_leak(runtime, tmp_path, [CANARY])
    make_sender(webhook_allow=()).run_once()
    assert receiver.requests == []
    # The receiver listens on 127.0.0.1 only: allow that (a name also answering ::1 would be refused for it).
    allowed = make_sender(webhook_allow=("127.0.0.0/8", "::1/128"), max_attempts=8)
    allowed.run_once(now=10**10)
    assert len(receiver.accepted) == 1
    assert allowed.deliveries(match["id"])[0]["state"] == "delivered"


def test_a_name_answering_one_internal_address_among_public_ones_is_not_delivered_to(receiver):
    with pytest.raises(DeliveryError, match="loopback"):
        post(receiver.url.replace("127.0.0.1", "hooks.labo-01.test"), b"{}", {}, 2,
             resolver=resolving_to("93.184.216.34", "127.0.0.1"))
    assert receiver.requests == []


def test_the_connection_goes_to_the_checked_address_not_to_a_second_resolution(receiver, monkeypatch):
    # The name exists nowhere but in the hook: if anything resolved it again, the POST would fail.
    def no_second_resolution(host, *args, **kwargs):
        raise AssertionError(f"{host} was resolved a second time")

    resolver = resolving_to("127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", no_second_resolution)
    url = receiver.url.replace("127.0.0.1", "hooks.labo-01.test")
    with pytest.raises(DeliveryError, match="HTTP 401"):
        post(url, b"{}", {}, 2, allow=LOOPBACK, resolver=resolver)  # unsigned: the receiver's 401 proves arrival
    assert resolver.calls == ["hooks.labo-01.test"]
    (request,) = receiver.requests
    assert request["headers"]["Host"] == url.split("/")[2]  # the name, as the receiver expects it


def test_an_oddly_spelled_address_stored_before_is_refused_at_delivery(receiver):
    port = receiver.url.split(":")[2].split("/")[0]
    with pytest.raises(DeliveryError, match="unusual spelling"):
        post(f"http://0x7f000001:{port}/hooks/leakwatch", b"{}", {}, 2, allow=LOOPBACK)
    assert receiver.requests == []


def test_the_allow_setting_takes_cidr_ranges_and_refuses_anything_else():
    from leakwatch.settings import Settings, SettingsError

    assert Settings.load(environ={}).alert_webhook_allow == ()
    loaded = Settings.load(environ={"LEAKWATCH_ALERT_WEBHOOK_ALLOW": "127.0.0.0/8, 10.20.0.0/16 fd00::/8"})
    assert loaded.alert_webhook_allow == ("127.0.0.0/8", "10.20.0.0/16", "fd00::/8")
    with pytest.raises(SettingsError, match="alert_webhook_allow must be a list of CIDR ranges"):
        Settings.load(environ={"LEAKWATCH_ALERT_WEBHOOK_ALLOW": "127.0.0.0/33"})
