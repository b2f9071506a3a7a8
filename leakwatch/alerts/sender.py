"""The alert sender: alert events in, one delivery per channel out, retried until delivered.

A canary hit (MatchQueue.add) or an analyst's confirmation (Triage.decide) pushes an event
onto `{ns}:alerts:pending`. `run_once` takes each event with LMOVE into a processing list,
turns it into deliveries (the institution's webhook, each of its e-mail addresses, its TheHive
and STIX receiver: soc_channels.py) and
removes it from processing in one transaction, then attempts every delivery that is due.

Nothing is lost when a process dies:
- between LMOVE and the transaction, the event stays in the processing list and the next
  run takes it again; the transaction WATCHes a marker keyed by the event id, so an event
  is turned into deliveries once however often it is taken;
- during an attempt, the delivery is leased (its due time pushed past the attempt's
  timeout) rather than taken off the due set, so it becomes due again if the process dies.
Delivery is therefore at least once: a receiver drops repeats by X-Leakwatch-Delivery,
which is the same on every attempt of one delivery.

A failed attempt is retried after backoff * 2**(attempts - 1) seconds; after max_attempts
the delivery is failed and listed for analysts (`failures`), who can re-arm it (`retry`).
An institution without any channel gets a failed delivery of channel "none", so that
someone sees that nobody was warned.

Keys ({ns}: the namespace as a hash tag, `{lw}` by default, so that the transactions below
keep to one Redis Cluster slot):
  {ns}:alerts:pending            list of alert events (JSON), pushed by the queue and triage
  {ns}:alerts:processing         list of events taken, not yet turned into deliveries
  {ns}:alerts:event:<event id>   JSON list of the event's delivery ids: the event is done
  {ns}:alerts:delivery:<id>      hash, one delivery (see `_plan`)
  {ns}:alerts:due                zset of pending delivery ids by time of their next attempt
  {ns}:alerts:match:<match id>   zset of the match's delivery ids by creation time
  {ns}:alerts:failed             list of failed delivery ids, newest first
  {ns}:alerts:dead               list of events that could not be read, kept for a human
"""

import hashlib
import json
import logging
import time
from urllib.parse import urlsplit

import redis

from leakwatch.matchers.registry.names import meta_prefix

from .channels import AlertChannels
from .destinations import parse_allow
from .errors import AlertError, DeliveryError
from .mail import Mailer
from .payload import EVENTS, alert_payload
from .soc_channels import CHANNELS as SOC_CHANNELS
from .soc_channels import SocChannels
from .webhook import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, post, sign

log = logging.getLogger(__name__)

STATES = ("pending", "delivered", "failed")
NO_CHANNEL = "no alert channel"
# Events and attempts per run: a backlog is worked off over several runs, so a run stays
# short and the web app's background thread can stop promptly.
EVENTS_PER_RUN = 100
ATTEMPTS_PER_RUN = 100
# Added to the attempt timeout to make the lease of a delivery being attempted: long
# enough that a live attempt is never taken twice, short enough to resume a dead one soon.
LEASE_MARGIN_SECONDS = 60
SMTP_KEYS = ("host", "port", "sender", "user", "password", "starttls")
_INT_FIELDS = ("attempts",)
_TIME_FIELDS = ("next_at", "created_at", "delivered_at")

