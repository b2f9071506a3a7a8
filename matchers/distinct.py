"""Distinct values of an integer array, sorted, by sorting it.

numpy 2.4's np.unique finds the distinct values of an integer array with a hash table, then
sorts them. On this project's arrays (keyed tokens, record ids: 10^4 to 10^6 values) that was
10 to 60 times slower than sorting and keeping each value that differs from the one before:
191 ms against 3 ms for 200,000 random int64 values. The scan calls it on every batch.
"""

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """What np.unique(values) gives: the distinct values, sorted, in a flat array."""
    ordered = np.sort(values, axis=None)
    return ordered if len(ordered) < 2 else ordered[changes(ordered)]


def changes(ordered: np.ndarray) -> np.ndarray:
    """Where a run of equal values starts in a sorted array: True at the first value and at
    every value that differs from the one before."""
    starts = np.empty(len(ordered), dtype=bool)
    if len(ordered):
        starts[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return starts
