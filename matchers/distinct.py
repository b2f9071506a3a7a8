"""Distinct values of an integer array, sorted, by sorting it.

numpy 2.4's np.unique finds the distinct values of an integer array with a hash table, then
sorts them. On this project's arrays (keyed tokens, record ids: 10^4 to 10^6 values) that was
10 to 60 times slower than sorting and keeping each value that differs from the one before:
191 ms against 3 ms for 200,000 random int64 values. The scan calls it on every batch.

Record ids have a known bound (the registry's records): `distinct_below` marks them in a bitmap
instead of sorting them when the bound is within a few times their number.
"""

import numpy as np

BITMAP_SPAN = 8  # distinct_below reads a bitmap up to this many times as long as its values


def distinct(values: np.ndarray, kind: str = "quicksort") -> np.ndarray:
    """What np.unique(values) gives: the distinct values, sorted, in a flat array.

    kind: numpy's sort; "stable" (timsort) for values in runs already sorted, which it merges
    at once where quicksort sorts them again (five times faster on a scan's name keys)."""
    ordered = np.sort(values, axis=None, kind=kind)
    return ordered if len(ordered) < 2 else ordered[changes(ordered)]


def changes(ordered: np.ndarray) -> np.ndarray:
    """Where a run of equal values starts in a sorted array: True at the first value and at
    every value that differs from the one before."""
    starts = np.empty(len(ordered), dtype=bool)
    if len(ordered):
        starts[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return starts


def distinct_below(values: np.ndarray, bound: int) -> np.ndarray:
    """distinct(values) for int64 values in [0, bound): read off a bitmap of the bound when it is
    at most BITMAP_SPAN times the values (the record ids a big dump confirms: 6 ms a sort of
    200,000 against 1 ms), else sorted. A value out of the bound makes it sort."""
    values = np.asarray(values).ravel()
    if len(values) and values.dtype == np.int64 and bound <= BITMAP_SPAN * len(values) \
            and int(values.min()) >= 0 and int(values.max()) < bound:
        seen = np.zeros(bound, dtype=bool)
        seen[values] = True
        return np.flatnonzero(seen)
    return distinct(values)

