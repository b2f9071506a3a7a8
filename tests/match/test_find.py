"""The index lookup in C (_find.c) against its numpy reference: sorted queries (find), and
queries in any order through the tokens' directory (probe)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leakwatch.matchers.match import index as index_module
from leakwatch.matchers.match.index import _directory, _find, _find_numpy, _probe


def test_the_extension_is_built():
    # The Makefile builds it (pip install -e .): without it, scans run the slower numpy path.
    assert index_module._native is not None


def _same(tokens, ordered):
    expected = _find_numpy(tokens, ordered)
    found = _find(tokens, ordered)
    assert [a.tolist() for a in found] == [a.tolist() for a in expected]
    return found


# Small value ranges make repeated tokens and repeated queries common.
values = st.integers(min_value=0, max_value=2**64 - 1) | st.integers(min_value=0, max_value=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=200), st.lists(values, max_size=200))
def test_every_equal_pair_as_numpy_finds_it(tokens, queries):
    _same(np.sort(np.array(tokens, dtype=np.uint64)), np.sort(np.array(queries, dtype=np.uint64)))


def test_a_large_index_with_repeated_tokens_and_far_apart_queries():
    rng = np.random.default_rng(3)
    tokens = rng.integers(0, 2**63, 200_000, dtype=np.uint64) * np.uint64(2)
    tokens = np.sort(np.concatenate([tokens, tokens[::97], tokens[::1001]]))
    queries = np.concatenate([tokens[::13], rng.integers(0, 2**63, 50_000, dtype=np.uint64), tokens[-3:],
                              np.array([0, 2**64 - 1], dtype=np.uint64)])
    hits, entries = _same(tokens, np.sort(queries))
    assert len(hits) > 200_000 // 13  # the repeats give more than one entry per query
    assert np.array_equal(tokens[entries], np.sort(queries)[hits])


def test_other_arrays_are_refused_by_the_extension_not_misread():
    native = index_module._native
    with pytest.raises(TypeError, match="uint64"):
        native.find(np.arange(4, dtype=np.int32), np.arange(4, dtype=np.uint64))
    with pytest.raises(TypeError, match="uint64"):
        native.find(np.arange(4, dtype=np.uint64), np.arange(4, dtype=np.float64))
    # Through _find, a signed or strided array takes the numpy path or a contiguous copy.
    tokens = np.arange(0, 40, 2, dtype=np.uint64)
    _same(tokens[::2], np.arange(10, dtype=np.uint64))
    _same(tokens.astype(np.int64), np.arange(10, dtype=np.int64))


def _probed_as_found(tokens, queries):
    """probe's pairs for `queries` as they come are find's for them sorted, by query then entry."""
    order = np.argsort(queries, kind="stable")
    hits, entries = _find_numpy(tokens, queries[order])
    expected = sorted(zip(order[hits].tolist(), entries.tolist()))
    probed_hits, probed_entries = _probe(tokens, _directory(tokens), queries)
    assert list(zip(probed_hits.tolist(), probed_entries.tolist())) == expected
    return probed_hits, probed_entries


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=200), st.lists(values, max_size=200))
def test_queries_in_any_order_find_every_equal_pair(tokens, queries):
    _probed_as_found(np.sort(np.array(tokens, dtype=np.uint64)), np.array(queries, dtype=np.uint64))


def test_a_large_index_probed_with_queries_in_any_order():
    rng = np.random.default_rng(5)
    tokens = rng.integers(0, 2**64, 300_000, dtype=np.uint64, endpoint=False)
    # A token a thousand records share (a crowded bucket), the extremes, and tokens in one bucket.
    tokens = np.sort(np.concatenate([tokens, np.repeat(tokens[:1], 1000), np.array([0, 0, 2**64 - 1], np.uint64),
                                     np.arange(5000, dtype=np.uint64)]))
    queries = np.concatenate([rng.choice(tokens, 40_000), rng.integers(0, 2**64, 7_000, dtype=np.uint64),
                              np.array([0, 2**64 - 1, 4999, 5000], np.uint64)])
    rng.shuffle(queries)
    hits, entries = _probed_as_found(tokens, queries)
    assert len(hits) > 40_000 and np.array_equal(tokens[entries], queries[hits])


def test_the_directory_says_where_each_value_of_the_top_bits_starts():
    tokens = np.array([0, 1, 2**62, 2**63, 2**63 + 5, 2**64 - 1], dtype=np.uint64)
    assert np.frombuffer(index_module._native.directory(tokens, 2), np.int64).tolist() == [0, 2, 3, 5, 6]
    assert _directory(np.empty(0, np.uint64)) is None
    with pytest.raises(ValueError):
        index_module._native.directory(tokens, 0)
    # A directory made for other tokens is refused, not read past the tokens' end.
    bits, table = _directory(tokens)
    with pytest.raises(ValueError, match="directory"):
        index_module._native.probe(tokens[:3], table, bits, tokens)
    with pytest.raises(ValueError, match="directory"):
        index_module._native.probe(tokens, table[:-8], bits, tokens)
