import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from leakwatch.matchers.distinct import distinct, distinct_below


@given(hnp.arrays(st.sampled_from([np.int64, np.uint64, np.uint32, np.uint16]), st.integers(0, 300),
                  elements=st.integers(0, 40)))
def test_distinct_gives_what_np_unique_gives(values):
    found = distinct(values)
    expected = np.unique(values)
    assert found.dtype == expected.dtype
    assert found.tolist() == expected.tolist()


@given(hnp.arrays(st.sampled_from([np.int64, np.uint64]), st.integers(0, 300), elements=st.integers(0, 40)),
       st.booleans())
def test_distinct_by_a_stable_sort_gives_what_np_unique_gives(values, in_runs):
    # The scan's name keys come in runs already sorted: the stable sort's case.
    values = np.sort(values) if in_runs else values
    assert distinct(values, kind="stable").tolist() == np.unique(values).tolist()


def test_distinct_flattens_like_np_unique():
    values = np.array([[3, 1], [3, 2]], dtype=np.int64)
    assert distinct(values).tolist() == [1, 2, 3]
    assert distinct(np.empty(0, np.uint64)).dtype == np.uint64


def test_changes_marks_where_each_run_of_equal_values_starts():
    from leakwatch.matchers.distinct import changes

    assert changes(np.array([1, 1, 2, 5, 5, 5], dtype=np.uint64)).tolist() == [True, False, True, True, False, False]
    assert changes(np.empty(0, np.int64)).tolist() == []


@given(hnp.arrays(np.int64, st.integers(0, 300), elements=st.integers(-3, 60)), st.integers(0, 80))
def test_distinct_below_a_bound_gives_what_np_unique_gives(values, bound):
    # Values out of the bound, negative ones included, are never lost: the array is sorted then.
    found = distinct_below(values, bound)
    assert found.dtype == np.int64
    assert found.tolist() == np.unique(values).tolist()


def test_record_ids_within_their_bound_are_read_off_a_bitmap():
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 240_000, 200_000, dtype=np.int64)
    assert np.array_equal(distinct_below(ids, 240_000), np.unique(ids))
    assert np.array_equal(distinct_below(ids[:10], 240_000), np.unique(ids[:10]))  # far below: sorted
