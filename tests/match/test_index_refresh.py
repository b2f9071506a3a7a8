"""The token index follows the registry by what changed, and gives what a full build gives.

IndexCache.get reads the registry's change log and the changed datasets only; these tests hold
it to a full build (a fresh IndexCache) entry for entry, on a real redis-server.
"""

import random
import threading

import numpy as np
import pytest
import redis

from world.synth import make_institutions
from leakwatch.matchers.fingerprint import DeploymentKey, Tokenizer, fingerprint_records
from leakwatch.matchers.match import IndexCache, Scanner
from leakwatch.matchers.registry import RedisRegistry
from leakwatch.matchers.registry.names import dataset_key, meta_prefix
from leakwatch.matchers.registry.redis import CHANGES_KEPT

from index_entries import entries_seen

POOL_ROWS = 120  # people shared by the datasets, so their tokens overlap as real registries' do
FINGERPRINTS = 24


@pytest.fixture(scope="module")
def key():
    return DeploymentKey.generate()


@pytest.fixture(scope="module")
def pool():
    (lab,) = make_institutions(1, rows=POOL_ROWS, seed=31)
    columns = list(lab.rows[0])
    return [columns] + [[row[c] for c in columns] for row in lab.rows]


def fingerprint(key, pool, rows):
    """The fingerprint of some of the pool's rows (with the header, as a registered table has)."""
    return fingerprint_records(iter([pool[0]] + [pool[1 + r] for r in rows]), key, "d")


@pytest.fixture(scope="module")
def fingerprints(key, pool):
    rng = random.Random(5)
    out = []
    for _ in range(FINGERPRINTS):
        start = rng.randrange(POOL_ROWS - 30)
        out.append(fingerprint(key, pool, range(start, start + rng.randrange(3, 30))))
    return out


@pytest.fixture
def registry(redis_client, namespace):
    return RedisRegistry(redis_client, namespace)


def all_queries(fingerprints) -> np.ndarray:
    rng = np.random.default_rng(3)
    registered = np.concatenate([fp.tokens["token"] for fp in fingerprints])
    return np.concatenate([registered, rng.integers(0, 2**63, 500, dtype=np.uint64)])


def matches(index, key, rows) -> list:
    return [m.as_dict() for m in Scanner(index, Tokenizer(key.hasher())).scan(iter(rows)).matches]


@pytest.mark.parametrize("merge_min", [0, 300, 10**12], ids=["merge-often", "merge-sometimes", "never-merge"])
def test_incremental_refresh_gives_the_same_lookups_as_a_full_build_after_random_changes(
        registry, key, pool, fingerprints, merge_min):
    rng = random.Random(merge_min % 997)
    names = [(f"labo-{i % 3}", f"d{i}") for i in range(9)]
    registered = set()
    for name in names[:5]:  # a main run to mask and merge into
        registry.register(*name, fingerprints[rng.randrange(FINGERPRINTS)], key_id=key.key_id)
        registered.add(name)
    cache = IndexCache(registry, merge_min=merge_min)
    cache.get()
    assert cache.last_refresh == "full"
    queries = all_queries(fingerprints)
    mains = {id(cache.get().main)}
    for _step in range(60):
        roll = rng.random()
        if roll < 0.6 or not registered:
            name = rng.choice(names)  # new, or registered again
            registry.register(*name, fingerprints[rng.randrange(FINGERPRINTS)], key_id=key.key_id)
            registered.add(name)
        elif roll < 0.9:
            name = rng.choice(sorted(registered))
            registry.remove(*name)
            registered.discard(name)
        else:
            institution = rng.choice(sorted(registered))[0]
            registry.remove(institution)
            registered = {n for n in registered if n[0] != institution}
        index = cache.get()
        assert cache.last_refresh == "changes"
        mains.add(id(index.main))
        full = IndexCache(registry).get()
        assert np.array_equal(entries_seen(index, queries), entries_seen(full, queries))
        assert len(index) == len(full)
        assert {index.datasets[d]["id"] for d in np.flatnonzero(index.alive)} == {f"{i}/{d}" for i, d in registered}
    assert matches(index, key, pool[1:]) == matches(full, key, pool[1:])
    if merge_min == 0:
        assert len(mains) > 10  # merged again and again
    if merge_min == 10**12:
        assert len(mains) == 1 and len(index.delta.tokens) and index.dead_entries  # delta and masks only


