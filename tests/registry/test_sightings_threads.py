"""One SightingStore shared by the scans of a process's crawls, each in its own thread.

A crawl of several sources scans their items in threads with one store: a sighting one
thread records is read back from Redis by another thread's refresh before the first has
indexed it. It was then indexed twice and the scan failed ("already indexed"), leaving a
newly published item unscanned until a later run.
"""

import threading

import numpy as np

from leakwatch.matchers.fingerprint import TokenSketch
from leakwatch.matchers.registry import SightingStore

THREADS = 4
EACH = 60


def small_sketch(rng) -> TokenSketch:
    sketch = TokenSketch()
    sketch.update(rng.integers(0, 2**64 - 1, 200, dtype=np.uint64, endpoint=True))
    return sketch


def test_threads_sharing_a_store_index_each_sighting_once_and_link_reposts(redis_client, namespace):
    store = SightingStore(redis_client, namespace)
    other_process = SightingStore(redis_client, namespace)
    failures, recorded = [], []
    start = threading.Barrier(THREADS + 1)

    def scan(seed, into):
        rng = np.random.default_rng(seed)
        start.wait()
        try:
            for n in range(EACH):
                into.append(store.record(name=f"t{seed}-{n}", sha256=f"{seed:032x}{n:032x}", rows=1, fmt="csv",
                                         matches=[], sketch=small_sketch(rng)))
        except Exception as exc:  # noqa: BLE001 - reported below, with the thread's number
            failures.append((seed, repr(exc)))

    def other(into):
        rng = np.random.default_rng(99)
        start.wait()
        for n in range(EACH):
            into.append(other_process.record(name=f"o-{n}", sha256=f"{99:032x}{n:032x}", rows=1, fmt="csv",
                                             matches=[], sketch=small_sketch(rng)))

    threads = [threading.Thread(target=scan, args=(seed, recorded)) for seed in range(THREADS)]
    threads.append(threading.Thread(target=other, args=(recorded,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert len(recorded) == (THREADS + 1) * EACH

    # Every sighting, this process's own and the other's, is in the index once and is found again.
    rng = np.random.default_rng(2)
    store.similar(small_sketch(rng), "f" * 64)  # a query refreshes from Redis
    assert len(store._lsh_whole) == (THREADS + 1) * EACH
    repost = TokenSketch()
    repost.update(np.random.default_rng(1).integers(0, 2**64 - 1, 200, dtype=np.uint64, endpoint=True))
    assert [s["name"] for s in store.similar(repost, "e" * 64)] == ["t1-0"]
