"""Where each institution wants its alerts: a webhook (signed) and e-mail addresses.

Kept in Redis next to the registry, one hash per institution ({ns}: the namespace as a hash
tag, `{lw}`, like every key the alerts use):
  {ns}:alerts:channels:<institution>   webhook_url, webhook_secret, emails (JSON list)

The webhook signing secret is made the first time a webhook is set and kept when the URL
changes or is removed, so a receiver that already verifies signatures goes on working;
`rotate_secret` replaces it on request. A webhook host that is or names an internal address
(loopback, private, link-local...) is refused unless the operator allows its range
(destinations.py; the sender checks again after resolving the name at each delivery).
"""

import json
import re
import secrets
from urllib.parse import urlsplit

from leakwatch.matchers.registry import RegistryError, check_name
from leakwatch.matchers.registry.names import meta_prefix

from .destinations import check_host, parse_allow
from .errors import AlertError

MAX_EMAILS = 20
MAX_URL = 2000
# Deliberately loose: one @, no spaces, a dot in the domain. SMTP has the last word.
_EMAIL = re.compile(r"[^@\s<>,;\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


class AlertChannels:
    def __init__(self, client, namespace: str = "lw", webhook_allow=()):
        self.client = client
        self.namespace = namespace
        self.webhook_allow = parse_allow(webhook_allow)
        self.prefix = meta_prefix(namespace)

    def _key(self, institution: str) -> str:
        return f"{self.prefix}:alerts:channels:{institution}"

    def set(self, institution: str, *, webhook_url: str | None, emails: list[str]) -> dict:
        """Replace the institution's channels; returns them, webhook secret included."""
        _check_institution(institution)
        url = _check_webhook(webhook_url, self.webhook_allow)
        addresses = _check_emails(emails)
        key = self._key(institution)
        mapping = {"webhook_url": url or "", "emails": json.dumps(addresses)}
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=mapping)
            if url:
                pipe.hsetnx(key, "webhook_secret", _new_secret())
            pipe.execute()
        return self.get(institution)

    def get(self, institution: str) -> dict:
        """The institution's channels; no webhook and no address when none were set."""
        _check_institution(institution)
        raw = {k.decode(): v.decode() for k, v in self.client.hgetall(self._key(institution)).items()}
        return {
            "institution": institution,
            "webhook_url": raw.get("webhook_url") or None,
            "webhook_secret": raw.get("webhook_secret") or None,
            "emails": json.loads(raw.get("emails") or "[]"),
        }

    def rotate_secret(self, institution: str) -> str:
        """A new webhook signing secret (the old one stops verifying at once)."""
        _check_institution(institution)
        secret = _new_secret()
        self.client.hset(self._key(institution), "webhook_secret", secret)
        return secret


def _new_secret() -> str:
    return "whsec_" + secrets.token_hex(32)


def _check_institution(institution: str) -> None:
    try:
        check_name("institution", institution)
    except RegistryError as exc:
        raise AlertError(str(exc)) from None


def _check_webhook(url: str | None, allow: tuple = ()) -> str | None:
    if url is None or url == "":
        return None
    if not isinstance(url, str) or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise AlertError(f"webhook URL must be an http:// or https:// URL of at most {MAX_URL} characters, without spaces")
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # .port raises ValueError on a port that is not a number
    except ValueError:
        raise AlertError("webhook URL is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise AlertError("webhook URL must start with http:// or https://")
    if not host:
        raise AlertError("webhook URL has no host")
    if parts.username or parts.password:
        # Credentials in a URL end up in logs and pages; the signature authenticates us instead.
        raise AlertError("webhook URL must not hold a user name or password: verify the signature instead")
    check_host(host, allow)
    return url


def _check_emails(emails) -> list:
    if emails is None:
        return []
    if isinstance(emails, str) or not all(isinstance(e, str) for e in emails):
        raise AlertError("emails must be a list of e-mail addresses")
    out, seen = [], set()
    for position, address in enumerate(emails, 1):
        address = address.strip()
        if not address:
            continue
        # The address is not repeated in the message: errors are logged.
        if len(address) > 254 or not _EMAIL.fullmatch(address):
            raise AlertError(f"e-mail address #{position} is not of the form name@domain.tld")
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    if len(out) > MAX_EMAILS:
        raise AlertError(f"at most {MAX_EMAILS} e-mail addresses per institution")
    return out
