"""Registering a raw table reads its quote-free lines in C: `Table.parts` leaves them in blocks,
whose cells the tokenizer reads where they lie. The fingerprint is the one the table's rows give,
whatever its delimiter or encoding."""

import numpy as np
import pytest

from leakwatch.matchers.extract import Table
from leakwatch.matchers.extract.readers.spans import CellSpans
from leakwatch.matchers.fingerprint import DeploymentKey, fingerprint_records
from leakwatch.matchers.fingerprint.fingerprinter import PROFILE_ROWS, _batches
from world.synth.labworld import Style, build_world, write_table

KEY = DeploymentKey(bytes(range(32)))
ROWS = 16_000  # about 3 MB: the reader's first 2,000 rows, then blocks of 1 MiB


@pytest.fixture(scope="module")
def patients():
    world = build_world(20_000, seed=11, strangers=2_000)
    people = [p for lab in world.registered(20_000).values() for p in lab]
    return people[:ROWS]


def same_fingerprint(a, b):
    # A batch's tokens come grouped by kind: the same tokens, in another order when the
    # batches are cut elsewhere. The registry sorts them.
    assert a.rows == b.rows and a.fields == b.fields and a.weights == b.weights
    assert np.array_equal(np.sort(a.tokens), np.sort(b.tokens))
    assert np.array_equal(a.flags, b.flags) and np.array_equal(a.minhash, b.minhash)


@pytest.mark.parametrize("style", [
    Style(delimiter=";"),
    Style(delimiter="|", birth_date="iso", headers="en"),  # read as a Markdown table's rows before
    Style(delimiter="\t", encoding="cp1252", phone="dotted"),
], ids=["semicolon", "pipe", "tab-cp1252"])
def test_a_table_read_in_blocks_gives_the_fingerprint_of_its_rows(tmp_path, patients, style):
    path = write_table(tmp_path / "patients.csv", patients, style)
    lines = path.read_bytes().splitlines()
    assert sum(line.startswith(style.delimiter.encode()) for line in lines) > 10  # empty first cells
    table = Table(path)
    parts = list(table.parts())
    blocks = [p for p in parts if not isinstance(p, list)]
    assert len(blocks) >= 2, "the table was read without blocks: nothing here tests them"
    rows = list(Table(path))
    assert len(rows) == ROWS and {len(r) for r in rows} == {len(style.order)}

    same_fingerprint(fingerprint_records(iter(parts), KEY, "t", header=table.header),
                     fingerprint_records(rows, KEY, "t", header=table.header))


def test_blocks_are_tokenized_as_cell_spans_and_parsed_too_for_the_profile_sample(tmp_path, patients):
    path = write_table(tmp_path / "patients.csv", patients, Style(delimiter=";"))
    pairs = list(_batches(Table(path).parts(), native=True))
    assert sum(len(batch) for batch, _ in pairs) == ROWS
    kinds = [type(batch) for batch, _ in pairs]  # the reader's first rows, then its blocks
    assert kinds[0] is list and len(kinds) > 2 and set(kinds[1:]) == {CellSpans}
    given = 0
    for batch, rows in pairs:  # rows as lists until the sample has its PROFILE_ROWS, then none
        assert (rows is not None) == (given < PROFILE_ROWS)
        assert rows is None or rows == list(batch)
        given += len(batch)


def test_a_table_with_every_field_quoted_is_read_in_blocks_too(tmp_path, patients):
    path = write_table(tmp_path / "quoted.csv", patients, Style(delimiter=";", quote_all=True))
    table = Table(path)
    parts = list(table.parts())
    assert sum(not isinstance(p, list) for p in parts) >= 2  # each line ends outside quotes
    same_fingerprint(fingerprint_records(iter(parts), KEY, "t", header=table.header),
                     fingerprint_records(list(Table(path)), KEY, "t", header=table.header))
