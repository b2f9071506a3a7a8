"""The match queue: one entry per (sighting, registered dataset) match, most urgent first.

Analysts work it; the crawler and `leakwatch scan` fill it. Urgency: a canary hit first,
then the records at stake weighted by how sensitive the leaked fields are (a national
identifier or a health note weighs more than a city).

Keys ({ns} is the namespace as a hash tag, `{lw}` by default: see names.meta_prefix):
  {ns}:match:<id>                  hash, one match (see `add`)
  {ns}:queue:state:<state>         zset of match ids in that state, scored by urgency
  {ns}:queue:institution:<name>    set of the institution's match ids
  {ns}:queue:source:<name>         set of the match ids seen on that source
  {ns}:queue:sources               set of the sources with matches
  {ns}:alerts:pending              list of alert events (JSON) for the alert sender
  {ns}:match:<id>:positions        the registered records it found, for the institution (positions.py)

A canary hit pushes an alert event in the same transaction as the match, so the
institution is warned at once, without waiting for an analyst.
"""

import json
import time
import uuid

from .names import meta_prefix
from .positions import MatchPositions

# Weight of each kind of leaked field in the urgency score.
SENSITIVITY = {"nir": 5.0, "health_note": 5.0, "email": 2.0, "phone": 2.0, "date": 1.5, "name": 1.0,
               "postcode": 0.5, "blood_group": 1.0, "text": 0.5, "doctor": 0.5}
CANARY_URGENCY = 1e12

STATES = ("new", "confirmed", "false_positive", "duplicate")
OPEN_STATES = ("new",)
INT_FIELDS = ("records", "records_low", "records_high", "canaries")


def urgency(match: dict) -> float:
    weight = 1.0 + sum(SENSITIVITY.get(f, 0.0) for f in match.get("fields", ()))
    score = match.get("records", 0) * weight
    if match.get("canaries"):
        score += CANARY_URGENCY
    return score


def alert_event(event: str, match_id: str) -> str:
    return json.dumps({"id": uuid.uuid4().hex, "event": event, "match": match_id, "at": time.time()})


