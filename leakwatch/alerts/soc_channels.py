"""The SOC's own tools as alert channels of an institution: its TheHive 5 and a STIX 2.1 receiver.

Set beside the webhook and e-mail addresses (AlertChannels), kept in Redis ({ns}: the
namespace hash tag, as every alert key):
  {ns}:alerts:soc:<institution>   thehive_url, thehive_api_key, stix_url, stix_secret

The alert sender delivers to them like to any channel (stored first, retried with backoff,
listed when failing). What it sends is made at delivery from the match as it is then, so a
retry or a later event (the canary alert, then the confirmation) sends the newest facts:
- thehive: the match's TheHive alert, created or, for a match already sent, updated
  (thehive.py: sourceRef = the match id);
- stix: the match's STIX bundle, POSTed as a signed webhook is (X-Leakwatch-Signature under
  stix_secret, made when a STIX URL is first set).
Both URLs are checked as webhooks are (destinations.py) when set, and again at delivery.
For TheHive the check resolves the name and refuses internal addresses before thehive4py
(requests) connects; requests then resolves the name again itself, which leaves a narrow
DNS-rebinding window that the webhook path (connecting to the checked address) does not have.
"""

import json
import secrets
import time
from urllib.parse import urlsplit

from .channels import _check_institution, _check_webhook
from .destinations import delivery_addresses, parse_allow
from .errors import AlertError, DeliveryError
from .webhook import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, post, sign

CHANNELS = ("thehive", "stix")
MAX_API_KEY = 500


class SocChannels:
    def __init__(self, client, namespace: str = "lw", webhook_allow=()):
        from leakwatch.matchers.registry.names import meta_prefix

        self.client = client
        self.prefix = meta_prefix(namespace)
        self.webhook_allow = parse_allow(webhook_allow)

    def _key(self, institution: str) -> str:
        return f"{self.prefix}:alerts:soc:{institution}"

    def set(self, institution: str, *, thehive_url: str | None, thehive_api_key: str | None,
            stix_url: str | None) -> dict:
        """Replace the institution's SOC channels; an API key of None keeps the one stored."""
        _check_institution(institution)
        thehive_url = _check_webhook(thehive_url, self.webhook_allow)
        stix_url = _check_webhook(stix_url, self.webhook_allow)
        if thehive_api_key is not None and (len(thehive_api_key) > MAX_API_KEY or any(c.isspace() for c in thehive_api_key)):
            raise AlertError(f"the TheHive API key must be at most {MAX_API_KEY} characters, without spaces")
        key = self._key(institution)
        if thehive_url and not thehive_api_key and not self.client.hget(key, "thehive_api_key"):
            raise AlertError("a TheHive URL needs its API key")
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"thehive_url": thehive_url or "", "stix_url": stix_url or ""})
            if thehive_api_key is not None:
                pipe.hset(key, "thehive_api_key", thehive_api_key)
            if stix_url:
                pipe.hsetnx(key, "stix_secret", "whsec_" + secrets.token_hex(32))
            pipe.execute()
        return self.get(institution)

    def get(self, institution: str) -> dict:
        _check_institution(institution)
        raw = {k.decode(): v.decode() for k, v in self.client.hgetall(self._key(institution)).items()}
        return {"institution": institution, "thehive_url": raw.get("thehive_url") or None,
                "thehive_api_key": raw.get("thehive_api_key") or None, "stix_url": raw.get("stix_url") or None,
                "stix_secret": raw.get("stix_secret") or None}

    def targets(self, institution: str) -> list:
        """(channel, display target) of each SOC channel the institution set."""
        current = self.get(institution)
        return [(channel, urlsplit(current[f"{channel}_url"]).hostname or "")
                for channel in CHANNELS if current[f"{channel}_url"]]

    def send(self, delivery: dict, match: dict | None, sightings, *, timeout: float, public_url: str = "",
             resolver=None) -> None:
        """Deliver `match` (as it is now) to one SOC channel; DeliveryError on failure."""
        from leakwatch.response import match_facts

        if match is None:
            raise DeliveryError("match no longer exists")
        current = self.get(delivery["institution"])
        url = current[f"{delivery['channel']}_url"]
        if not url:
            raise DeliveryError(f"{delivery['channel']} channel no longer set")
        facts = match_facts(sightings, match)
        if delivery["channel"] == "thehive":
            from .thehive import publish_thehive, thehive_alert

            parts = urlsplit(url)
            delivery_addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                               self.webhook_allow, resolver)
            publish_thehive(thehive_alert(facts, public_url), url, current["thehive_api_key"], timeout=timeout)
        else:
            from .stix import stix_bundle

            body = json.dumps(stix_bundle(facts)).encode()
            headers = {"Content-Type": "application/stix+json;version=2.1", "User-Agent": "leakwatch-alerts",
                       EVENT_HEADER: delivery["event"], DELIVERY_HEADER: delivery["id"],
                       SIGNATURE_HEADER: sign(current["stix_secret"], body, time.time())}
            post(url, body, headers, timeout, allow=self.webhook_allow, resolver=resolver)
