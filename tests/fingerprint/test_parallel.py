"""A table tokenized by forked workers gives the fingerprint one process gives, token for token.

Pure functions: no peer needed.
"""

import os

import numpy as np
import pytest

from leakwatch.matchers.fingerprint import DeploymentKey, Tokenizer, fingerprint_records
from leakwatch.matchers.fingerprint import fingerprinter
from leakwatch.matchers.fingerprint import cells as C
from leakwatch.matchers.fingerprint.profile import _commonest_kind, profile_columns

from test_roles_and_weights import lab_rows  # tests/fingerprint is on the path (no package)

KEY = DeploymentKey(bytes(range(32)))


@pytest.fixture
def small_batches(monkeypatch, tmp_path):
    """Many batches from a few thousand rows, and workers from two batches on. Returns the
    folder where each process that tokenized a batch left a file named by its pid."""
    monkeypatch.setattr(fingerprinter, "BATCH_ROWS", 500)
    monkeypatch.setattr(fingerprinter, "PARALLEL_FROM_ROWS", 1000)
    monkeypatch.setitem(_NOTED, "folder", tmp_path)
    monkeypatch.setattr(fingerprinter, "_tokenize_in_worker", _noted)
    return tmp_path


_NOTED = {}
_tokenize_in_worker = fingerprinter._tokenize_in_worker


def _noted(job):
    (_NOTED["folder"] / str(os.getpid())).touch()
    return _tokenize_in_worker(job)


def _same(a, b):
    assert a.rows == b.rows and a.canaries == b.canaries
    assert a.tokens.tobytes() == b.tokens.tobytes()  # token, kind, slot and record id, in order
    assert a.flags.tobytes() == b.flags.tobytes()
    assert a.fields == b.fields and a.weights == b.weights
    assert np.array_equal(a.minhash, b.minhash) and a.cardinality == b.cardinality


def test_workers_give_the_tokens_one_process_gives_in_its_order(small_batches):
    rows = lab_rows(6200, seed=3)
    canaries = lab_rows(12, seed=4)
    one = fingerprint_records(rows, KEY, "patients", canaries)
    two = fingerprint_records(rows, KEY, "patients", canaries, workers=2)
    tokenized_by = {int(path.name) for path in small_batches.iterdir()}
    assert tokenized_by and os.getpid() not in tokenized_by
    assert len(one.tokens) > 6200 and one.tokens["rid"].max() == 6200 + 12 - 1
    _same(one, two)


def test_a_table_read_as_it_goes_is_tokenized_here_the_same(small_batches):
    rows = lab_rows(3000, seed=5)
    _same(fingerprint_records(iter(rows), KEY, "d", workers=2), fingerprint_records(rows, KEY, "d"))
    assert not list(small_batches.iterdir())


def test_ragged_and_odd_rows_too(small_batches):
    rows = [row[: 3 + i % 8] for i, row in enumerate(lab_rows(2600, seed=6))]
    rows[700] = []
    rows[1800] = ["x\x1fy", "\x1e", "1 61 12 75 123 456 78"]
    _same(fingerprint_records(iter(rows), KEY, "d"), fingerprint_records(rows, KEY, "d", workers=3))
    assert list(small_batches.iterdir())


def test_workers_must_be_one_or_more():
    with pytest.raises(ValueError, match="workers"):
        fingerprint_records([["x"]], KEY, "d", workers=0)


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
