"""The registry of fingerprinted datasets, kept in Redis."""

import json
import time

import numpy as np

from ..fingerprint import TOKEN_DTYPE, Fingerprint
from .names import RegistryError, check_name, dataset_id, dataset_key, meta_prefix

# Metadata hashes read per round trip when the index is rebuilt: with 100,000 datasets,
# one round trip each would cost seconds; a cluster client splits a batch by node.
META_BATCH = 1000


class RedisRegistry:
    """Registered datasets: metadata, token table and record flags, replaced atomically.

    Each dataset's arrays live under a generation number; the meta hash names the
    current generation, so readers never see a half-replaced dataset.

    Keys: a dataset's under its own hash tag, `{ns}:ds:{<institution>/<dataset>}:<part>`
    (meta, generation, tokens:<n>, flags:<n>), so one dataset sits in one Redis Cluster slot
    and the datasets spread over the cluster; the index of dataset ids and the registry's
    version under the namespace's tag, `{<ns>}:datasets` and `{<ns>}:registry:version`,
    with the sightings.
    """

    def __init__(self, client, namespace: str = "lw", replica_wait=None):
        self.client = client
        self.namespace = namespace
        prefix = meta_prefix(namespace)
        self._datasets_key = f"{prefix}:datasets"
        self._version_key = f"{prefix}:registry:version"
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
        # Another slot than the dataset's: a transaction of its own.
        with self.client.pipeline(transaction=True) as pipe:
            pipe.sadd(self._datasets_key, ds_id)
            pipe.incr(self._version_key)
            pipe.execute()
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
            self.client.srem(self._datasets_key, ds_id)
            self.client.delete(meta_key, dataset_key(self.namespace, ds_id, "generation"),
                               dataset_key(self.namespace, ds_id, "replicated"))
            self._drop_generation(ds_id, int(generation))
            removed.append(ds_id)
        if dataset is not None and not removed:
            raise RegistryError(f"no dataset {institution}/{dataset} is registered")
        if removed:
            self.client.incr(self._version_key)
        return removed

    def version(self) -> int:
        return int(self.client.get(self._version_key) or 0)

    def datasets(self) -> list:
        """Metadata of every registered dataset, sorted by id."""
        result = []
        ids = sorted(self._dataset_ids())
        for start in range(0, len(ids), META_BATCH):
            with self.client.pipeline(transaction=False) as pipe:
                for ds_id in ids[start:start + META_BATCH]:
                    pipe.hgetall(dataset_key(self.namespace, ds_id, "meta"))
                metas = pipe.execute()
            result.extend(self._decode_meta(meta) for meta in metas if meta)
        return result

    def load(self, ds_id: str, generation: int):
        """Token table and record flags of one generation of a dataset (None if replaced meanwhile)."""
        tokens, flags = self.client.mget(
            dataset_key(self.namespace, ds_id, f"tokens:{generation}"),
            dataset_key(self.namespace, ds_id, f"flags:{generation}"),
        )
        if tokens is None or flags is None:
            return None
        return np.frombuffer(tokens, dtype=TOKEN_DTYPE), np.frombuffer(flags, dtype=np.uint8)

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
            elif key == "fields":
                value = json.loads(value)
            out[key] = value
        out["id"] = f"{out['institution']}/{out['dataset']}"
        return out
