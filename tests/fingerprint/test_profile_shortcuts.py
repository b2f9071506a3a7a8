"""The column profile's shortcuts: each distinct value classified once, the count stopped once
the commonest kind is settled, and short rows; the same decisions as classifying every cell.

Pure functions: no peer needed.
"""

import pytest

from leakwatch.matchers.fingerprint import DeploymentKey, Tokenizer
from leakwatch.matchers.fingerprint import cells as C
from leakwatch.matchers.fingerprint.profile import _commonest_kind, profile_columns

from test_roles_and_weights import lab_rows  # tests/fingerprint is on the path (no package)

KEY = DeploymentKey(bytes(range(32)))


def _every_cell(column, classify):
    """The commonest kind as the profile once decided it: every cell classified."""
    kinds = [classify(value).kind for value in column]
    counts = {}
    for kind in kinds:
        if kind != C.OTHER:
            counts[kind] = counts.get(kind, 0) + 1
    return max(counts, key=counts.get) if counts else C.OTHER  # the first seen of the commonest


@pytest.mark.parametrize("column", [
    ["Dupont", "Martin", "2020-01-03", "2020-01-04"],                      # a tie: the first kind seen
    ["2020-01-03", "Dupont", "Martin", "2020-01-04"],
    ["", "", "Dupont", "", "1961-12-05", "x@y.fr", "x@y.fr"],
    ["06 10 01 20 46"] * 3 + ["1961-12-05"] * 3 + ["Durand"],
    [f"0610012{n:03d}" for n in range(50)] + ["Durand"] * 49,             # decided before the end
    [f"{n} rue des Lilas" for n in range(80)] + ["1961-12-05"] * 79,
    ["", " ", ""],
], ids=str)
def test_the_commonest_kind_is_the_one_classifying_every_cell_gives(column):
    from collections import Counter

    classify = Tokenizer(KEY.hasher()).classify
    assert _commonest_kind(Counter(column), classify)[0] == _every_cell(column, classify)


def test_a_short_row_leaves_the_columns_of_the_others_aligned():
    rows = lab_rows(400, seed=9)
    ragged = [row if i % 50 else row[:4] for i, row in enumerate(rows)]
    tokenizer = Tokenizer(KEY.hasher())
    assert profile_columns(ragged, tokenizer).labels == profile_columns(rows, tokenizer).labels
