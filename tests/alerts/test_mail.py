"""Alert e-mails against a real SMTP server (aiosmtpd) on loopback."""

import email
import email.policy

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from leakwatch.alerts import DeliveryError
from leakwatch.alerts.mail import Mailer, render

from .peers import SmtpServer, free_port

PAYLOAD = {
    "event": "confirmed", "match": "s3-labo-01-patients", "institution": "labo-01", "dataset": "patients",
    "records": 312, "records_low": 312, "records_high": 315, "fields": ["date", "name", "nir"], "canaries": 0,
    "state": "confirmed", "first_seen": {"where": "https://paste.example/raw/abc", "source": "paste",
                                         "at": "2026-11-25T12:40:00Z"},
    "sha256": "ab" * 32, "link": "https://leakwatch.example/matches/s3-labo-01-patients",
}


def test_rendered_mail_says_what_where_when_and_links_the_match():
    subject, text = render(PAYLOAD)
    assert subject == "[leakwatch] confirmed leak: labo-01/patients"
    for part in ("312 (between 312 and 315)", "date, name, nir", "https://paste.example/raw/abc", "paste",
                 "2026-11-25T12:40:00Z", "ab" * 32, PAYLOAD["link"]):
        assert part in text
    assert render({**PAYLOAD, "event": "canary", "canaries": 1})[0] == "[leakwatch] canary hit: labo-01/patients"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback test server: no TLS
def test_mail_is_sent_with_login_when_a_user_is_set():
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"lw", b"s3cret")
        logins.append(ok)
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    with SmtpServer(authenticator=authenticator, auth_require_tls=False, auth_required=True) as server:
        Mailer("127.0.0.1", server.port, "leakwatch@monitor.example", user="lw", password="s3cret").send(
            "secu@labo-01.example", PAYLOAD, "d123")
        with pytest.raises(DeliveryError, match="SMTP 535"):
            Mailer("127.0.0.1", server.port, "leakwatch@monitor.example", user="lw", password="wrong").send(
                "secu@labo-01.example", PAYLOAD)
    assert logins[0] and len(logins) > 1 and not any(logins[1:])  # smtplib tries each mechanism offered
    (rcpt, raw), = server.messages
    assert rcpt == ["secu@labo-01.example"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["From"] == "leakwatch@monitor.example" and msg["X-Leakwatch-Delivery"] == "d123"
    assert msg.get_content_type() == "text/plain" and PAYLOAD["link"] in msg.get_content()


def test_starttls_required_but_not_offered_fails_instead_of_sending_in_clear():
    with SmtpServer() as server, pytest.raises(DeliveryError, match="SMTPNotSupportedError"):
        Mailer("127.0.0.1", server.port, "leakwatch@monitor.example", starttls=True).send("secu@labo-01.example", PAYLOAD)
    assert server.messages == []


def test_unreachable_smtp_server_is_a_delivery_error():
    with pytest.raises(DeliveryError, match="ConnectionRefusedError"):
        Mailer("127.0.0.1", free_port(), "leakwatch@monitor.example", timeout=2).send("secu@labo-01.example", PAYLOAD)


def test_mailer_checks_its_settings():
    with pytest.raises(ValueError, match="smtp_from"):
        Mailer("127.0.0.1", 25, "not-an-address")
    with pytest.raises(ValueError, match="smtp_user"):
        Mailer("127.0.0.1", 25, "a@b.example", password="x")