# Take a due delivery for one attempt: push its due time to the lease end, only if it is due.
_CLAIM = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  return 1
end
return 0
"""


class AlertSender:
    def __init__(self, client, namespace: str, queue, sightings, channels: AlertChannels, *, smtp: dict,
                 public_url: str, max_attempts: int = 8, backoff_seconds: float = 30, timeout: float = 10,
                 webhook_allow=(), resolver=None):
        if int(max_attempts) < 1:
            raise AlertError("max_attempts must be 1 or more (setting alert_max_attempts)")
        if backoff_seconds < 0:
            raise AlertError("backoff_seconds must be 0 or more (setting alert_backoff_seconds)")
        if timeout <= 0:
            raise AlertError("timeout must be more than 0 seconds (setting webhook_timeout_seconds)")
        if not str(public_url).startswith(("http://", "https://")):
            raise AlertError("public_url must be the http:// or https:// URL analysts reach the web app at (setting public_url)")
        unknown = sorted(set(smtp) - set(SMTP_KEYS))
        if unknown:
            raise AlertError(f"unknown smtp key(s) {', '.join(unknown)}; known: {', '.join(SMTP_KEYS)}")
        self.client = client
        self.namespace = namespace
        self.queue = queue
        self.sightings = sightings
        self.channels = channels
        self.mailer = Mailer(**smtp, timeout=timeout)
        self.public_url = public_url.rstrip("/")
        self.max_attempts = int(max_attempts)
        self.backoff_seconds = backoff_seconds
        self.timeout = timeout
        # Ranges a webhook may reach although internal (setting alert_webhook_allow), and the
        # resolver of webhook hosts (None: the system's; tests give their own).
        self.webhook_allow = parse_allow(webhook_allow)
        self.resolver = resolver
        self._claim = client.register_script(_CLAIM)
        # The institution's TheHive and STIX receiver, delivered to as the other channels are.
        self.soc = SocChannels(client, namespace, webhook_allow)
        self.prefix = ns = meta_prefix(namespace)
        self.pending_key = queue.alerts_key
        self.processing_key = f"{ns}:alerts:processing"
        self.due_key = f"{ns}:alerts:due"
        self.failed_key = f"{ns}:alerts:failed"
        self.dead_key = f"{ns}:alerts:dead"

    @classmethod
    def from_runtime(cls, runtime) -> "AlertSender":
        s = runtime.settings
        smtp = {"host": s.smtp_host, "port": s.smtp_port, "sender": s.smtp_from, "user": s.smtp_user,
                "password": s.smtp_password, "starttls": bool(s.smtp_starttls)}
        return cls(runtime.redis, s.namespace, runtime.queue, runtime.sightings,
                   runtime.channels, smtp=smtp,
                   public_url=s.public_url or f"http://{s.serve_host}:{s.serve_port}",
                   max_attempts=s.alert_max_attempts, backoff_seconds=s.alert_backoff_seconds,
                   timeout=s.webhook_timeout_seconds, webhook_allow=s.alert_webhook_allow)

    # ------------------------------------------------------------------ keys

    def _delivery_key(self, delivery_id: str) -> str:
        return f"{self.prefix}:alerts:delivery:{delivery_id}"

    def _event_key(self, event_id: str) -> str:
        return f"{self.prefix}:alerts:event:{event_id}"

    def _match_key(self, match_id: str) -> str:
        return f"{self.prefix}:alerts:match:{match_id}"

    # ------------------------------------------------------------------ the loop

    def run_once(self, now: float | None = None) -> int:
        """Turn pending events into deliveries, then attempt the due ones; returns the attempts made.

        `now` is the scheduling clock (tests drive backoff with it); webhook signatures
        always carry the wall clock, which is what the receiver checks them against.
        """
        now = time.time() if now is None else now
        # Left in processing by a process that died before finishing them.
        for raw in self.client.lrange(self.processing_key, 0, EVENTS_PER_RUN - 1):
            self._expand(raw, now)
        for _ in range(EVENTS_PER_RUN):
            raw = self.client.lmove(self.pending_key, self.processing_key, "LEFT", "RIGHT")
            if raw is None:
                break
            self._expand(raw, now)
        return self._attempt_due(now)

    def run_forever(self, stop, interval: float = 1.0) -> None:
        """Run until `stop` (a threading.Event) is set, e.g. in a thread of the web app."""
        while not stop.is_set():
            try:
                self.run_once()
            except Exception as exc:  # noqa: BLE001 - the loop must outlive a bad run
                # The class only: a message could carry a value.
                log.error("alert sender run failed (%s); next run in %.1f s", type(exc).__name__, interval)
            stop.wait(interval)

    # ------------------------------------------------------------------ events -> deliveries

    def _expand(self, raw: bytes, now: float) -> list:
        """Make the deliveries of one event taken into processing, once per event id."""
        try:
            event = json.loads(raw)
            event_id, kind, match_id = str(event["id"]), event["event"], str(event["match"])
            if kind not in EVENTS or not event_id:
                raise ValueError("unknown event")
        except (ValueError, KeyError, TypeError):
            with self.client.pipeline(transaction=True) as pipe:
                pipe.rpush(self.dead_key, raw)
                pipe.lrem(self.processing_key, 1, raw)
                pipe.execute()
            log.error("unreadable alert event moved to %s", self.dead_key)
            return []
        marker = self._event_key(event_id)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(marker)
                    if pipe.exists(marker):
                        pipe.multi()
                        pipe.lrem(self.processing_key, 1, raw)
                        pipe.execute()
                        return []
                    deliveries = self._plan(event_id, kind, match_id, now)
                    pipe.multi()
                    pipe.set(marker, json.dumps([d["id"] for d in deliveries]))
                    self._store(pipe, deliveries)
                    pipe.lrem(self.processing_key, 1, raw)
                    pipe.execute()
                    break
                except redis.WatchError:
                    continue
        for d in deliveries:
            if d["state"] == "failed":
                log.warning("alert %s of match %s: %s", kind, match_id, d["last_error"])
        return [d["id"] for d in deliveries]

    def _plan(self, event_id: str, kind: str, match_id: str, now: float) -> list:
        """The deliveries of one event: one per channel of the institution, or one "none"."""
        match = self.queue.get(match_id)
        base = {"event_id": event_id, "event": kind, "match": match_id, "attempts": 0, "last_error": "",
                "created_at": now, "delivered_at": "", "body": ""}
        if match is None:
            return [{**base, "id": _delivery_id(event_id, "none", ""), "institution": "", "channel": "none",
                     "target": "", "state": "failed", "last_error": "match no longer exists", "next_at": ""}]
        sighting = self.sightings.get(match["sighting"], with_matches=False)
        body = _body(alert_payload(kind, match, sighting, self.public_url))
        base.update(institution=match["institution"], body=body)
        channels = self.channels.get(match["institution"])
        targets = []
        if channels["webhook_url"]:
            targets.append(("webhook", _display_host(channels["webhook_url"])))
        targets += [("email", address) for address in channels["emails"]]
        targets += self.soc.targets(match["institution"])
        if not targets:
            return [{**base, "id": _delivery_id(event_id, "none", ""), "channel": "none", "target": "",
                     "state": "failed", "last_error": NO_CHANNEL, "next_at": ""}]
        return [{**base, "id": _delivery_id(event_id, channel, target), "channel": channel, "target": target,
                 "state": "pending", "next_at": now} for channel, target in targets]

    def _store(self, pipe, deliveries: list) -> None:
        for d in deliveries:
            pipe.hset(self._delivery_key(d["id"]), mapping=d)
            pipe.zadd(self._match_key(d["match"]), {d["id"]: d["created_at"]})
            if d["state"] == "pending":
                pipe.zadd(self.due_key, {d["id"]: d["next_at"]})
            else:
                pipe.lpush(self.failed_key, d["id"])

    # ------------------------------------------------------------------ attempts

    def _attempt_due(self, now: float) -> int:
        attempts = 0
        lease_until = now + self.timeout + LEASE_MARGIN_SECONDS
        for raw in self.client.zrangebyscore(self.due_key, "-inf", now, start=0, num=ATTEMPTS_PER_RUN):
            delivery_id = raw.decode()
            if not self._claim(keys=[self.due_key], args=[delivery_id, now, lease_until]):
                continue  # another sender took it
            self._attempt(delivery_id, now)
            attempts += 1
        return attempts

    def _attempt(self, delivery_id: str, now: float) -> None:
        key = self._delivery_key(delivery_id)
        d = _decode(self.client.hgetall(key), keep_body=True)
        if d is None or d["state"] != "pending":
            self.client.zrem(self.due_key, delivery_id)
            return
        try:
            self._send(d)
            error = None
        except DeliveryError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - a bug in one channel must not stop the others
            error = type(exc).__name__
        attempts = d["attempts"] + 1
        with self.client.pipeline(transaction=True) as pipe:
            if error is None:
                pipe.hset(key, mapping={"state": "delivered", "attempts": attempts, "delivered_at": now,
                                        "next_at": "", "last_error": ""})
                pipe.zrem(self.due_key, delivery_id)
            elif attempts >= self.max_attempts:
                pipe.hset(key, mapping={"state": "failed", "attempts": attempts, "next_at": "", "last_error": error})
                pipe.zrem(self.due_key, delivery_id)
                pipe.lpush(self.failed_key, delivery_id)
            else:
                next_at = now + self.backoff_seconds * 2 ** (attempts - 1)
                pipe.hset(key, mapping={"attempts": attempts, "next_at": next_at, "last_error": error})
                pipe.zadd(self.due_key, {delivery_id: next_at})
            pipe.execute()
        if error is not None:
            log.warning("alert delivery %s (%s, match %s) attempt %d of %d failed: %s",
                        delivery_id, d["channel"], d["match"], attempts, self.max_attempts, error)

    def _send(self, d: dict) -> None:
        body = d["body"].encode()
        if d["channel"] == "webhook":
            # The URL and secret as set now: a fixed URL or a rotated secret applies to retries.
            channels = self.channels.get(d["institution"])
            if not channels["webhook_url"] or not channels["webhook_secret"]:
                raise DeliveryError("webhook no longer set")
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "leakwatch-alerts",
                EVENT_HEADER: d["event"],
                DELIVERY_HEADER: d["id"],
                SIGNATURE_HEADER: sign(channels["webhook_secret"], body, time.time()),
            }
            post(channels["webhook_url"], body, headers, self.timeout, allow=self.webhook_allow, resolver=self.resolver)
        elif d["channel"] == "email":
            # The address the delivery was made for: each address is a delivery of its own.
            self.mailer.send(d["target"], json.loads(body), d["id"])
        elif d["channel"] in SOC_CHANNELS:
            self.soc.send(d, self.queue.get(d["match"]), self.sightings, timeout=self.timeout,
                          public_url=self.public_url, resolver=self.resolver)
        else:
            raise DeliveryError(NO_CHANNEL)

    # ------------------------------------------------------------------ for analysts

    def get(self, delivery_id: str) -> dict | None:
        return _decode(self.client.hgetall(self._delivery_key(delivery_id)))

    def _get_many(self, ids) -> list:
        with self.client.pipeline(transaction=False) as pipe:
            for delivery_id in ids:
                pipe.hgetall(self._delivery_key(delivery_id.decode() if isinstance(delivery_id, bytes) else delivery_id))
            return [d for d in (_decode(raw) for raw in pipe.execute()) if d]

    def deliveries(self, match_id: str) -> list:
        """Every delivery of the match's alerts, newest first (for the match page)."""
        return self._get_many(self.client.zrevrange(self._match_key(match_id), 0, -1))

    def failures(self, limit: int = 50) -> list:
        """Failed deliveries, newest first: alerts nobody received."""
        return [d for d in self._get_many(self.client.lrange(self.failed_key, 0, limit - 1)) if d["state"] == "failed"]

    def retry(self, delivery_id: str, now: float | None = None) -> list:
        """Re-arm a failed delivery for a full round of attempts; returns the ids re-armed.

        A failed "none" delivery (no channel) is replaced by deliveries to the channels the
        institution has now.
        """
        now = time.time() if now is None else now
        key = self._delivery_key(delivery_id)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    d = _decode(pipe.hgetall(key))
                    if d is None:
                        raise AlertError(f"no delivery {delivery_id!r}")
                    if d["state"] != "failed":
                        raise AlertError(f"delivery {delivery_id} is {d['state']}, not failed")
                    fresh = []
                    if d["channel"] == "none":
                        if d.get("replaced_by"):
                            raise AlertError(f"delivery {delivery_id} was already replaced by {d['replaced_by']}")
                        if not d["institution"]:
                            raise AlertError(f"match {d['match']} no longer exists: nothing to deliver")
                        fresh = [n for n in self._plan(d["event_id"], d["event"], d["match"], now) if n["state"] == "pending"]
                        if not fresh:
                            raise AlertError(f"institution {d['institution']} still has no alert channel: set one first")
                    pipe.multi()
                    if fresh:
                        self._store(pipe, fresh)
                        pipe.hset(key, "replaced_by", ",".join(n["id"] for n in fresh))
                    else:
                        pipe.hset(key, mapping={"state": "pending", "attempts": 0, "next_at": now})
                        pipe.zadd(self.due_key, {delivery_id: now})
                    pipe.lrem(self.failed_key, 0, delivery_id)
                    pipe.execute()
                    return [n["id"] for n in fresh] or [delivery_id]
                except redis.WatchError:
                    continue


def _delivery_id(event_id: str, channel: str, target: str) -> str:
    """Stable for one event and channel: the same event never makes two deliveries to one place."""
    return "d" + hashlib.sha256(f"{event_id}|{channel}|{target.lower()}".encode()).hexdigest()[:20]


def _display_host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or "")


def _body(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def _decode(raw: dict, keep_body: bool = False) -> dict | None:
    if not raw:
        return None
    d = {k.decode(): v.decode() for k, v in raw.items()}
    if not keep_body:
        d.pop("body", None)
    for name in _INT_FIELDS:
        d[name] = int(d.get(name) or 0)
    for name in _TIME_FIELDS:
        d[name] = float(d[name]) if d.get(name) else None
    return d
