"""The registry on a Redis Cluster: datasets spread over the masters, each dataset in one slot."""

from collections import Counter

from world.synth import make_institutions
from leakwatch.matchers.registry.names import dataset_key, meta_prefix

from .conftest import fingerprint_rows as small_fingerprint


def test_datasets_spread_over_the_masters_and_each_sits_in_one_slot(redis_cluster, cluster_runtime):
    runtime = cluster_runtime
    ns = runtime.settings.namespace
    (lab,) = make_institutions(1, rows=24, seed=5)
    fingerprint = small_fingerprint(runtime, lab.rows)
    for i in range(24):
        runtime.registry.register(f"labo-{i:02d}", "patients", fingerprint, key_id=runtime.key.key_id)

    datasets = runtime.registry.datasets()
    assert [d["id"] for d in datasets] == sorted(f"labo-{i:02d}/patients" for i in range(24))
    masters = Counter()
    for meta in datasets:
        g = meta["generation"]
        keys = [dataset_key(ns, meta["id"], part) for part in ("meta", "generation", f"tokens:{g}", f"flags:{g}")]
        assert len({redis_cluster.slot_of(k) for k in keys}) == 1, keys
        # Where the cluster itself serves that slot, and the keys are there, on that node.
        node = redis_cluster.master_of(keys[0])
        direct = node.client()
        try:
            assert direct.exists(*keys) == len(keys)
        finally:
            direct.close()
        masters[node.port] += 1
    assert len(masters) == 3, masters  # spread over every master, not piled on one

    # The index and the version sit with the namespace's other keys: one slot, one master.
    prefix = meta_prefix(ns)
    assert redis_cluster.slot_of(f"{prefix}:datasets") == redis_cluster.slot_of(f"{prefix}:sightings")
    assert runtime.registry.version() == 24


def test_registering_again_replaces_and_removing_deletes_every_key_of_the_dataset(redis_cluster, cluster_runtime):
    runtime = cluster_runtime
    ns = runtime.settings.namespace
    first, second = make_institutions(2, rows=12, seed=6)
    runtime.registry.register("labo-r", "patients", small_fingerprint(runtime, first.rows), key_id=runtime.key.key_id)
    again = runtime.registry.register("labo-r", "patients", small_fingerprint(runtime, second.rows),
                                      key_id=runtime.key.key_id)
    assert again["generation"] == 2 and again["rows"] == len(second.rows)
    node = redis_cluster.master_of(dataset_key(ns, "labo-r/patients", "meta"))
    direct = node.client()
    try:
        pattern = f"{ns}:ds:{{labo-r/patients}}:*"
        assert not [k for k in direct.scan_iter(pattern) if k.endswith(b":tokens:1")], "the old generation stayed"
        assert runtime.registry.remove("labo-r") == ["labo-r/patients"]
        assert list(direct.scan_iter(pattern)) == []
    finally:
        direct.close()
    assert runtime.registry.datasets() == []
