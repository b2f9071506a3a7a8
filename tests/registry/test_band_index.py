"""The sightings' LSH answers what datasketch's MinHashLSH answers with the same bands."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leakwatch.matchers.fingerprint import new_minhash
from leakwatch.matchers.fingerprint.load_datasketch import datasketch
from leakwatch.matchers.registry import band_index
from leakwatch.matchers.registry.band_index import BandIndex, band_keys

NUM_PERM = 128


def family(seed: int, n: int, share: float) -> np.ndarray:
    """n MinHash-like rows derived from one base: each value kept with probability `share`,
    so pairs share whole bands now and then (as near-duplicate dumps do)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**62, NUM_PERM, dtype=np.uint64)
    rows = np.repeat(base[None, :], n, axis=0)
    fresh = rng.random((n, NUM_PERM)) >= share
    rows[fresh] = rng.integers(0, 2**62, int(fresh.sum()), dtype=np.uint64)
    return rows


def datasketch_answers(rows, removed, queries, bands, rows_per_band):
    lsh = datasketch().MinHashLSH(num_perm=NUM_PERM, params=(bands, rows_per_band))
    for i, row in enumerate(rows):
        lsh.insert(f"s{i}", new_minhash(row))
    for i in removed:
        lsh.remove(f"s{i}")
    return [sorted(lsh.query(new_minhash(q))) for q in queries]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), share=st.floats(0.0, 1.0),
       merge_at=st.integers(1, 70), params=st.sampled_from([(64, 2), (32, 4), (128, 1), (9, 13)]),
       removed=st.sets(st.integers(0, 59), max_size=10))
def test_candidates_are_datasketchs(seed, n, share, merge_at, params, removed, monkeypatch_module):
    monkeypatch_module.setattr(band_index, "MERGE_AT", merge_at)
    rows = family(seed, n, share)
    queries = np.concatenate([family(seed, 5, share), rows[:3]])
    removed = sorted(i for i in removed if i < n)
    index = BandIndex(*params)
    half = n // 2
    index.insert_many([f"s{i}" for i in range(half)], rows[:half])  # in bulk, as a refresh does
    for i in range(half, n):
        index.insert(f"s{i}", rows[i])  # one by one, as new sightings are
    for i in removed:
        index.remove(f"s{i}")
    ours = [sorted(index.query(q)) for q in queries]
    assert ours == datasketch_answers(rows, removed, queries, *params)
    assert len(index) == n - len(removed) and all((f"s{i}" in index) == (i not in removed) for i in range(n))


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_equal_bands_give_equal_keys_and_different_ones_differ():
    rows = family(1, 200, 0.5)
    keys = band_keys(rows, 64, 2)
    pairs = rows.reshape(200, 64, 2)
    same_band = (pairs[:, None, :, :] == pairs[None, :, :, :]).all(axis=3)  # (200, 200, 64)
    assert np.array_equal(keys[:, None, :] == keys[None, :, :], same_band)
    assert len(np.unique(keys[0])) == 64  # the same values in two bands give two keys


def test_a_removed_name_can_come_back_and_bad_input_is_refused():
    index = BandIndex(64, 2)
    row = family(2, 1, 1.0)[0]
    index.insert("s1", row)
    with pytest.raises(ValueError):
        index.insert("s1", row)
    with pytest.raises(ValueError):
        index.insert_many(["a", "a"], np.stack([row, row]))
    with pytest.raises(ValueError):
        index.insert("short", row[:100])
    index.remove("s1")
    assert index.query(row) == [] and "s1" not in index
    index.insert("s1", row)
    assert index.query(row) == ["s1"]
    with pytest.raises(KeyError):
        index.remove("never")