def test_a_removed_dataset_no_longer_matches_and_a_replaced_one_matches_as_its_new_generation(registry, key, pool):
    cache = IndexCache(registry)
    registry.register("labo-a", "patients", fingerprint(key, pool, range(0, 20)), key_id=key.key_id)
    registry.register("labo-b", "patients", fingerprint(key, pool, range(20, 40)), key_id=key.key_id)
    registry.register("labo-c", "patients", fingerprint(key, pool, range(40, 50)), key_id=key.key_id)
    found = {m["institution"]: m["records"] for m in matches(cache.get(), key, pool[1:51])}
    assert found == {"labo-a": 20, "labo-b": 20, "labo-c": 10}

    registry.remove("labo-a", "patients")
    registry.register("labo-b", "patients", fingerprint(key, pool, range(30, 35)), key_id=key.key_id)
    index = cache.get()
    assert cache.last_refresh == "changes"
    assert {m["institution"]: m["records"] for m in matches(index, key, pool[1:51])} == {"labo-b": 5, "labo-c": 10}
    # Not a single entry of labo-a, nor of labo-b's first generation, is returned any more.
    first_b = fingerprint(key, pool, range(20, 30)).tokens["token"]
    _, entries = index.lookup(first_b)
    assert len(entries) == 0

    registry.remove("labo-c")
    assert matches(cache.get(), key, pool[1:51]) == [m for m in matches(index, key, pool[1:51])
                                                      if m["institution"] == "labo-b"]
    assert cache.last_refresh == "changes"


def _register_like_the_old_code(registry, key, pool):
    """A writer that bumps the version without a change-log entry (leakwatch before the log)."""
    ds_id = "labo-old/patients"
    with registry.client.pipeline(transaction=True) as pipe:
        pipe.hincrby(dataset_key(registry.namespace, ds_id, "generation"), "n", 1)
        registry.write(pipe, ds_id, 1, fingerprint(key, pool, range(60, 70)))
        pipe.execute()
    registry.client.sadd(registry._datasets_key, ds_id)
    registry.client.incr(registry._version_key)


def _trim_the_log_past_the_cache(registry, key, pool):
    registry.register("labo-new", "patients", fingerprint(key, pool, range(60, 70)), key_id=key.key_id)
    # More changes than the log keeps (removals of datasets that never were: no dataset changes).
    gone = [f"nobody/d{n}" for n in range(CHANGES_KEPT + 500)]
    for start in range(0, len(gone), 5000):
        registry.record_changes(gone[start:start + 5000], removed=True)


def _wipe_and_register_again(registry, key, pool):
    client, ns = registry.client, registry.namespace
    for pattern in (f"{ns}:*", f"{meta_prefix(ns)}:*"):
        for stale in client.scan_iter(pattern):
            client.delete(stale)
    # Past the version the cache holds: only the epoch tells the histories apart.
    for n in range(4):
        registry.register("labo-new", f"d{n}", fingerprint(key, pool, range(60 + n, 70)), key_id=key.key_id)


def _delete_the_log(registry, key, pool):
    registry.client.delete(registry._changes_key)
    registry.remove("labo-b")


