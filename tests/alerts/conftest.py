"""Alert tests run the real path: a registered institution, a leak file scanned into the
match queue, a real SMTP server and a real webhook receiver on loopback. Loopback is an
internal range a webhook may not reach by default: these fixtures allow 127.0.0.0/8, as an
operator would with the setting alert_webhook_allow."""

import pytest

from leakwatch.alerts import AlertChannels, AlertSender
from leakwatch.runtime import Runtime
from leakwatch.settings import Settings

from .lab import INSTITUTION, register
from .peers import SmtpServer, WebhookReceiver

LOOPBACK = ("127.0.0.0/8",)


@pytest.fixture
def runtime(tmp_path, redis_url, namespace):
    settings = Settings.load(flags={"redis_url": redis_url, "namespace": namespace, "home": str(tmp_path / "home")},
                             environ={})
    rt = Runtime(settings)
    yield rt
    rt.redis.close()


@pytest.fixture
def smtp_server():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def receiver():
    with WebhookReceiver() as r:
        yield r


@pytest.fixture
def channels(runtime):
    return AlertChannels(runtime.redis, namespace=runtime.settings.namespace, webhook_allow=LOOPBACK)


@pytest.fixture
def make_sender(runtime, channels, smtp_server):
    def make(**options):
        options = {"max_attempts": 8, "backoff_seconds": 30, "timeout": 5, "webhook_allow": LOOPBACK, **options}
        return AlertSender(runtime.redis, runtime.settings.namespace, runtime.queue, runtime.sightings, channels,
                           smtp={"host": "127.0.0.1", "port": smtp_server.port, "sender": "leakwatch@monitor.example"},
                           public_url="https://leakwatch.example/", **options)
    return make


@pytest.fixture
def wired(runtime, channels, receiver):
    """labo-01 registered with a canary, webhook and one e-mail address set, the receiver knowing the secret."""
    register(runtime)
    set_channels = channels.set(INSTITUTION, webhook_url=receiver.url, emails=["secu@labo-01.example"])
    receiver.secret = set_channels["webhook_secret"]
    return set_channels
