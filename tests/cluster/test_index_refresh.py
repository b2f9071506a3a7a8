"""The token index follows the registry by what changed on a Redis Cluster too: the change log
sits in the namespace's slot, the datasets in their own, and a refresh gives what a full build gives."""

import random
import threading

import numpy as np

from world.synth import make_institutions
from leakwatch.matchers.fingerprint import Tokenizer
from leakwatch.matchers.match import IndexCache, Scanner
from leakwatch.matchers.registry import RedisRegistry
from leakwatch.matchers.registry.names import meta_prefix

from index_entries import entries_seen

from .conftest import fingerprint_rows


def found(runtime, index, rows) -> dict:
    table = [list(rows[0])] + [list(r.values()) for r in rows]
    outcome = Scanner(index, Tokenizer(runtime.key.hasher())).scan(iter(table))
    return {f"{m.institution}/{m.dataset}": m.records for m in outcome.matches}


def test_refresh_on_the_cluster_gives_the_same_lookups_as_a_full_build(redis_cluster, cluster_runtime):
    runtime = cluster_runtime
    registry = runtime.registry
    (lab,) = make_institutions(1, rows=90, seed=41)
    rng = random.Random(8)
    tables = []
    for _ in range(8):
        start = rng.randrange(60)
        tables.append(fingerprint_rows(runtime, lab.rows[start:start + rng.randrange(3, 30)]))
    names = [(f"labo-{i}", "patients") for i in range(8)]  # spread over the masters
    for name in names[:4]:
        registry.register(*name, tables[rng.randrange(8)], key_id=runtime.key.key_id)
    cache = IndexCache(registry, merge_min=300)
    cache.get()
    registered = set(names[:4])
    queries = np.concatenate([t.tokens["token"] for t in tables])
    for _step in range(25):
        if rng.random() < 0.65 or not registered:
            name = rng.choice(names)
            registry.register(*name, tables[rng.randrange(8)], key_id=runtime.key.key_id)
            registered.add(name)
        else:
            name = rng.choice(sorted(registered))
            registry.remove(*name)
            registered.discard(name)
        index = cache.get()
        assert cache.last_refresh == "changes"
        assert np.array_equal(entries_seen(index, queries), entries_seen(IndexCache(registry).get(), queries))
    assert set(found(runtime, index, lab.rows)) <= {f"{i}/{d}" for i, d in registered}
    # The log and the version are in the namespace's slot, with the sightings.
    prefix = meta_prefix(runtime.settings.namespace)
    assert redis_cluster.slot_of(f"{prefix}:registry:changes") == redis_cluster.slot_of(f"{prefix}:sightings")


def test_a_removed_dataset_stops_matching_and_a_wiped_registry_is_loaded_whole(redis_cluster, cluster_runtime):
    runtime = cluster_runtime
    registry = runtime.registry
    ns = runtime.settings.namespace
    (lab,) = make_institutions(1, rows=40, seed=42)
    registry.register("labo-a", "patients", fingerprint_rows(runtime, lab.rows[:20]), key_id=runtime.key.key_id)
    registry.register("labo-b", "patients", fingerprint_rows(runtime, lab.rows[20:]), key_id=runtime.key.key_id)
    cache = IndexCache(registry)
    assert found(runtime, cache.get(), lab.rows) == {"labo-a/patients": 20, "labo-b/patients": 20}
    registry.remove("labo-a")
    assert found(runtime, cache.get(), lab.rows) == {"labo-b/patients": 20}
    assert cache.last_refresh == "changes"

    # Wiped (every master) and registered again past the cached version: a new epoch.
    for port in redis_cluster.masters_now():
        client = redis_cluster.node(port).client()
        try:
            for pattern in (f"{ns}:*", f"{{{ns}}}:*"):
                for key in client.scan_iter(pattern):
                    client.delete(key)
        finally:
            client.close()
    for n in range(5):
        registry.register(f"labo-n{n}", "patients", fingerprint_rows(runtime, lab.rows[:10]), key_id=runtime.key.key_id)
    assert registry.version() > 3
    index = cache.get()
    assert cache.last_refresh == "full"
    assert found(runtime, index, lab.rows) == {f"labo-n{n}/patients": 10 for n in range(5)}


def test_a_scan_on_the_cluster_never_sees_half_a_dataset_registered_again_meanwhile(redis_cluster, cluster_runtime):
    from leakwatch.matchers.registry.connection import connect

    runtime = cluster_runtime
    (lab,) = make_institutions(1, rows=40, seed=43)
    tables = [fingerprint_rows(runtime, lab.rows[:20]), fingerprint_rows(runtime, lab.rows[20:])]
    runtime.registry.register("labo-x", "patients", tables[0], key_id=runtime.key.key_id)
    stop = threading.Event()
    errors = []

    def writer():
        other = RedisRegistry(connect(redis_cluster.url), runtime.settings.namespace)
        try:
            n = 1
            while not stop.is_set() and n < 2000:
                other.register("labo-x", "patients", tables[n % 2], key_id=runtime.key.key_id)
                n += 1
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            other.client.close()

    cache = IndexCache(runtime.registry)
    thread = threading.Thread(target=writer)
    thread.start()
    generations = set()
    try:
        for _ in range(80):
            index = cache.get()
            assert found(runtime, index, lab.rows) == {"labo-x/patients": 20}
            (live,) = np.flatnonzero(index.alive)
            generations.add(index.datasets[live]["generation"])
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert len(generations) > 3, "the writer and the reader did not overlap"
