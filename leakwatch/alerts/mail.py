"""E-mail alerts: one plain-text message per address, over SMTP (smtplib).

The text is rendered from the alert payload only (counts, kinds of data, where, when, a
link), so it holds no value from the leak. STARTTLS, when set, is required: a server that
does not offer it fails the delivery rather than getting the alert in the clear.
"""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from .errors import AlertError, DeliveryError

SUBJECTS = {"canary": "canary hit", "confirmed": "confirmed leak"}


def render(payload: dict) -> tuple[str, str]:
    """(subject, text) of the e-mail for one alert payload."""
    what = SUBJECTS.get(payload["event"], payload["event"])
    subject = f"[leakwatch] {what}: {payload['institution']}/{payload['dataset']}"
    seen = payload.get("first_seen") or {}
    if payload["event"] == "canary":
        lead = (f"{payload['canaries']} canary record(s) planted by {payload['institution']} appeared in a dump. "
                "No analyst has reviewed it yet: a canary is a leak signal on its own.")
    else:
        lead = f"An analyst confirmed that data of {payload['institution']} appeared in a dump."
    lines = [
        lead,
        "",
        f"Institution:      {payload['institution']}",
        f"Dataset:          {payload['dataset']}",
        f"Records at stake: {payload['records']} (between {payload['records_low']} and {payload['records_high']})",
        f"Canary records:   {payload['canaries']}",
        f"Kinds of data:    {', '.join(payload['fields']) or '-'}",
        f"Seen at:          {seen.get('where') or '-'} (source: {seen.get('source') or '-'})",
        f"Seen on:          {seen.get('at') or '-'}",
        f"Dump SHA-256:     {payload.get('sha256') or '-'}",
        f"Review state:     {payload['state']}",
        "",
        f"Details: {payload['link']}",
        "",
        "This message holds no personal data from the dump; the evidence is behind the link.",
    ]
    return subject, "\n".join(lines) + "\n"


class Mailer:
    """Sends alert e-mails through one SMTP server (values from the smtp_* settings)."""

    def __init__(self, host: str, port: int, sender: str, user: str = "", password: str = "",
                 starttls: bool = False, timeout: float = 10):
        if not host or not 0 < int(port) < 65536:
            raise AlertError("SMTP needs a host and a port between 1 and 65535 (settings smtp_host, smtp_port)")
        if not sender or "@" not in sender:
            raise AlertError("SMTP sender must be an e-mail address (setting smtp_from)")
        if password and not user:
            raise AlertError("an SMTP password without a user name (set smtp_user)")
        self.host, self.port, self.sender = host, int(port), sender
        self.user, self.password = user, password
        self.starttls, self.timeout = bool(starttls), timeout

    def message(self, to: str, payload: dict, delivery_id: str = "") -> EmailMessage:
        subject, text = render(payload)
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        msg["X-Leakwatch-Event"] = payload["event"]
        if delivery_id:
            msg["X-Leakwatch-Delivery"] = delivery_id  # same on every retry: lets a mail filter drop repeats
        msg.set_content(text)
        return msg

    def send(self, to: str, payload: dict, delivery_id: str = "") -> None:
        """Send one alert to one address, or raise DeliveryError with a short reason."""
        msg = self.message(to, payload, delivery_id)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            # The refused address is in exc.recipients: not repeated here.
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise DeliveryError(f"SMTP recipient refused ({', '.join(map(str, codes))})") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(type(exc).__name__) from None
