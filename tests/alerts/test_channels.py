"""Per-institution alert channels in a real Redis."""

import pytest

from leakwatch.alerts import AlertChannels, AlertError


@pytest.fixture
def store(redis_client, namespace):
    return AlertChannels(redis_client, namespace)


def test_institution_without_channels_gets_empty_defaults(store):
    assert store.get("labo-01") == {"institution": "labo-01", "webhook_url": None, "webhook_secret": None, "emails": []}


def test_setting_a_webhook_makes_a_secret_once_and_keeps_it(store):
    first = store.set("labo-01", webhook_url="https://hooks.labo-01.example/leakwatch", emails=["secu@labo-01.example"])
    assert first["webhook_secret"].startswith("whsec_") and len(first["webhook_secret"]) > 40
    assert first["emails"] == ["secu@labo-01.example"]
    second = store.set("labo-01", webhook_url="https://other.labo-01.example/in", emails=[])
    assert second["webhook_secret"] == first["webhook_secret"]
    assert second["webhook_url"] == "https://other.labo-01.example/in" and second["emails"] == []
    # Removing the webhook keeps the secret for the receiver that already verifies with it.
    assert store.set("labo-01", webhook_url=None, emails=["a@b.example"])["webhook_secret"] == first["webhook_secret"]
    assert store.get("labo-01")["webhook_url"] is None


def test_e_mail_only_channels_have_no_secret(store):
    channels = store.set("labo-02", webhook_url=None, emails=["a@labo-02.example", "A@labo-02.example", " b@labo-02.example "])
    assert channels["webhook_secret"] is None
    assert channels["emails"] == ["a@labo-02.example", "b@labo-02.example"]


def test_rotate_secret_replaces_it(store):
    old = store.set("labo-01", webhook_url="https://hooks.labo-01.example:9000/hook", emails=[])["webhook_secret"]
    new = store.rotate_secret("labo-01")
    assert new != old and store.get("labo-01")["webhook_secret"] == new


@pytest.mark.parametrize("url, reason", [
    ("ftp://hooks.example/in", "http:// or https://"),
    ("hooks.example/in", "http:// or https://"),
    ("https:///no-host", "no host"),
    ("https://user:pw@hooks.example/in", "user name or password"),
    ("https://hooks.example:notaport/in", "not a valid URL"),
    ("https://hooks.example/a b", "without spaces"),
])
def test_bad_webhook_url_is_refused_with_the_reason(store, url, reason):
    with pytest.raises(AlertError, match=reason):
        store.set("labo-01", webhook_url=url, emails=[])
    assert store.get("labo-01")["webhook_url"] is None  # nothing half-written


def test_bad_e_mail_address_is_refused_without_repeating_it(store):
    with pytest.raises(AlertError) as caught:
        store.set("labo-01", webhook_url=None, emails=["ok@labo.example", "jean.dupont-at-mail.fr"])
    assert "#2" in str(caught.value) and "jean.dupont" not in str(caught.value)
    with pytest.raises(AlertError, match="list of e-mail addresses"):
        store.set("labo-01", webhook_url=None, emails="ok@labo.example")


def test_bad_institution_name_is_refused(store):
    with pytest.raises(AlertError, match="institution name"):
        store.get("../etc")
