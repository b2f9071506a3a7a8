"""A new process starts from the index snapshot a full load left on disk, then reads only what
changed in the registry since; a snapshot of another history, or a damaged one, is ignored."""

import numpy as np
import pytest

from leakwatch.matchers.match import IndexCache

from index_entries import entries_seen
from test_index_refresh import all_queries, fingerprints, key, pool, registry  # noqa: F401  (fixtures)


def register(registry, key, fps):
    for n, fp in enumerate(fps):
        registry.register(f"inst{n:02d}", "d", fp, key_id=key.key_id)


def full(registry):
    return IndexCache(registry).get()


def test_a_new_process_starts_from_the_snapshot_then_reads_what_changed(registry, key, fingerprints, tmp_path):
    snapshot = tmp_path / "index" / "ns.npz"
    register(registry, key, fingerprints[:10])
    first = IndexCache(registry, snapshot=snapshot)
    first.get()
    assert first.last_refresh == "full" and snapshot.exists()
    assert (snapshot.stat().st_mode & 0o777) == 0o600   # keyed tokens: the owner's only
    queries = all_queries(fingerprints)

    second = IndexCache(registry, snapshot=snapshot)
    index = second.get()
    assert second.last_refresh == "unchanged"           # nothing read from the registry but its version
    assert np.array_equal(entries_seen(index, queries), entries_seen(full(registry), queries))

    register(registry, key, fingerprints[10:14])         # registered after the snapshot was written
    registry.remove("inst03", "d")
    third = IndexCache(registry, snapshot=snapshot)
    index = third.get()
    assert third.last_refresh == "changes"
    assert np.array_equal(entries_seen(index, queries), entries_seen(full(registry), queries))


def test_a_snapshot_of_another_history_or_damaged_is_ignored(registry, key, fingerprints, tmp_path, redis_client,
                                                            namespace):
    snapshot = tmp_path / "ns.npz"
    register(registry, key, fingerprints[:5])
    IndexCache(registry, snapshot=snapshot).get()
    # The registry wiped and filled again: a new history, the snapshot's datasets are gone.
    for pattern in (f"{namespace}:*", f"{{{namespace}}}:*"):
        for stale in redis_client.scan_iter(pattern):
            redis_client.delete(stale)
    register(registry, key, fingerprints[5:8])
    cache = IndexCache(registry, snapshot=snapshot)
    index = cache.get()
    assert cache.last_refresh == "full"
    queries = all_queries(fingerprints)
    assert np.array_equal(entries_seen(index, queries), entries_seen(full(registry), queries))

    for damage in (b"not a zip", snapshot.read_bytes()[: snapshot.stat().st_size // 2]):
        snapshot.write_bytes(damage)
        cache = IndexCache(registry, snapshot=snapshot)
        cache.get()
        assert cache.last_refresh == "full"
        assert IndexCache(registry, snapshot=snapshot).get() is not None  # and a good one is written again


def test_a_snapshot_that_cannot_be_written_costs_only_the_cache(registry, key, fingerprints, tmp_path):
    register(registry, key, fingerprints[:3])
    blocked = tmp_path / "file"
    blocked.write_text("")
    cache = IndexCache(registry, snapshot=blocked / "ns.npz")   # its directory is a file
    assert len(cache.get()) > 0 and cache.last_refresh == "full"
