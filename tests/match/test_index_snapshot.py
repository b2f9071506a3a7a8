"""A new process starts from the index snapshot a full load left on disk, then reads only what
changed in the registry since; a snapshot of another history, or a damaged one, is ignored."""

import mmap
import multiprocessing

import numpy as np
import pytest

from leakwatch.matchers.match import IndexCache
from leakwatch.matchers.match.snapshot import load_index

from index_entries import entries_seen
from test_index_refresh import all_queries, fingerprints, key, pool, registry  # noqa: F401  (fixtures)


def register(registry, key, fps):
    for n, fp in enumerate(fps):
        registry.register(f"inst{n:02d}", "d", fp, key_id=key.key_id)


def full(registry):
    return IndexCache(registry).get()


def test_a_new_process_starts_from_the_snapshot_then_reads_what_changed(registry, key, fingerprints, tmp_path):
    snapshot = tmp_path / "index" / "ns.index"
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
    snapshot = tmp_path / "ns.index"
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

    good = snapshot.read_bytes()
    for damage in (b"not a snapshot", good[: len(good) // 2], good[:30],
                   good.replace(b'"<u8"', b'"<i8"', 1),           # tokens said to be signed
                   good.replace(b'"|u1"', b'"|O"', 1)):            # objects: never read from a file
        assert damage != good
        snapshot.write_bytes(damage)
        cache = IndexCache(registry, snapshot=snapshot)
        cache.get()
        assert cache.last_refresh == "full"
        assert IndexCache(registry, snapshot=snapshot).get() is not None  # and a good one is written again


def test_a_snapshot_that_cannot_be_written_costs_only_the_cache(registry, key, fingerprints, tmp_path):
    register(registry, key, fingerprints[:3])
    blocked = tmp_path / "file"
    blocked.write_text("")
    cache = IndexCache(registry, snapshot=blocked / "ns.index")   # its directory is a file
    assert len(cache.get()) > 0 and cache.last_refresh == "full"


def test_a_snapshot_is_mapped_not_copied_and_its_file_is_never_written_through(registry, key, fingerprints, tmp_path):
    snapshot = tmp_path / "ns.index"
    register(registry, key, fingerprints[:4])
    IndexCache(registry, snapshot=snapshot).get()
    before = snapshot.read_bytes()
    header, arrays = load_index(snapshot)
    tokens = arrays["tokens"]
    assert isinstance(tokens.base.obj, mmap.mmap) and len(tokens) > 0  # the page cache's pages, no copy
    assert np.all(tokens[1:] >= tokens[:-1])
    tokens[:] = 0            # copy-on-write: a process's change stays in its own memory
    assert snapshot.read_bytes() == before
    assert IndexCache(registry, snapshot=snapshot).get() is not None


def big_csv(pool, path, size=3 << 20):
    """The pool's rows over and over, past `size` bytes: a file a scan's workers read in blocks."""
    header, rows = ",".join(pool[0]), "".join(",".join(row) + "\n" for row in pool[1:])
    path.write_text(header + "\n" + rows * (-(-size // len(rows))))
    return path


def scan_of(cache, key, path, opened=None):
    from leakwatch.matchers.fingerprint import Tokenizer
    from leakwatch.matchers.match import DumpScanner

    def open_stores():
        opened.append(len(multiprocessing.active_children()))  # the workers running meanwhile

    scanner = DumpScanner(cache, Tokenizer(key.hasher()), sightings=None, workers=2, parallel_from_bytes=0,
                          open_stores=open_stores if opened is not None else None)
    return scanner.scan_path(path, record=False)


def test_a_big_file_is_scanned_from_the_snapshot_while_the_store_is_opened(registry, key, fingerprints, pool,
                                                                          tmp_path):
    snapshot = tmp_path / "ns.index"
    register(registry, key, fingerprints[:8])
    IndexCache(registry, snapshot=snapshot).get()
    big = big_csv(pool, tmp_path / "big.csv")

    opened, cache = [], IndexCache(registry, snapshot=snapshot)
    report = scan_of(cache, key, big, opened)
    assert opened == [2]                       # the store opened once, while both workers scanned
    assert cache.last_refresh == "unchanged"   # asked afterwards: the snapshot was the registry
    expected = scan_of(IndexCache(registry), key, big)
    assert report.matches == expected.matches and report.rows == expected.rows and not report.errors
    assert {m["institution"] for m in report.matches} == {f"inst{n:02d}" for n in range(8)}


def test_a_big_file_scanned_from_a_snapshot_older_than_the_registry_is_scanned_again(registry, key, fingerprints,
                                                                                     pool, tmp_path):
    snapshot = tmp_path / "ns.index"
    register(registry, key, fingerprints[:8])
    IndexCache(registry, snapshot=snapshot).get()
    register(registry, key, fingerprints[:12])   # inst08-inst11 registered after the snapshot was written
    registry.remove("inst03", "d")
    big = big_csv(pool, tmp_path / "big.csv")

    opened, cache = [], IndexCache(registry, snapshot=snapshot)
    report = scan_of(cache, key, big, opened)
    expected = scan_of(IndexCache(registry), key, big)
    assert report.matches == expected.matches and report.rows == expected.rows
    assert {m["institution"] for m in report.matches} == {f"inst{n:02d}" for n in range(12)} - {"inst03"}
    assert opened == [2]                       # the first pass only: the second asks the registry first

    # The snapshot now holds the registry as it is: the next process starts from it and stays.
    following = IndexCache(registry, snapshot=snapshot)
    following.get()
    assert following.last_refresh == "unchanged"
    queries = all_queries(fingerprints)
    assert np.array_equal(entries_seen(following.get(), queries), entries_seen(full(registry), queries))
