"""The queue of leaks: one entry per dump family (a first sighting and every repost or
near-duplicate linked to it), with the institutions in it and the records at stake.

A leak is computed from its family's sightings and their matches (leakwatch/review/leak_queue.py)
and stored whole, with indexes for the filters. This module only stores and reads it.

Keys ({ns} is the namespace as a hash tag, `{lw}` by default: see names.meta_prefix):
  {ns}:leak:<id>                   hash: `data` (the leak as JSON), `reason` (why it is back in the queue)
  {ns}:leaks:state:<state>         zset of leak ids in that state, scored by urgency
  {ns}:leaks:institution:<name>    set of the leaks holding that institution's records
  {ns}:leaks:source:<name>         set of the leaks seen on that source
  {ns}:leaks:sources               set of the sources with leaks
  {ns}:leaks:of:<sighting>         string: the leak a matched sighting was filed in
  {ns}:leaks:filed                 zset of the matched sightings already filed (scored by time seen)
  {ns}:leaks:audit-cursor          the last audit entry (stream id) whose decision was applied
  {ns}:lock:leak-queue:sync        held while a process files new sightings (a SourceLock)

A leak's id is its first sighting's id: the family zset of SightingStore holds its sightings.
"""

import json
import uuid

from .names import meta_prefix

LEAK_STATES = ("new", "confirmed", "dismissed")


class LeakStore:
    def __init__(self, client, namespace: str = "lw"):
        self.client = client
        self.namespace = namespace
        self.prefix = meta_prefix(namespace)

    def key(self, leak_id: str) -> str:
        return f"{self.prefix}:leak:{leak_id}"

    def state_key(self, state: str) -> str:
        if state not in LEAK_STATES:
            raise ValueError(f"unknown leak state {state!r}: one of {', '.join(LEAK_STATES)}")
        return f"{self.prefix}:leaks:state:{state}"

    def institution_key(self, institution: str) -> str:
        return f"{self.prefix}:leaks:institution:{institution}"

    def source_key(self, source: str) -> str:
        return f"{self.prefix}:leaks:source:{source}"

    @property
    def filed_key(self) -> str:
        return f"{self.prefix}:leaks:filed"

    @property
    def matched_key(self) -> str:
        # Written by SightingStore.record: every sighting with a match.
        return f"{self.prefix}:sightings:matched"

    @property
    def cursor_key(self) -> str:
        return f"{self.prefix}:leaks:audit-cursor"

    def unfiled(self) -> list:
        """Matched sightings not filed in a leak yet, oldest sighting number first."""
        ids = [raw.decode() for raw in self.client.zdiff([self.matched_key, self.filed_key])]
        return sorted(ids, key=lambda s: int(s[1:]) if s[1:].isdigit() else 0)

    def save(self, leak: dict, filed: tuple = (), reason: str | None = None) -> None:
        """Store a leak and its indexes in one transaction; `filed`: (sighting id, seen_at) now in it.

        Institutions and sources are only ever added: a leak's matched sightings are evidence
        and are never purged (SightingStore.purge), so nothing leaves a leak.

        reason: why the leak is back in the queue (None keeps the stored one; "" clears it).
        """
        with self.client.pipeline(transaction=True) as pipe:
            mapping = {"data": json.dumps(leak, sort_keys=True)}
            if reason is not None:
                mapping["reason"] = reason
            pipe.hset(self.key(leak["id"]), mapping=mapping)
            for state in LEAK_STATES:
                if state != leak["state"]:
                    pipe.zrem(self.state_key(state), leak["id"])
            pipe.zadd(self.state_key(leak["state"]), {leak["id"]: leak["urgency"]})
            for institution in leak["institutions"]:
                pipe.sadd(self.institution_key(institution), leak["id"])
            for source in leak["sources"]:
                pipe.sadd(self.source_key(source), leak["id"])
                pipe.sadd(f"{self.prefix}:leaks:sources", source)
            for sighting_id, seen_at in filed:
                pipe.set(f"{self.prefix}:leaks:of:{sighting_id}", leak["id"])
                pipe.zadd(self.filed_key, {sighting_id: seen_at})
            pipe.execute()

    def leak_of(self, sighting_id: str) -> str | None:
        raw = self.client.get(f"{self.prefix}:leaks:of:{sighting_id}")
        return raw.decode() if raw else None

    def get(self, leak_id: str) -> dict | None:
        data, reason = self.client.hmget(self.key(leak_id), "data", "reason")
        return _decode(data, reason)

    def get_many(self, leak_ids) -> list:
        leak_ids = list(leak_ids)
        with self.client.pipeline(transaction=False) as pipe:
            for leak_id in leak_ids:
                pipe.hmget(self.key(leak_id), "data", "reason")
            return [_decode(*raw) for raw in pipe.execute()]

    def page(self, state: str, offset: int, limit: int) -> tuple[list, int]:
        """One page of the leaks in one state, most urgent first, and their number (no temporary set)."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.zcard(self.state_key(state))
            pipe.zrevrange(self.state_key(state), offset, offset + limit - 1)
            total, ids = pipe.execute()
        return [raw.decode() for raw in ids], int(total)

    def ranked(self, states, institution: str | None = None, source: str | None = None) -> list:
        """Ids of the leaks in `states` (and the filters), most urgent first."""
        keys = [self.state_key(s) for s in states]
        filters = [k for k in (institution and self.institution_key(institution),
                               source and self.source_key(source)) if k]
        ranked = f"{self.prefix}:leaks:tmp:{uuid.uuid4().hex}"
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zunionstore(ranked, keys, aggregate="MAX")
            if filters:
                # A set's members weigh 0, so the urgency survives the intersection.
                pipe.zinterstore(ranked, {ranked: 1, **{f: 0 for f in filters}})
            pipe.zrevrange(ranked, 0, -1)
            pipe.delete(ranked)
            *_, ids, _ = pipe.execute()
        return [raw.decode() for raw in ids]

    def sources(self) -> list:
        return sorted(s.decode() for s in self.client.smembers(f"{self.prefix}:leaks:sources"))

    def counts(self) -> dict:
        with self.client.pipeline(transaction=False) as pipe:
            for state in LEAK_STATES:
                pipe.zcard(self.state_key(state))
            return dict(zip(LEAK_STATES, (int(n) for n in pipe.execute())))


def _decode(data, reason) -> dict | None:
    if not data:
        return None
    leak = json.loads(data)
    leak["reason"] = reason.decode() if reason else ""
    return leak
