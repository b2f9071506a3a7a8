"""The registry of fingerprinted datasets, kept in Redis."""

import json
import secrets
import time
from typing import NamedTuple

import numpy as np

from ..fingerprint import TOKEN_DTYPE, Fingerprint
from .names import RegistryError, check_name, dataset_id, dataset_key, meta_prefix

# Metadata hashes (or token tables) read per round trip when the index is loaded: with
# 100,000 datasets, one round trip each would cost seconds; a cluster client splits a
# batch by node.
META_BATCH = 1000
# Entries kept in the change log. A scanning process further behind than this loads the
# whole registry again, which then costs about what reading that many changes would.
CHANGES_KEPT = 10_000
# What the token index needs of a dataset's metadata: the minhash alone (2 KB) would be
# most of the bytes of a full HGETALL, for nothing. The fingerprint's creation time goes with each
# match's record positions, so the institution can tell which of its files they number.
HEAD_FIELDS = ("institution", "dataset", "generation", "rows", "tokens", "weights", "fingerprint_created_at")

# One change of the registry, in the namespace's slot: the set of dataset ids, the version,
# and the change log, which gets one entry `<version>-<n>` per dataset changed. The log starts
# a new history (a new epoch; readers holding another one load everything) when it is missing
# (trimming never empties it), has no epoch, or has a top entry not older than the new version
# (the version key was reset).
_CHANGE = """
local version = redis.call('INCR', KEYS[2])
local top = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)[1]
if not top or redis.call('EXISTS', KEYS[4]) == 0 or tonumber(string.match(top[1], '^%d+')) >= version then
  redis.call('DEL', KEYS[3])
  redis.call('SET', KEYS[4], ARGV[3])
end
for i = 4, #ARGV do
  if ARGV[1] == 'add' then redis.call('SADD', KEYS[1], ARGV[i]) else redis.call('SREM', KEYS[1], ARGV[i]) end
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], version .. '-' .. (i - 4), 'ds', ARGV[i])
end
return version
"""


class RegistryChanges(NamedTuple):
    """The registry's version and history (epoch), and which datasets changed after a given version."""

    version: int
    epoch: str | None
    ids: list | None  # None: the log does not reach back to that version (or none was asked)