class MatchQueue:
    def __init__(self, client, namespace: str = "lw"):
        self.client = client
        self.namespace = namespace
        self.prefix = meta_prefix(namespace)
        self.positions = MatchPositions(client, namespace)

    def _key(self, match_id: str) -> str:
        return f"{self.prefix}:match:{match_id}"

    def state_key(self, state: str) -> str:
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}: one of {', '.join(STATES)}")
        return f"{self.prefix}:queue:state:{state}"

    def institution_key(self, institution: str) -> str:
        return f"{self.prefix}:queue:institution:{institution}"

    def source_key(self, source: str) -> str:
        return f"{self.prefix}:queue:source:{source}"

    @property
    def alerts_key(self) -> str:
        return f"{self.prefix}:alerts:pending"

    def add(self, sighting: dict, match: dict, pipe=None, positions=None) -> str:
        """Queue one match of a sighting; returns the match id (idempotent per sighting and dataset).

        positions: the scan's DatasetMatch, whose registered record positions are stored beside
        the match for the institution (registry/positions.py)."""
        match_id = f"{sighting['id']}-{match['institution']}-{match['dataset']}"
        score = urgency(match)
        entry = {
            "id": match_id,
            "sighting": sighting["id"],
            "institution": match["institution"],
            "dataset": match["dataset"],
            "records": match["records"],
            "records_low": match["records_low"],
            "records_high": match["records_high"],
            "canaries": match["canaries"],
            "fields": json.dumps(match["fields"]),
            "urgency": score,
            "created_at": time.time(),
            "source": sighting.get("source") or "",
            "url": sighting.get("url") or "",
            "name": sighting.get("name") or "",
        }
        target = pipe or self.client
        target.hset(self._key(match_id), mapping=entry)
        # A new match starts in "new"; re-adding it never resets an analyst's decision.
        target.hsetnx(self._key(match_id), "state", "new")
        target.hsetnx(self._key(match_id), "assignee", "")
        target.zadd(self.state_key("new"), {match_id: score}, nx=True)
        target.sadd(self.institution_key(match["institution"]), match_id)
        target.sadd(self.source_key(sighting.get("source") or "scan"), match_id)
        target.sadd(f"{self.prefix}:queue:sources", sighting.get("source") or "scan")
        if positions is not None and positions.positions is not None:
            self.positions.write(match_id, positions.positions, positions.weak_positions, rows=positions.table_rows,
                                 fingerprint_created_at=positions.fingerprint_created_at, pipe=target)
        if match["canaries"]:
            target.rpush(self.alerts_key, alert_event("canary", match_id))
        return match_id

    def open(self, limit: int = 50, offset: int = 0) -> list:
        return self.list(states=OPEN_STATES, limit=limit, offset=offset)[0]

    def list(self, *, states=OPEN_STATES, institution: str | None = None, source: str | None = None,
             limit: int = 50, offset: int = 0) -> tuple[list, int]:
        """Matches in the given states, most urgent first, with the total count before paging."""
        keys = [self.state_key(s) for s in states]
        filters = []
        if institution:
            filters.append(self.institution_key(institution))
        if source:
            filters.append(self.source_key(source))
        if len(keys) == 1 and not filters:
            ranked = keys[0]
            total = int(self.client.zcard(ranked))
            ids = self.client.zrevrange(ranked, offset, offset + limit - 1)
        else:
            # A temporary sorted set: the union of the states, cut down to the filters
            # (a set's members weigh 0, so the urgency survives).
            ranked = f"{self.prefix}:queue:tmp:{uuid.uuid4().hex}"
            with self.client.pipeline(transaction=True) as pipe:
                pipe.zunionstore(ranked, keys, aggregate="MAX")
                if filters:
                    pipe.zinterstore(ranked, {ranked: 1, **{f: 0 for f in filters}})
                pipe.zcard(ranked)
                pipe.zrevrange(ranked, offset, offset + limit - 1)
                pipe.delete(ranked)
                *_, total, ids, _ = pipe.execute()
        return [m for m in self.get_many(i.decode() for i in ids) if m], int(total)

    def get_many(self, match_ids) -> list:
        match_ids = list(match_ids)
        with self.client.pipeline(transaction=False) as pipe:
            for match_id in match_ids:
                pipe.hgetall(self._key(match_id))
            raws = pipe.execute()
        return [_decode(raw) for raw in raws]

    def get(self, match_id: str) -> dict | None:
        return _decode(self.client.hgetall(self._key(match_id)))

    def for_institution(self, institution: str) -> list:
        ids = sorted(m.decode() for m in self.client.smembers(self.institution_key(institution)))
        matches = [m for m in self.get_many(ids) if m]
        matches.sort(key=lambda m: -m["created_at"])
        return matches

    def sources(self) -> list:
        return sorted(s.decode() for s in self.client.smembers(f"{self.prefix}:queue:sources"))

    def count_open(self) -> int:
        return int(sum(self.client.zcard(self.state_key(s)) for s in OPEN_STATES))

    def counts(self) -> dict:
        with self.client.pipeline(transaction=False) as pipe:
            for state in STATES:
                pipe.zcard(self.state_key(state))
            return dict(zip(STATES, (int(n) for n in pipe.execute())))

    def set_state(self, match: dict, state: str, pipe) -> None:
        """Move a match to another state, keeping its urgency (inside the caller's transaction)."""
        new_key = self.state_key(state)
        for other in STATES:
            if other != state:
                pipe.zrem(self.state_key(other), match["id"])
        pipe.hset(self._key(match["id"]), "state", state)
        pipe.zadd(new_key, {match["id"]: match.get("urgency", 0.0)})


def _decode(raw: dict) -> dict | None:
    if not raw:
        return None
    entry = {k.decode(): v.decode() for k, v in raw.items()}
    for name in INT_FIELDS:
        entry[name] = int(entry.get(name) or 0)
    entry["created_at"] = float(entry["created_at"])
    entry["urgency"] = float(entry.get("urgency") or 0.0)
    entry["fields"] = json.loads(entry["fields"])
    entry.setdefault("state", "new")
    entry.setdefault("assignee", "")
    return entry
