"""The audit log: who did what to which match, and when. Append-only (a Redis stream).

Keys: {ns}:audit (stream of every action), {ns}:audit:match:<id> (list of that match's
entries, oldest first); {ns} is the namespace as a hash tag (`{lw}`), since an entry is
written in the transaction of the action it records.
"""

import json
import time

from leakwatch.matchers.registry.names import meta_prefix


class AuditLog:
    def __init__(self, client, namespace: str = "lw"):
        self.client = client
        self.namespace = namespace
        self.prefix = meta_prefix(namespace)

    def record(self, actor: str, action: str, match_id: str = "", detail: dict | None = None, pipe=None) -> dict:
        entry = {"at": time.time(), "actor": actor, "action": action, "match": match_id,
                 "detail": json.dumps(detail or {}, sort_keys=True)}
        target = pipe or self.client
        target.xadd(f"{self.prefix}:audit", entry)
        if match_id:
            target.rpush(f"{self.prefix}:audit:match:{match_id}", json.dumps(entry))
        return entry

    def for_match(self, match_id: str) -> list:
        return [_entry(json.loads(raw)) for raw in self.client.lrange(f"{self.prefix}:audit:match:{match_id}", 0, -1)]

    def recent(self, limit: int = 100) -> list:
        rows = self.client.xrevrange(f"{self.prefix}:audit", count=limit)
        return [_entry({k.decode(): v.decode() for k, v in fields.items()}) for _, fields in rows]


def _entry(raw: dict) -> dict:
    raw["at"] = float(raw["at"])
    raw["detail"] = json.loads(raw["detail"]) if isinstance(raw["detail"], str) else raw["detail"]
    return raw
