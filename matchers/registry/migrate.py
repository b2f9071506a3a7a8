"""Moving a store made before the current key layout to it: `leakwatch store migrate`.

Until the Redis Cluster layout (commit 0390f8b) every key was `<ns>:<rest>`. Since then a
dataset's keys are unchanged and every other key carries the namespace as a hash tag
(names.meta_prefix), the crawl state and lock keys without the source's own hash tag:

  before                               now
  lw:ds:{<inst>/<dataset>}:<part>      the same: not moved
  lw:crawl:{<source>}:items|cursors    {lw}:crawl:<source>:items|cursors
  lw:lock:{<source>}                   {lw}:lock:<source>
  lw:<rest>                            {lw}:<rest>  (registry set and version, sightings, match
                                       queue, alerts, audit log, analysts, logins, API tokens)

Only keys whose first part after `<ns>:` is one the old code wrote (KINDS) are moved; any
other key is counted and left as it is (a namespace such as `lw:x` of another deployment
shares the prefix; datasketch's LSH storage, `<ns>:lsh...`, of the first versions is
derived data that leakwatch no longer reads).

One Redis: RENAMENX, atomic for each key and never overwriting. A Redis Cluster refuses a
RENAME between slots (CROSSSLOT), and the old and new names of a key hash to different
slots: there each key is copied with DUMP and RESTORE (TTL kept, never REPLACE) to the new
name's node, then the old name deleted, which is not atomic: stop every leakwatch process
first. A run that stopped between the copy and the delete is finished by running it again
(the two copies are byte-equal: the old one is deleted).

A key present under both names was written by the current code before the migration: the
registry's set of ids is merged (union) and its version made larger than both (readers then
load the whole registry); any other such key is a conflict, left under both names and
counted, and the command fails, since merging sightings or queues numbered apart would mix
them up. After a move that touched the registry, its change log and epoch are dropped, so
that every scanning process loads the registry again.

Idempotent: a second run finds nothing to move. Reports count keys by kind, never name them
(a key name can hold an institution's or an analyst's name, or a dump's hash).
"""

import re
from dataclasses import dataclass, field

import redis
from redis.cluster import RedisCluster

from .names import meta_prefix

# First part of an old key's rest -> the kind it is counted under.
KINDS = {
    "datasets": "registry", "registry": "registry",
    "sighting": "sightings", "sightings": "sightings",
    "match": "queue", "queue": "queue",
    "alerts": "alerts",
    "audit": "audit",
    "analyst": "accounts", "analysts": "accounts", "login": "accounts",
    "token": "accounts", "tokens": "accounts", "token-id": "accounts",
    "crawl": "crawl", "lock": "crawl",
}
_TAGGED = re.compile(r"(crawl:)\{([^{}]+)\}(:items|:cursors)|(lock:)\{([^{}]+)\}")
SCAN_COUNT = 1000  # keys a SCAN step looks at


@dataclass
class MigrationReport:
    mode: str                                    # "rename" (one Redis) or "copy" (cluster: DUMP/RESTORE/DEL)
    dry_run: bool
    moved: dict = field(default_factory=dict)    # kind -> keys moved (or to move, in a dry run)
    merged: dict = field(default_factory=dict)   # kind -> keys merged into one already there
    finished: int = 0                            # copies of an interrupted run whose old name was deleted
    conflicts: dict = field(default_factory=dict)  # kind -> keys under both names, left
    dataset_keys: int = 0                        # <ns>:ds:... keys: already in the current layout
    unknown: int = 0                             # other <ns>:... keys, left

    def as_dict(self) -> dict:
        return {"mode": self.mode, "dry_run": self.dry_run, "moved": self.moved, "merged": self.merged,
                "finished": self.finished, "conflicts": self.conflicts, "dataset_keys": self.dataset_keys,
                "unknown": self.unknown}


def current_name(namespace: str, key: str) -> tuple | None:
    """(kind, current name) of a key of the old layout; None for any other key."""
    head = f"{namespace}:"
    if not key.startswith(head):
        return None
    rest = key[len(head):]
    kind = KINDS.get(rest.split(":", 1)[0])
    if kind is None:
        return None
    tagged = _TAGGED.fullmatch(rest)
    if tagged:
        rest = "".join(part for part in tagged.groups() if part)
    return kind, f"{meta_prefix(namespace)}:{rest}"


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


class StoreMigration:
    """Moves the keys of namespace `namespace` from the old layout to the current one."""

    def __init__(self, client, namespace: str = "lw"):
        self.client = client
        self.namespace = namespace
        self.prefix = meta_prefix(namespace)  # checks the namespace
        self.cluster = isinstance(client, RedisCluster)

    def run(self, *, dry_run: bool = False) -> MigrationReport:
        report = MigrationReport(mode="copy" if self.cluster else "rename", dry_run=dry_run)
        registry_touched = False
        for raw in self.client.scan_iter(match=f"{_glob_escape(self.namespace)}:*", count=SCAN_COUNT):
            key = raw.decode() if isinstance(raw, bytes) else raw
            if key.startswith(f"{self.namespace}:ds:"):
                report.dataset_keys += 1
                continue
            target = current_name(self.namespace, key)
            if target is None:
                report.unknown += 1
                continue
            kind, new = target
            outcome = self._plan(key, new) if dry_run else self._move(key, new)
            if outcome is None:
                continue  # gone meanwhile (a SCAN may return a key twice)
            if outcome == "finished":
                report.finished += 1
            else:
                counts = getattr(report, outcome)
                counts[kind] = counts.get(kind, 0) + 1
            registry_touched |= kind == "registry" and outcome in ("moved", "merged")
        if registry_touched and not dry_run:
            # A new history: every IndexCache loads the registry again rather than trust a log
            # that knows nothing of the datasets just moved in.
            self.client.delete(f"{self.prefix}:registry:changes")
            self.client.delete(f"{self.prefix}:registry:epoch")
        return report

    def _plan(self, old: str, new: str) -> str | None:
        if not self.client.exists(old):
            return None
        if not self.client.exists(new):
            return "moved"
        return self._both(old, new, dry_run=True)

    def _move(self, old: str, new: str) -> str | None:
        if not self.cluster:
            try:
                if self.client.renamenx(old, new):
                    return "moved"
            except redis.ResponseError as exc:
                if "no such key" in str(exc).lower():  # gone meanwhile
                    return None
                raise
            return self._both(old, new)
        payload = self.client.dump(old)
        if payload is None:
            return None
        ttl = int(self.client.pttl(old))  # -1: none; -2: expired since the DUMP
        if ttl == -2:
            return None
        if not self.client.exists(new):
            self.client.restore(new, max(ttl, 0), payload)
            self.client.delete(old)
            return "moved"
        return self._both(old, new)

    def _both(self, old: str, new: str, dry_run: bool = False) -> str:
        """A key under both names: an interrupted copy, a registry key to merge, or a conflict."""
        if self.client.dump(old) == self.client.dump(new):
            if not dry_run:
                self.client.delete(old)
            return "finished"
        if new == f"{self.prefix}:datasets":
            if not dry_run:
                members = self.client.smembers(old)
                if members:
                    self.client.sadd(new, *members)
                self.client.delete(old)
            return "merged"
        if new == f"{self.prefix}:registry:version":
            if not dry_run:
                # Larger than both: no reader may take the merged registry for one it has seen.
                self.client.incrby(new, int(self.client.get(old) or 0) + 1)
                self.client.delete(old)
            return "merged"
        return "conflicts"
