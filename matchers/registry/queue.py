"""The match queue: one entry per (sighting, registered dataset) match, most urgent first.

Analysts work it (issue 6); the crawler and `leakwatch scan` fill it. Urgency: a canary hit
first, then the records at stake weighted by how sensitive the leaked fields are (a
national identifier or a health note weighs more than a city).
"""

import json
import time

# Weight of each kind of leaked field in the urgency score.
SENSITIVITY = {"nir": 5.0, "health_note": 5.0, "email": 2.0, "phone": 2.0, "date": 1.5, "name": 1.0,
               "postcode": 0.5, "blood_group": 1.0, "text": 0.5, "doctor": 0.5}
CANARY_URGENCY = 1e12


def urgency(match: dict) -> float:
    weight = 1.0 + sum(SENSITIVITY.get(f, 0.0) for f in match.get("fields", ()))
    score = match.get("records", 0) * weight
    if match.get("canaries"):
        score += CANARY_URGENCY
    return score


class MatchQueue:
    def __init__(self, client, namespace: str = "lw"):
        self.client = client
        self.namespace = namespace
        self._open = f"{namespace}:queue:open"

    def _key(self, match_id: str) -> str:
        return f"{self.namespace}:match:{match_id}"

    def add(self, sighting: dict, match: dict, pipe=None) -> str:
        """Queue one match of a sighting; returns the match id (idempotent per sighting and dataset)."""
        match_id = f"{sighting['id']}-{match['institution']}-{match['dataset']}"
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
            "state": "new",
            "created_at": time.time(),
            "source": sighting.get("source") or "",
            "url": sighting.get("url") or "",
            "name": sighting.get("name") or "",
        }
        target = pipe or self.client
        target.hsetnx(self._key(match_id), "id", match_id)
        target.hset(self._key(match_id), mapping=entry)
        target.zadd(self._open, {match_id: urgency(match)})
        target.sadd(f"{self.namespace}:queue:institution:{match['institution']}", match_id)
        return match_id

    def open(self, limit: int = 50, offset: int = 0) -> list:
        ids = self.client.zrevrange(self._open, offset, offset + limit - 1)
        return [m for m in (self.get(i.decode()) for i in ids) if m]

    def get(self, match_id: str) -> dict | None:
        raw = self.client.hgetall(self._key(match_id))
        if not raw:
            return None
        entry = {k.decode(): v.decode() for k, v in raw.items()}
        for name in ("records", "records_low", "records_high", "canaries"):
            entry[name] = int(entry[name])
        entry["created_at"] = float(entry["created_at"])
        entry["fields"] = json.loads(entry["fields"])
        return entry

    def count_open(self) -> int:
        return int(self.client.zcard(self._open))
