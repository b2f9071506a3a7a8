"""Matching against many registered datasets, on one Redis and on a 3-master Redis Cluster.

    python -m bench.cluster                                  # 10,000 and 100,000 datasets
    python -m bench.cluster --datasets 10000 --pastes 200    # one size
    python -m bench.cluster --json                           # and a JSON summary at the end
    python -m bench.cluster --no-hiredis                     # redis-py's pure-Python reply parser

For each size both stores are started fresh on loopback (leakwatch's own redis-server, and a
LocalRedisCluster of 3 masters with a replica each; AOF everysec on both), loaded with the same
datasets and scanned with the same pastes. One line per size, the single Redis as the baseline:

  10000 datasets (200000 records): paste median cluster/one 1.17x (19.86 vs 16.93 ms), p99 1.16x (...);
  WAIT for a replica +0.47 ms median (...); memory/record one 238 B, cluster 242 B on the masters ...

What is measured:
- paste: a 100-line paste (80 lines of chatter, 20 registered people's rows) scanned in a warm
  process: parse, token lookup in the in-process index, and the commit of its sighting and
  matches, with (cluster) the WAIT for a replica; also on the cluster without that WAIT, to show
  its cost. The three scanners take each paste in turn, in a rotating order, so the machine's
  noise falls on all alike.
- memory per registered record: INFO used_memory after registration minus before, without the
  buffers that hold no data (replication backlog, clients' buffers, AOF buffer), over the records
  registered (the cluster: its masters summed, and its replicas apart).
- index build: the cold start of a scanning process (every dataset's tables read from Redis),
  which is also what a process does when the registry's change log cannot tell it what changed.
- index refresh: what one registration (a new dataset), one registration again (a new
  generation of a registered dataset) and one removal cost each scanning process: its next
  IndexCache.get() reads the change log and the changed dataset, and updates its index
  (median and slowest of REFRESHES of each, without the merges). Then the merge that folds
  the delta run and the dead entries into the main run, timed on its own: one refresh in
  many (every ~1/16 of the index's tokens registered) pays it.
- hiredis: redis-py parses replies with hiredis when it is installed; --no-hiredis hides it,
  to measure the pure-Python parser the same way.
- register(): datasets/s through RedisRegistry.register, one call each (the dataset's
  transaction, the change-log script, and on the cluster the WAIT for a replica), timed on the
  first REGISTER_CALLS datasets.

Datasets: RECORDS (20) records each. REAL of them are fingerprinted from synthetic people
(world.synth), whose rows the pastes quote. The others are copies of those token tables with
fresh random token values: a keyed hash of somebody else is a uniform 64-bit value, so they cost
the index and Redis what real datasets would, and match nothing, as unrelated datasets do.
Beyond the timed register() calls they are written through batched pipelines in the registry's
own layout (RedisRegistry.write), since 100,000 register() calls would take most of the run.
"""

import argparse
import dataclasses
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RECORDS = 20          # records per registered dataset (the brief: small datasets)
REAL = 1000           # datasets made from real (synthetic) people: 20,000 rows, the pastes' pool
REGISTER_CALLS = 200  # datasets registered one register() call each, to time that path
BATCH = 500           # datasets per pipeline of the bulk registration: ~1 MB a round trip
CHANGES_BATCH = 5000  # dataset ids per change-log script call of the bulk load: a few ms of Redis each
REFRESHES = 20        # refreshes timed of each kind: enough for a median of millisecond timings
SEED = 2026


