"""Free text in blocks ending at blank lines: read anywhere, the blocks give exactly the records of the whole stream."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leakwatch.matchers.extract import ExtractLimits, open_documents
from leakwatch.matchers.extract.notes import split_wide
from leakwatch.matchers.extract.readers.blocks import RawBlock
from leakwatch.matchers.extract.readers.text import read_text
from leakwatch.matchers.extract.readers.text_blocks import TextBlock, read_text_blocks

# Small limits and blocks, so that short inputs cross every boundary: block ends, long lines
# read in windows, wide rows split, and the give-up point where the rest is read line by line.
LIMITS = ExtractLimits(max_line_chars=80, max_cell_chars=60, max_cells=6)
BLOCK = 64
FIRST = 3


def split(row, limits=LIMITS):
    """A record as the document gives it out: a wide one split, never cut (document.py)."""
    return split_wide(row, limits.max_cells) if len(row) > limits.max_cells else [row]


def whole(data: bytes, encoding="utf-8", limits=LIMITS):
    headers = []
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    return [part for row in read_text(text, limits, headers.append) for part in split(row, limits)], headers


def in_blocks(data: bytes, encoding="utf-8", limits=LIMITS, block=BLOCK):
    """The records, each block read on its own; how many blocks there were; the headers seen here."""
    records, blocks, headers = [], 0, []
    for item in read_text_blocks(io.BytesIO(data), encoding, "replace", limits, headers.append, block, FIRST):
        if isinstance(item, TextBlock):
            blocks += 1
            records.extend(item.records())
        else:
            records.extend(split(item, limits))
    return records, blocks, headers


PASTE = (
    "fresh leak, 490k patients\r\nsample below\n\n"
    "| nom | prenom | date_naissance | telephone |\n|---|---|---|---|\n"
    + "".join(f"| Nom{n} | Jean | 05/12/1961 | 06 10 01 20 {n % 100:02d} |\n" for n in range(5))
    + " \t\r\n"
    + "".join(f"nom{n};prenom;05/12/1961;0610012046\n" for n in range(5))
    + "\n\nDupont    Jean    05/12/1961\nMartin    Anne    06/01/1970\n\n"
    + "contact me on the forum\n" * 5 + "\n"
) * 6


def test_a_paste_is_given_out_in_blocks_that_read_as_the_whole_stream():
    data = PASTE.encode()
    records, blocks, headers = in_blocks(data)
    expected, expected_headers = whole(data)
    assert blocks >= 2
    assert records == expected
    assert headers == expected_headers[: len(headers)]  # headers past the first records are read by workers


def test_a_text_without_blank_lines_is_read_line_by_line_here():
    data = "".join(f"line {n} without a blank one after it\n" for n in range(200)).encode()
    records, blocks, _ = in_blocks(data)
    assert blocks == 0 and records == whole(data)[0]


def test_text_blocks_are_raw_blocks_to_the_document_so_it_counts_their_records_where_read():
    data = (PASTE * 100).encode()
    # A source of its own at depth 0, in blocks: the document hands the blocks on uncounted.
    docs = open_documents(io.BytesIO(data), name="paste.txt", blocks=True)
    doc = next(docs)
    items = list(doc.records())
    assert doc.format == "text" and any(isinstance(item, RawBlock) for item in items)
    rows_here = sum(1 for item in items if not isinstance(item, RawBlock))
    assert doc.rows == rows_here
    read = [r for item in items for r in (item.records() if isinstance(item, RawBlock) else [item])]
    plain_docs = open_documents(io.BytesIO(data), name="paste.txt")
    plain = list(next(plain_docs).records())
    assert read == plain


_PIECES = st.sampled_from([
    "\n", "\r\n", "\r", " \t\n", "\n\n", "|", "| a | b |", "|---|---|", ";", "\t", ",", ", ", '"', "x;y;z",
    "Dupont    Jean    05/12/1961", "+----+----+", "nom;prenom;date", "é", "\x00", "a" * 90, "\u00a0",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=60).map("".join), st.sampled_from(["utf-8", "latin-1"]),
       st.integers(min_value=8, max_value=200))
def test_any_text_read_in_blocks_gives_the_records_of_the_whole_stream(text, encoding, block):
    data = text.encode(encoding, errors="replace")
    assert in_blocks(data, encoding, block=block)[0] == whole(data, encoding)[0]
