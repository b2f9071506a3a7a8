"""Triage: an analyst's decision on a match (new -> confirmed / false positive / duplicate),
assignment and notes, each written with its audit entry in one transaction.

Confirming a match pushes a "confirmed" alert event for the alert sender, once: a second
confirmation of an already confirmed match changes nothing and warns nobody twice.
"""

import time

import redis

from leakwatch.matchers.errors import LeakwatchError
from leakwatch.matchers.registry.queue import STATES, alert_event

from .audit import AuditLog

# Every state, in the order analysts are offered them (back to "new" last).
DECISIONS = ("confirmed", "false_positive", "duplicate", "new")
assert set(DECISIONS) == set(STATES)
MAX_NOTE = 2000


class TriageError(LeakwatchError, ValueError):
    """A triage request that cannot be carried out: unknown match, state or analyst."""


class Triage:
    def __init__(self, queue, audit: AuditLog, analysts=None, replica_wait=None):
        self.queue = queue
        self.audit = audit
        self.analysts = analysts
        self.client = queue.client
        # On a Redis Cluster, waits after each decision until a replica has it (ReplicaWait).
        self.replica_wait = replica_wait

    def _replicated(self, match_id: str) -> None:
        if self.replica_wait is not None:
            self.replica_wait(self.client, self.queue._key(match_id))

    def _match(self, match_id: str) -> dict:
        match = self.queue.get(match_id)
        if match is None:
            raise TriageError(f"no match {match_id!r}")
        return match

    def decide(self, match_id: str, state: str, actor: str, note: str = "", duplicate_of: str = "") -> dict:
        """Set a match's state; returns the match as it is now."""
        if state not in DECISIONS:
            raise TriageError(f"unknown decision {state!r}: one of {', '.join(DECISIONS)}")
        note = (note or "").strip()[:MAX_NOTE]
        if duplicate_of:
            if state != "duplicate":
                raise TriageError("--of names the original match of a duplicate only")
            self._match(duplicate_of)
        key = self.queue._key(match_id)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    match = self._match(match_id)
                    before = match["state"]
                    pipe.multi()
                    self.queue.set_state(match, state, pipe)
                    pipe.hset(key, mapping={"decided_by": actor, "decided_at": time.time(), "note": note,
                                            "duplicate_of": duplicate_of})
                    self.audit.record(actor, f"state:{state}", match_id,
                                      {"from": before, "note": note, "duplicate_of": duplicate_of}, pipe=pipe)
                    if state == "confirmed" and before != "confirmed":
                        pipe.rpush(self.queue.alerts_key, alert_event("confirmed", match_id))
                    pipe.execute()
                    break
                except redis.WatchError:
                    continue
        self._replicated(match_id)
        return self.queue.get(match_id)

    def assign(self, match_id: str, analyst: str, actor: str) -> dict:
        self._match(match_id)
        if analyst and self.analysts is not None and not self.analysts.exists(analyst):
            raise TriageError(f"no analyst {analyst!r}")
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(self.queue._key(match_id), "assignee", analyst)
            self.audit.record(actor, "assign", match_id, {"assignee": analyst}, pipe=pipe)
            pipe.execute()
        self._replicated(match_id)
        return self.queue.get(match_id)

    def note(self, match_id: str, text: str, actor: str) -> None:
        self._match(match_id)
        text = (text or "").strip()[:MAX_NOTE]
        if not text:
            raise TriageError("an empty note")
        self.audit.record(actor, "note", match_id, {"note": text})
        self._replicated(match_id)