def build_datasets(key, count: int):
    """`count` fingerprints of RECORDS records (the first REAL real, the rest random copies)
    and the real people's rows, as the pastes quote them."""
    from world.synth import make_institutions, write_table
    from leakwatch.matchers.extract import table_records
    from leakwatch.matchers.fingerprint import fingerprint_records

    real = min(REAL, count)
    (pool,) = make_institutions(1, rows=real * RECORDS, seed=SEED)
    with tempfile.TemporaryDirectory() as tmp:
        table = write_table(Path(tmp) / "pool.csv", pool.rows)
        whole = fingerprint_records(table_records(table), key, "d")
    # One fingerprint of the whole pool, cut into datasets of RECORDS consecutive records:
    # the same tokens as fingerprinting each cut on its own, 1,000 times faster.
    order = np.argsort(whole.tokens["rid"], kind="stable")
    tokens = whole.tokens[order]
    bounds = np.searchsorted(tokens["rid"], np.arange(0, real * RECORDS + 1, RECORDS))
    rng = np.random.default_rng(SEED)
    fingerprints = []
    for n in range(count):
        j = n % real
        part = tokens[bounds[j]:bounds[j + 1]].copy()
        part["rid"] -= j * RECORDS
        if n >= real:
            part["token"] = rng.integers(0, np.iinfo(np.uint64).max, len(part), dtype=np.uint64, endpoint=True)
        minhash = rng.integers(0, np.iinfo(np.uint64).max, len(whole.minhash), dtype=np.uint64, endpoint=True)
        fingerprints.append(dataclasses.replace(whole, rows=RECORDS, tokens=part, minhash=minhash,
                                                flags=whole.flags[j * RECORDS:(j + 1) * RECORDS].copy()))
    columns = list(pool.rows[0])
    people = [(n // RECORDS, ";".join(r[c] for c in columns)) for n, r in enumerate(pool.rows)]
    return fingerprints, people


def dataset_name(n: int) -> tuple:
    return f"inst{n:06d}", "d"


def register_all(registry, key, fingerprints) -> float:
    """Every dataset into the registry; returns register()'s datasets/s on the first calls."""
    from leakwatch.matchers.registry.names import dataset_id, dataset_key

    calls = min(REGISTER_CALLS, len(fingerprints))
    started = time.perf_counter()
    for n in range(calls):
        registry.register(*dataset_name(n), fingerprints[n], key_id=key.key_id)
    per_call = calls / (time.perf_counter() - started)
    ids = []
    for start in range(calls, len(fingerprints), BATCH):
        with registry.client.pipeline(transaction=False) as pipe:
            for n in range(start, min(start + BATCH, len(fingerprints))):
                ds_id = dataset_id(*dataset_name(n))
                pipe.hset(dataset_key(registry.namespace, ds_id, "generation"), "n", 1)
                registry.write(pipe, ds_id, 1, fingerprints[n])
                ids.append(ds_id)
            pipe.execute()
    for start in range(0, len(ids), CHANGES_BATCH):
        registry.record_changes(ids[start:start + CHANGES_BATCH])
    return per_call


def time_refreshes(side, key, fingerprints, datasets: int) -> dict:
    """Milliseconds of IndexCache.get() after one registration, one registration again and one
    removal (REFRESHES each; the refreshes that merged are counted apart), then of one merge."""
    from leakwatch.matchers.registry.names import dataset_id

    cache = side.index_cache
    timings = {"new": [], "again": [], "removal": []}
    merges = []
    changes = ([("new", dataset_name(datasets + n), fingerprints[n]) for n in range(REFRESHES)]
               # datasets of the bulk load, at generation 1
               + [("again", dataset_name(datasets - 1 - n), fingerprints[n + 1]) for n in range(REFRESHES)]
               + [("removal", dataset_name(datasets + n), None) for n in range(REFRESHES)])
    for kind, name, fingerprint in changes:
        before = cache.get()
        if fingerprint is None:
            side.registry.remove(*name)
        else:
            side.registry.register(*name, fingerprint, key_id=key.key_id)
        started = time.perf_counter()
        index = cache.get()
        elapsed = (time.perf_counter() - started) * 1000
        assert cache.last_refresh == "changes", (side.name, kind, cache.last_refresh)
        # A merge makes a new main run; an update shares the one it had.
        (timings[kind] if index.main is before.main else merges).append(elapsed)
        found = dataset_id(*name) in {index.datasets[d]["id"] for d in np.flatnonzero(index.alive).tolist()}
        assert found == (kind != "removal"), (side.name, kind, name)
    index = cache.get()
    started = time.perf_counter()
    merged = index.merged()
    merge_ms = (time.perf_counter() - started) * 1000
    assert len(merged) == len(index) and not len(merged.delta.tokens), side.name
    out = {}
    for kind, values in timings.items():
        values.sort()
        out[f"refresh_{kind}_ms"] = round(statistics.median(values), 1)
        out[f"refresh_{kind}_max_ms"] = round(values[-1], 1)
    out["merge_ms"] = round(merge_ms)
    out["refresh_merges"] = len(merges)
    return out


# Buffers in INFO used_memory that hold no data: they fill with the writes of a bulk load and
# would be counted as the datasets' (a master's replication backlog alone is up to 1 MB).
BUFFERS = ("mem_replication_backlog", "mem_clients_slaves", "mem_clients_normal", "mem_aof_buffer")


def _data_memory(client) -> int:
    info = client.info("memory")
    return int(info["used_memory"]) - sum(int(info.get(name, 0)) for name in BUFFERS)


def used_memory(store) -> tuple:
    """(bytes the masters use for data, bytes the replicas use): a LocalRedis' client, or a LocalRedisCluster."""
    from world.redis_cluster import LocalRedisCluster

    if not isinstance(store, LocalRedisCluster):
        return _data_memory(store), 0
    used = {"master": 0, "slave": 0}
    for node in store.nodes:
        client = node.client()
        try:
            used[client.info("replication")["role"]] += _data_memory(client)
        finally:
            client.close()
    return used["master"], used["slave"]


def make_pastes(people, count: int) -> list:
    """(paste bytes, ids of the datasets it quotes) like bench/speed.py's paste case."""
    rng = random.Random(SEED)
    pastes = []
    for n in range(count):
        lines = [f"random chatter line {rng.random()} nothing to see" for _ in range(80)]
        quoted = rng.sample(people, 20)
        lines += [row for _, row in quoted]
        rng.shuffle(lines)
        pastes.append(("\n".join(lines).encode(), {"/".join(dataset_name(d)) for d, _ in quoted}))
    return pastes


class Side:
    """One store with its registry, index and scanner."""

    def __init__(self, name, client, key, namespace, replica_wait, index_cache=None):
        from leakwatch.matchers.fingerprint import Tokenizer
        from leakwatch.matchers.match import DumpScanner, IndexCache
        from leakwatch.matchers.registry import MatchQueue, RedisRegistry, SightingStore

        self.name = name
        self.client = client
        self.registry = RedisRegistry(client, namespace, replica_wait=replica_wait)
        self.index_cache = index_cache or IndexCache(self.registry)
        self.scanner = DumpScanner(self.index_cache, Tokenizer(key.hasher()),
                                   SightingStore(client, namespace, replica_wait=replica_wait),
                                   queue=MatchQueue(client, namespace))
        self.times = []

    def scan(self, n, data, expected) -> None:
        started = time.perf_counter()
        report = self.scanner.scan_bytes(data, name=f"paste-{n}")
        self.times.append(time.perf_counter() - started)
        found = {f"{m['institution']}/{m['dataset']}" for m in report.as_dict()["matches"]}
        assert found == expected, f"{self.name}: paste {n} matched {sorted(found ^ expected)[:5]} wrongly"

    def stats(self) -> dict:
        ordered = sorted(self.times)
        return {"median_ms": round(statistics.median(ordered) * 1000, 2),
                "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 2)}


def run_size(datasets: int, pastes: int, workdir: Path) -> dict:
    from world.redis_cluster import LocalRedisCluster
    from leakwatch.matchers.registry.local_server import LocalRedis
    from leakwatch.matchers.registry.connection import connect
    from leakwatch.matchers.fingerprint import DeploymentKey
    from leakwatch.matchers.registry.replica_wait import ReplicaWait

    key = DeploymentKey.generate()
    started = time.perf_counter()
    fingerprints, people = build_datasets(key, datasets)
    print(f"  {datasets} datasets built in {time.perf_counter() - started:.0f} s", flush=True)
    single_server = LocalRedis(workdir / f"one-{datasets}")
    cluster = LocalRedisCluster(workdir / f"cluster-{datasets}", masters=3, replicas=1)
    from redis.utils import HIREDIS_AVAILABLE

    result = {"datasets": datasets, "records": datasets * RECORDS, "pastes": pastes, "hiredis": HIREDIS_AVAILABLE}
    try:
        one = connect(single_server.ensure())
        cluster.start()
        many = connect(cluster.url)
        sides = {"one": Side("one", one, key, "bench", None),
                 "cluster": Side("cluster", many, key, "bench", ReplicaWait(1, 1000))}
        stores = {"one": one, "cluster": cluster}
        for name, side in sides.items():
            before = used_memory(stores[name])
            started = time.perf_counter()
            result[f"{name}_register_calls_per_s"] = round(register_all(side.registry, key, fingerprints))
            result[f"{name}_register_s"] = round(time.perf_counter() - started, 1)
            time.sleep(1)  # the replicas catch up before they are weighed
            after = used_memory(stores[name])
            result[f"{name}_bytes_per_record"] = round((after[0] - before[0]) / result["records"])
            if name == "cluster":
                result["cluster_replica_bytes_per_record"] = round((after[1] - before[1]) / result["records"])
            started = time.perf_counter()
            index = side.index_cache.get()
            result[f"{name}_index_build_ms"] = round((time.perf_counter() - started) * 1000)
            result[f"{name}_index_build_s"] = round(result[f"{name}_index_build_ms"] / 1000, 1)
            assert len(index.datasets) == datasets, (name, len(index.datasets))
            print(f"  {name}: registered in {result[f'{name}_register_s']} s, index built in "
                  f"{result[f'{name}_index_build_s']} s", flush=True)
        # The cluster without the WAIT: the same index, sightings and queue under another namespace.
        sides["cluster_no_wait"] = Side("cluster without WAIT", many, key, "bench-nw", None,
                                        index_cache=sides["cluster"].index_cache)
        order = list(sides.values())
        for n, (data, expected) in enumerate(make_pastes(people, pastes)):
            for side in order[n % 3:] + order[:n % 3]:
                side.scan(n, data, expected)
        for name, side in sides.items():
            for stat, value in side.stats().items():
                result[f"{name}_{stat}"] = value
        # Registrations and removals after the start: each scanning process's next get()
        # reads what changed and updates its index.
        for name in ("one", "cluster"):
            for stat, value in time_refreshes(sides[name], key, fingerprints, datasets).items():
                result[f"{name}_{stat}"] = value
    finally:
        cluster.stop()
        single_server.stop()
    return result


def line(r: dict) -> str:
    def ratio(a, b):
        return f"{r[a] / r[b]:.2f}x" if r[b] else "n/a"

    return (f"{r['datasets']} datasets ({r['records']} records): paste median cluster/one "
            f"{ratio('cluster_median_ms', 'one_median_ms')} ({r['cluster_median_ms']} vs {r['one_median_ms']} ms), "
            f"p99 {ratio('cluster_p99_ms', 'one_p99_ms')} ({r['cluster_p99_ms']} vs {r['one_p99_ms']} ms); "
            f"WAIT for a replica {r['cluster_median_ms'] - r['cluster_no_wait_median_ms']:+.2f} ms median "
            f"(cluster without it {r['cluster_no_wait_median_ms']} ms); memory/record one {r['one_bytes_per_record']} B, "
            f"cluster {r['cluster_bytes_per_record']} B on the masters "
            f"({ratio('cluster_bytes_per_record', 'one_bytes_per_record')}) + {r['cluster_replica_bytes_per_record']} B "
            f"on the replicas; index build one {r['one_index_build_s']} s, cluster {r['cluster_index_build_s']} s; "
            f"refresh after one registration one {r['one_refresh_new_ms']} ms, "
            f"cluster {r['cluster_refresh_new_ms']} ms "
            f"({r['one_index_build_ms'] / r['one_refresh_new_ms']:.0f}x / "
            f"{r['cluster_index_build_ms'] / r['cluster_refresh_new_ms']:.0f}x faster than a build), "
            f"registration again {r['one_refresh_again_ms']} / {r['cluster_refresh_again_ms']} ms, "
            f"removal {r['one_refresh_removal_ms']} / {r['cluster_refresh_removal_ms']} ms, a merge "
            f"{r['one_merge_ms']} / {r['cluster_merge_ms']} ms; "
            f"register() one {r['one_register_calls_per_s']}/s, cluster {r['cluster_register_calls_per_s']}/s"
            f"{'' if r['hiredis'] else ' (without hiredis)'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, nargs="+", default=[10_000, 100_000])
    # 200 pastes: the p99 is then the third-slowest, not the slowest alone.
    parser.add_argument("--pastes", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-hiredis", action="store_true", help="redis-py's pure-Python reply parser")
    args = parser.parse_args(argv)
    if args.no_hiredis:
        if "redis" in sys.modules:
            parser.error("--no-hiredis must be set before redis is imported")
        sys.modules["hiredis"] = None  # redis-py then finds no hiredis and parses in Python
    results = []
    with tempfile.TemporaryDirectory(prefix="leakwatch-bench-cluster-") as tmp:
        for datasets in args.datasets:
            started = time.perf_counter()
            result = run_size(datasets, args.pastes, Path(tmp))
            result["seconds"] = round(time.perf_counter() - started)
            results.append(result)
            print(line(result), flush=True)
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