class RedisRegistry:
    """Registered datasets: metadata, token table and record flags, replaced atomically.

    Each dataset's arrays live under a generation number; the meta hash names the
    current generation, so readers never see a half-replaced dataset.

    Keys: a dataset's under its own hash tag, `{ns}:ds:{<institution>/<dataset>}:<part>`
    (meta, generation, tokens:<n>, flags:<n>), so one dataset sits in one Redis Cluster slot
    and the datasets spread over the cluster; under the namespace's tag, with the sightings:
    the set of dataset ids `{<ns>}:datasets`, the registry's version `{<ns>}:registry:version`,
    the change log `{<ns>}:registry:changes` (a stream, one entry `<version>-<n>` with field
    `ds` per dataset changed, the last CHANGES_KEPT kept) and `{<ns>}:registry:epoch` (a
    random name of the log's history, new when the log starts again).

    The change log lets a scanning process bring its token index up to date by reading
    the changed datasets only (`changes`, then `heads` and `load_many` of those).
    """

    def __init__(self, client, namespace: str = "lw", replica_wait=None):
        self.client = client
        self.namespace = namespace
        prefix = meta_prefix(namespace)
        self._datasets_key = f"{prefix}:datasets"
        self._version_key = f"{prefix}:registry:version"
        self._changes_key = f"{prefix}:registry:changes"
        self._epoch_key = f"{prefix}:registry:epoch"
        self._change = client.register_script(_CHANGE)
        # On a Redis Cluster, waits after a registration until replicas have it (ReplicaWait).
        self.replica_wait = replica_wait

    def register(self, institution: str, dataset: str, fingerprint: Fingerprint, *, key_id: str) -> dict:
        if fingerprint.key_id != key_id:
            raise RegistryError(
                f"the fingerprint of {institution}/{dataset} was made with key {fingerprint.key_id}, "
                f"this deployment's key is {key_id}: it could never match; fingerprint again with the deployment key"
            )
        ds_id = dataset_id(institution, dataset)
        meta_key = dataset_key(self.namespace, ds_id, "meta")
        generation = int(self.client.hincrby(dataset_key(self.namespace, ds_id, "generation"), "n", 1))
        old = self.client.hget(meta_key, "generation")
        with self.client.pipeline(transaction=True) as pipe:
            self.write(pipe, ds_id, generation, fingerprint)
            pipe.execute()
        # Another slot than the dataset's: a script of its own, after the dataset's write,
        # so that a reader who sees the change in the log reads the new generation.
        self.record_changes([ds_id])
        if self.replica_wait is not None:
            self.replica_wait(self.client, meta_key)
            self.replica_wait(self.client, self._version_key)
        if old is not None:
            self._drop_generation(ds_id, int(old))
        return self._decode_meta(self.client.hgetall(meta_key))

    def write(self, pipe, ds_id: str, generation: int, fingerprint: Fingerprint) -> None:
        """Queue on `pipe` the writes of one generation of a dataset: token table, record
        flags, and the meta hash that makes it current (all in the dataset's slot)."""
        institution, dataset = ds_id.split("/", 1)
        meta_key = dataset_key(self.namespace, ds_id, "meta")
        meta = {
            "institution": institution,
            "dataset": dataset,
            "rows": fingerprint.rows,
            "canaries": fingerprint.canaries,
            "fields": json.dumps(list(fingerprint.fields)),
            "tokens": len(fingerprint.tokens),
            "key_id": fingerprint.key_id,
            "fingerprint_version": fingerprint.version,
            "fingerprint_created_at": fingerprint.created_at,
            "registered_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "generation": generation,
            "minhash": np.asarray(fingerprint.minhash, dtype="<u8").tobytes(),
            "cardinality": fingerprint.cardinality,
        }
        if fingerprint.weights is not None:
            meta["weights"] = json.dumps(fingerprint.weights, sort_keys=True)
        pipe.set(dataset_key(self.namespace, ds_id, f"tokens:{generation}"),
                 np.ascontiguousarray(fingerprint.tokens, dtype=TOKEN_DTYPE).tobytes())
        pipe.set(dataset_key(self.namespace, ds_id, f"flags:{generation}"),
                 np.asarray(fingerprint.flags, dtype=np.uint8).tobytes())
        pipe.delete(meta_key)
        pipe.hset(meta_key, mapping=meta)

    def remove(self, institution: str, dataset: str | None = None) -> list:
        """Remove one dataset, or every dataset of an institution; returns the removed ids."""
        check_name("institution", institution)
        if dataset is not None:
            targets = [dataset_id(institution, dataset)]
        else:
            targets = [d for d in self._dataset_ids() if d.split("/", 1)[0] == institution]
        removed = []
        for ds_id in targets:
            meta_key = dataset_key(self.namespace, ds_id, "meta")
            generation = self.client.hget(meta_key, "generation")
            if generation is None:
                continue
            # The dataset's keys first, the log after: a reader who sees the removal in the
            # log finds the meta gone.
            self.client.delete(meta_key, dataset_key(self.namespace, ds_id, "generation"),
                               dataset_key(self.namespace, ds_id, "replicated"))
            self._drop_generation(ds_id, int(generation))
            removed.append(ds_id)
        if dataset is not None and not removed:
            raise RegistryError(f"no dataset {institution}/{dataset} is registered")
        if removed:
            self.record_changes(removed, removed=True)
            if self.replica_wait is not None:
                self.replica_wait(self.client, self._version_key)
        return removed

    def record_changes(self, ds_ids: list, *, removed: bool = False) -> int:
        """Add (or remove) dataset ids to the set of registered ones, bump the version and log
        each id as changed, in one step; returns the new version.

        `register` and `remove` call it once their writes to the datasets' own keys are done;
        a bulk loader that writes datasets with `write` calls it after them (ids in batches of
        a few thousand: each call is one script run).
        """
        if not ds_ids:
            raise ValueError("record_changes needs at least one dataset id")
        keys = [self._datasets_key, self._version_key, self._changes_key, self._epoch_key]
        args = ["remove" if removed else "add", CHANGES_KEPT, secrets.token_hex(8), *ds_ids]
        return int(self._change(keys=keys, args=args))

    def changes(self, since: int | None = None) -> RegistryChanges:
        """The version and epoch, and (`since` given) the ids of the datasets changed after
        version `since`, in one transaction.

        ids is None when the log cannot tell: it was trimmed past `since`, the version went
        back, or a version is missing from it (a writer that bumped the version without
        logging); the caller then reads the whole registry. An unchanged registry costs one
        round trip and no entry.
        """
        with self.client.pipeline(transaction=True) as pipe:
            pipe.get(self._version_key)
            pipe.get(self._epoch_key)
            if since is not None:
                pipe.xrange(self._changes_key, min=f"{since + 1}-0", max="+", count=CHANGES_KEPT)
            replies = pipe.execute()
        version = int(replies[0] or 0)
        epoch = replies[1].decode() if isinstance(replies[1], bytes) else replies[1]
        if since is None or version < since:
            return RegistryChanges(version, epoch, None)
        ids, versions = {}, set()
        for entry_id, fields in replies[2]:
            entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
            versions.add(int(entry_id.split("-", 1)[0]))
            if not isinstance(fields, dict):  # a cluster transaction's reply is not parsed
                fields = dict(zip(fields[::2], fields[1::2]))
            ds_id = fields.get(b"ds", fields.get("ds"))
            ids.pop(ds_id, None)  # keep the order of last changes
            ids[ds_id] = None
        if versions != set(range(since + 1, version + 1)):
            return RegistryChanges(version, epoch, None)
        return RegistryChanges(version, epoch, [d.decode() if isinstance(d, bytes) else d for d in ids])

    def version(self) -> int:
        return int(self.client.get(self._version_key) or 0)

    def datasets(self) -> list:
        """Metadata of every registered dataset, sorted by id."""
        result = []
        ids = self.registered_ids()
        for start in range(0, len(ids), META_BATCH):
            with self.client.pipeline(transaction=False) as pipe:
                for ds_id in ids[start:start + META_BATCH]:
                    pipe.hgetall(dataset_key(self.namespace, ds_id, "meta"))
                metas = pipe.execute()
            result.extend(self._decode_meta(meta) for meta in metas if meta)
        return result

    def registered_ids(self) -> list:
        """Every registered dataset id, sorted."""
        return sorted(self._dataset_ids())

    def heads(self, ds_ids: list) -> list:
        """For each id, what the token index needs of its metadata (HEAD_FIELDS, and "id"), or
        None if it is not registered; pipelined, META_BATCH a round trip."""
        out = []
        for start in range(0, len(ds_ids), META_BATCH):
            batch = ds_ids[start:start + META_BATCH]
            with self.client.pipeline(transaction=False) as pipe:
                for ds_id in batch:
                    pipe.hmget(dataset_key(self.namespace, ds_id, "meta"), HEAD_FIELDS)
                replies = pipe.execute()
            for ds_id, values in zip(batch, replies):
                if values[0] is None:
                    out.append(None)
                    continue
                head = dict(zip(HEAD_FIELDS, (v.decode() if isinstance(v, bytes) else v for v in values)))
                for name in ("generation", "rows", "tokens"):
                    head[name] = int(head[name])
                head["weights"] = json.loads(head["weights"]) if head["weights"] else None
                head["id"] = ds_id
                out.append(head)
        return out

    def load_many(self, wanted: list) -> list:
        """The token table and record flags of each (ds id, generation) pair, or None for a
        generation replaced meanwhile; pipelined, META_BATCH a round trip."""
        out = []
        for start in range(0, len(wanted), META_BATCH):
            batch = wanted[start:start + META_BATCH]
            with self.client.pipeline(transaction=False) as pipe:
                for ds_id, generation in batch:
                    # Two GETs rather than one MGET: a cluster pipeline routes a command by its key.
                    pipe.get(dataset_key(self.namespace, ds_id, f"tokens:{generation}"))
                    pipe.get(dataset_key(self.namespace, ds_id, f"flags:{generation}"))
                replies = pipe.execute()
            for n in range(len(batch)):
                tokens, flags = replies[2 * n], replies[2 * n + 1]
                out.append(None if tokens is None or flags is None else
                           (np.frombuffer(tokens, dtype=TOKEN_DTYPE), np.frombuffer(flags, dtype=np.uint8)))
        return out

    def _dataset_ids(self) -> list:
        return [d.decode() if isinstance(d, bytes) else d for d in self.client.smembers(self._datasets_key)]

    def _drop_generation(self, ds_id: str, generation: int) -> None:
        self.client.delete(
            dataset_key(self.namespace, ds_id, f"tokens:{generation}"),
            dataset_key(self.namespace, ds_id, f"flags:{generation}"),
        )

    @staticmethod
    def _decode_meta(raw: dict) -> dict:
        meta = {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}
        out = {}
        for key, value in meta.items():
            if key == "minhash":
                out[key] = np.frombuffer(value, dtype="<u8")
                continue
            value = value.decode() if isinstance(value, bytes) else value
            if key in ("rows", "canaries", "tokens", "fingerprint_version", "generation"):
                value = int(value)
            elif key == "cardinality":
                value = float(value)
            elif key in ("fields", "weights"):
                value = json.loads(value)
            out[key] = value
        out["id"] = f"{out['institution']}/{out['dataset']}"
        return out