@pytest.mark.parametrize("change, registered", [
    (_register_like_the_old_code, {"labo-a", "labo-b", "labo-old"}),
    (_trim_the_log_past_the_cache, {"labo-a", "labo-b", "labo-new"}),
    (_wipe_and_register_again, {"labo-new"}),
    (_delete_the_log, {"labo-a"}),
], ids=["version-bumped-without-log", "log-trimmed", "registry-wiped-and-rebuilt", "log-deleted"])
def test_refresh_loads_the_whole_registry_when_the_change_log_cannot_tell(registry, key, pool, change, registered):
    registry.register("labo-a", "patients", fingerprint(key, pool, range(0, 20)), key_id=key.key_id)
    registry.register("labo-b", "patients", fingerprint(key, pool, range(20, 40)), key_id=key.key_id)
    cache = IndexCache(registry)
    cache.get()
    change(registry, key, pool)
    index = cache.get()
    assert cache.last_refresh == "full"
    queries = all_queries([fingerprint(key, pool, range(0, 80))])
    assert np.array_equal(entries_seen(index, queries), entries_seen(IndexCache(registry).get(), queries))
    assert {m["institution"] for m in matches(index, key, pool[1:81])} == registered
    # From there on the log serves again.
    registry.register("labo-c", "patients", fingerprint(key, pool, range(80, 90)), key_id=key.key_id)
    index = cache.get()
    assert cache.last_refresh == "changes"
    assert {m["institution"] for m in matches(index, key, pool[1:91])} == registered | {"labo-c"}


def test_refresh_after_a_backup_is_restored_loads_the_whole_registry(registry, key, pool):
    client, ns = registry.client, registry.namespace
    patterns = (f"{ns}:*", f"{meta_prefix(ns)}:*")
    registry.register("labo-a", "patients", fingerprint(key, pool, range(0, 20)), key_id=key.key_id)
    backup = {k: client.dump(k) for pattern in patterns for k in client.scan_iter(pattern)}
    registry.register("labo-b", "patients", fingerprint(key, pool, range(20, 40)), key_id=key.key_id)
    cache = IndexCache(registry)
    assert {m["institution"] for m in matches(cache.get(), key, pool[1:41])} == {"labo-a", "labo-b"}
    for pattern in patterns:
        for k in client.scan_iter(pattern):
            client.delete(k)
    for k, payload in backup.items():
        client.restore(k, 0, payload)
    index = cache.get()
    assert cache.last_refresh == "full"  # the version went back
    assert {m["institution"] for m in matches(index, key, pool[1:41])} == {"labo-a"}


def test_a_redis_restart_keeps_the_change_log_so_refreshes_stay_incremental(tmp_path, key, pool):
    from leakwatch.matchers.registry.local_server import LocalRedis

    server = LocalRedis(tmp_path / "redis")
    client = redis.Redis.from_url(server.ensure())
    try:
        registry = RedisRegistry(client, "lw")
        registry.register("labo-a", "patients", fingerprint(key, pool, range(0, 20)), key_id=key.key_id)
        cache = IndexCache(registry)
        cache.get()
        server.stop()
        client.close()
        client = redis.Redis.from_url(server.ensure())  # on the same data directory
        cache.registry = registry = RedisRegistry(client, "lw")
        registry.register("labo-b", "patients", fingerprint(key, pool, range(20, 40)), key_id=key.key_id)
        index = cache.get()
        assert cache.last_refresh == "changes"
        assert {m["institution"]: m["records"] for m in matches(index, key, pool[1:41])} == {"labo-a": 20, "labo-b": 20}
    finally:
        client.close()
        server.stop()


def test_a_scan_never_sees_half_a_dataset_while_it_is_registered_again_and_again(registry, redis_url, key, pool):
    """Another process registers the same dataset again and again, alternating two tables of 20
    people each; every index the cache hands out holds exactly one of them."""
    tables = [fingerprint(key, pool, range(0, 20)), fingerprint(key, pool, range(20, 40))]
    registry.register("labo-x", "patients", tables[0], key_id=key.key_id)
    stop = threading.Event()
    errors = []

    def writer():
        other = RedisRegistry(redis.Redis.from_url(redis_url), registry.namespace)
        try:
            n = 1
            while not stop.is_set() and n < 5000:
                other.register("labo-x", "patients", tables[n % 2], key_id=key.key_id)
                n += 1
        except Exception as exc:  # reported by the test below
            errors.append(exc)
        finally:
            other.client.close()

    thread = threading.Thread(target=writer)
    cache = IndexCache(registry)  # replaced generations masked, not merged away
    thread.start()
    seen = set()
    try:
        for _ in range(150):
            index = cache.get()
            (found,) = matches(index, key, pool[1:41])
            assert found["records"] == 20 and found["canaries"] == 0, found
            live = np.flatnonzero(index.alive)
            assert len(live) == 1
            seen.add(found["evidence_rows"][0])
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert seen == {1, 21}, "the writer and the reader did not overlap"
    final = cache.get()
    queries = all_queries(tables)
    assert np.array_equal(entries_seen(final, queries), entries_seen(IndexCache(registry).get(), queries))


