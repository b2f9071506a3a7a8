"""A process's first repost query when many sightings are stored: it indexes them all first.

    python -m bench.sightings [SIGHTINGS]        # default 10,000: half small dumps, half big

Stores SIGHTINGS sightings (once; a later run with the same count reuses them) in the bench
home's Redis, then times, three times, a new SightingStore's first `similar()`: reading every
stored MinHash and indexing it (see matchers/registry/sightings.py), then the query. Every
`leakwatch scan` process and every crawl pays it once. Prints one JSON line.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out" / "sightings"


def first_query_seconds(store_factory, count: int, runs: int = 3) -> list:
    from leakwatch.matchers.fingerprint import TokenSketch

    probe = TokenSketch()
    probe.update(np.arange(1, 200, dtype=np.uint64) * np.uint64(4))
    times = []
    for _ in range(runs):
        store = store_factory()
        started = time.perf_counter()
        store.similar(probe, "f" * 64)
        times.append(round(time.perf_counter() - started, 3))
        assert len(store._lsh) + len(store._lsh_whole) >= count, "the stored sightings were not all indexed"
    return times


def fill(store, count: int) -> None:
    """`count` sightings of random token sets: odd ones small (sketched whole too), even ones big."""
    from leakwatch.matchers.fingerprint import TokenSketch

    rng = np.random.default_rng(5)
    for i in range(count):
        sketch = TokenSketch()
        sketch.update(rng.integers(0, 2**64 - 1, 300 if i % 2 else 3000, dtype=np.uint64, endpoint=True))
        store.record(name=f"paste-{i}", sha256=f"{i:064x}", rows=10, fmt="csv", matches=[], sketch=sketch)


def main(argv=None) -> None:
    from bench.speed import runtime_for
    from leakwatch.matchers.registry import SightingStore

    count = int((argv or sys.argv[1:] or ["10000"])[0])
    runtime = runtime_for(OUT / "home", namespace=f"bench-sightings-{count}")
    client, namespace = runtime.redis, runtime.settings.namespace
    if len(SightingStore(client, namespace).recent(1)) == 0:
        fill(SightingStore(client, namespace), count)
    times = first_query_seconds(lambda: SightingStore(client, namespace), count)
    print(json.dumps({"sightings": count, "first_query_s": times}))


if __name__ == "__main__":
    main()
