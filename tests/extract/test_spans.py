"""A block's records as cell spans (readers/spans.py, cut in C) are the records `RawBlock.records`
reads, or the block is left to it."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leakwatch.matchers.extract import ExtractLimits
from leakwatch.matchers.extract.encoding import UTF8_FALLBACK
from leakwatch.matchers.extract.readers.blocks import RawBlock
from leakwatch.matchers.extract.readers.spans import CellSpans, _spans
from leakwatch.matchers.extract.readers.text_blocks import TextBlock

LIMITS = ExtractLimits(max_line_chars=80, max_cell_chars=60, max_cells=6)
ERRORS = {"utf-8": UTF8_FALLBACK, "cp1252": "replace", "latin-1": "replace"}


def block(data: bytes, encoding="utf-8", delimiter=";", limits=LIMITS) -> RawBlock:
    return RawBlock(data, encoding, ERRORS[encoding], delimiter, limits)


def test_the_splitter_is_built_by_the_install():
    assert _spans is not None


def test_plain_lines_are_cut_into_the_records_python_reads():
    raw = block("1;Hélène;05/12/1961\r\n\r\n2;;x;y\n3\n".encode())
    spans = raw.spans()
    assert isinstance(spans, CellSpans)
    assert list(spans) == raw.records() == [["1", "Hélène", "05/12/1961"], ["2", "", "x", "y"], ["3"]]
    assert len(spans) == 3 and spans[-1] == ["3"] and spans[1:] == raw.records()[1:]
    assert spans.widths(2) == {3, 4} and spans.widths(100) == {1, 3, 4} and spans.width == 4


def test_a_block_python_reads_otherwise_is_left_to_it():
    assert block(b"1;a\x00b;c\n").spans() is None                     # NULs are removed, not cells
    assert block(b"1;a\r2;b\n").spans() is None                       # a lone CR ends a record for csv
    assert block(b"1;" + b"x" * 58 + b"\n").spans() is None          # a field near the csv limit
    assert block(b"1;2;3;4;5;6;7\n").spans() is None                  # wider than max_cells: split
    assert block("1¤2\n".encode("latin-1"), "latin-1", "¤").spans() is None  # a delimiter beyond ASCII
    text = TextBlock(b"a b c\n", "utf-8", "replace", ";", LIMITS)  # free text: spans of its str, not its bytes
    assert isinstance(text.spans().data, str) and list(text.spans()) == text.records()
    # Bytes over the limit may still be fewer characters: Python reads it.
    raw = block(("1;" + "é" * 40 + "\n").encode())
    assert raw.spans() is None and raw.records() == [["1", "é" * 40]]


_PIECES = ["a", "Zoé", "é", ";", ",", "\n", "\r\n", "\r", " ", "\x00", "\u00a0", "٣", "x" * 30, "y" * 70, "€"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(st.sampled_from(_PIECES), max_size=200).map("".join),
       junk=st.lists(st.sampled_from([b"\xc3", b"\xe9", b"\x80", b"\xff", b"\xf0\x9f"]), max_size=3),
       encoding=st.sampled_from(["utf-8", "cp1252", "latin-1"]), delimiter=st.sampled_from([";", ","]))
def test_any_block_gives_the_records_python_reads_or_is_left_to_it(text, junk, encoding, delimiter):
    data = text.encode(encoding, errors="replace")
    for n, bad in enumerate(junk):  # bytes that do not decode: each cell decodes them as the whole block does
        at = (len(data) * (n + 1)) // (len(junk) + 1)
        data = data[:at] + bad + data[at:]
    raw = block(data, encoding, delimiter)
    spans = raw.spans()
    if spans is not None:
        records = raw.records()
        assert list(spans) == records
        assert spans.widths(5) == {len(r) for r in records[:5]}
        assert spans.width == max(map(len, records), default=0)
        assert_columns_read_alone(spans, records)
    elif b"\x00" not in data and data.count(b"\r") == data.count(b"\r\n"):
        # Only a line near the limits, or too wide a record, is left to Python then.
        assert max(map(len, data.split(b"\n"))) > 58 or any(
            line.count(delimiter.encode()) >= LIMITS.max_cells for line in data.split(b"\n"))


def assert_columns_read_alone(spans: CellSpans, records: list) -> None:
    """`CellSpans.column` (a column's sample, decoded alone) is the sample taken from whole records."""
    for j in range(max(map(len, records), default=0) + 1):
        for first, wanted in ((3, 2), (100, 64)):
            whole = [v for v in [r[j] for r in records[:first] if j < len(r)] if v][:wanted]
            assert spans.column(j, first, wanted) == whole


_QUOTED = ['"', '""', 'a', 'é', ';', ',', ' ', '\n', '\r\n', 'x' * 20]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(st.sampled_from(_QUOTED), max_size=120).map("".join),
       encoding=st.sampled_from(["utf-8", "cp1252"]), delimiter=st.sampled_from([";", ","]))
def test_quoted_fields_give_the_records_the_csv_module_reads_or_the_block_is_left_to_it(text, encoding, delimiter):
    data = text.encode(encoding)
    raw = block(data, encoding, delimiter)
    spans = raw.spans()
    lines = data.split(b"\n")
    if spans is not None:
        records = raw.records()
        assert list(spans) == records
        assert spans.width == max(map(len, records), default=0)
        assert_columns_read_alone(spans, records)
    elif max(map(len, lines)) <= 58 and all(line.count(delimiter.encode()) < LIMITS.max_cells for line in lines):
        # Left to Python only where a quoted field runs on past its line.
        assert not _spans.closed(data, delimiter, 58)


def test_quoted_cells_are_spans_and_records_with_escaped_quotes_are_made_by_the_csv_module():
    raw = block(b'"1";"Dupont";"";x\n2;"Le ""Bon"" Coin";"a;b"\n3;"ab"c;d\n')
    spans = raw.spans()
    assert spans.made == [None, ['2', 'Le "Bon" Coin', 'a;b'], ['3', 'abc', 'd']]
    assert list(spans) == raw.records() == [["1", "Dupont", "", "x"], ["2", 'Le "Bon" Coin', "a;b"], ["3", "abc", "d"]]
    assert block(b'1;"a note\nover two lines"\n').spans() is None
    assert _spans.closed(b'1;"a"\n2;b"c\n', ";", 58) and not _spans.closed(b'1;"a\n', ";", 58)