def test_an_index_in_use_is_left_as_it_was_by_the_updates_made_from_it(key, pool, fingerprints):
    """A scan keeps the index it started with while the cache moves on, even along two
    branches of updates: each index answers as a full build of its own datasets would."""
    from leakwatch.matchers.match import TokenIndex

    def meta(n, generation=1):
        return {"id": f"labo-{n}/d", "institution": f"labo-{n}", "dataset": "d", "generation": generation}

    def table(n):
        return fingerprints[n].tokens, fingerprints[n].flags

    first = TokenIndex([meta(n) for n in range(4)], [table(n) for n in range(4)])
    replaced = first.updated([1], [(meta(1, 2), table(9)), (meta(7), table(7))])
    removed = first.updated([0, 2], [])                    # another branch from the same index
    later = replaced.updated([5], [(meta(8), table(8))])   # position 5: labo-7, in the delta run
    queries = all_queries(fingerprints)
    expected = {
        first: ([meta(n) for n in range(4)], [table(n) for n in range(4)]),
        replaced: ([meta(0), meta(2), meta(3), meta(1, 2), meta(7)],
                   [table(0), table(2), table(3), table(9), table(7)]),
        removed: ([meta(1), meta(3)], [table(1), table(3)]),
        later: ([meta(0), meta(2), meta(3), meta(1, 2), meta(8)],
                [table(0), table(2), table(3), table(9), table(8)]),
    }
    for index, (metas, tables) in expected.items():
        assert np.array_equal(entries_seen(index, queries), entries_seen(TokenIndex(metas, tables), queries))
        assert np.array_equal(entries_seen(index.merged(), queries), entries_seen(index, queries))


def test_redis_replies_are_parsed_by_hiredis(redis_client):
    """A full load parses every dataset's metadata and token table: redis-py does it in C
    when hiredis (>= 3.2; an older one is ignored) is installed, as pyproject.toml asks."""
    from redis.utils import HIREDIS_AVAILABLE

    assert HIREDIS_AVAILABLE, "hiredis>=3.2 is missing: pip install -e . (it is a dependency)"
    connection = redis_client.connection_pool.get_connection()
    try:
        assert type(connection._parser).__name__ == "_HiredisParser"
    finally:
        redis_client.connection_pool.release(connection)


def test_a_lookup_probed_in_any_order_finds_what_the_sorted_walk_finds(registry, key, fingerprints, monkeypatch):
    """An index with a main run, a delta run and dead entries: the directory's probe (_find.c)
    and the sorted walk it replaced (here numpy's, the extension set aside) return the same pairs."""
    from leakwatch.matchers.match import index as index_module

    cache = IndexCache(registry)
    for n, fp in enumerate(fingerprints[:12]):
        registry.register(f"inst{n:02d}", "d", fp, key_id=key.key_id)
    cache.get()
    for n, fp in enumerate(fingerprints[12:16], start=12):
        registry.register(f"inst{n:02d}", "d", fp, key_id=key.key_id)
    registry.remove("inst02", "d")
    registry.remove("inst13", "d")
    index = cache.get()
    assert len(index.delta.tokens) and index.dead_entries  # both runs and dead entries are looked at
    queries = all_queries(fingerprints)[::-1].copy()        # in no order
    probed = entries_seen(index, queries)
    monkeypatch.setattr(index_module, "_native", None)
    walked = entries_seen(index, queries)
    assert len(probed) > len(queries) // 2 and np.array_equal(probed, walked)
