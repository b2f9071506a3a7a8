"""bench.sightings times a new process's first repost query and checks every sighting was indexed."""

import numpy as np

from bench.sightings import fill, first_query_seconds
from leakwatch.matchers.fingerprint import TokenSketch
from leakwatch.matchers.registry import SightingStore


def test_every_stored_sighting_is_indexed_before_the_first_query(redis_client, namespace):
    fill(SightingStore(redis_client, namespace), 60)
    times = first_query_seconds(lambda: SightingStore(redis_client, namespace), 60, runs=2)
    assert len(times) == 2 and all(t > 0 for t in times)
    probe = TokenSketch()
    probe.update(np.arange(1, 200, dtype=np.uint64) * np.uint64(4))
    store = SightingStore(redis_client, namespace)
    store.similar(probe, "f" * 64)
    assert len(store._lsh) == 60 and len(store._lsh_whole) == 30  # the 30 small ones are in both
