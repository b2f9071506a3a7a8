"""read_text's loop in C (_text.c) against read_text itself: the same records and headers."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leakwatch.matchers.extract import ExtractLimits
from leakwatch.matchers.extract.readers import text as text_reader
from leakwatch.matchers.extract.readers.spans import CellSpans
from leakwatch.matchers.extract.readers.text import read_text, text_rows, text_spans

from .test_spans import assert_columns_read_alone


def test_the_c_reader_is_built_by_the_install():
    # Without it every block is read by read_text: the same records, at half the speed. An
    # install that lost it should fail here, not skip the comparisons below.
    assert text_reader._text is not None

SMALL = ExtractLimits(max_line_chars=80, max_cell_chars=60, max_cells=6)

TABLES = (
    "leak of the day\n\n| nom | prenom | date_naissance |\n|---|---|---|\n"
    + "".join(f"| Nom{n} | Jean | 05/12/1961 |\n" for n in range(4))
    + "|x|\n||\n| only\n"
    + "\nnir,nom,date\n" + "".join(f"1610575111042{n:02d},Nom{n},1961-12-05\n" for n in range(4))
    + "a, b, c\nx;y\nx;y;z\n\"a;b\";c;d\nq\tr\ts\n"
    + "a|b|c\n| a | b |\nd|e|f\n"
    + "DUPONT Jean  1961-12-05  06 12 34 56 78\nMARTIN Luc  1970-05-17  06 11 22 33 44\n"
    + "LE GALL Anne  1980-01-02  06 99 88 77 66\nthen prose\n"
    + "+----+----+\n| a  | b  |\n+====+====+\n|  1 | 2  |\n"
    + "crlf;line;here\r\nlone;cr;end\rlast;line;x \u00a0\n\n\n   \n"
)


def reference(text: str, limits: ExtractLimits):
    headers = []
    return list(read_text(io.StringIO(text, newline=""), limits, headers.append)), headers


def native(text: str, limits: ExtractLimits):
    headers = []
    return text_rows(text, limits, headers.append), headers


def test_tables_prose_and_line_ends_read_as_read_text_reads_them():
    assert native(TABLES, ExtractLimits()) == reference(TABLES, ExtractLimits())
    assert native(TABLES, SMALL) == reference(TABLES, SMALL)


def test_a_paste_of_pipe_and_csv_tables_is_read_in_c_without_falling_back(monkeypatch):
    def no_fallback(*args, **kwargs):
        raise AssertionError("read_text was called")

    expected = reference(TABLES, ExtractLimits())
    monkeypatch.setattr(text_reader, "read_text", no_fallback)
    assert native(TABLES, ExtractLimits()) == expected


@pytest.mark.parametrize("odd", ["a\x00b;c;d\n", "\u2502 a \u2502 b \u2502\n", "x" * 70 + ";y\n"])
def test_what_only_read_text_reads_gives_its_records(odd):
    text = TABLES + odd + TABLES
    assert native(text, SMALL) == reference(text, SMALL)


PIECES = list("|;,\t\" -=+:aZ1@\u00e9\u00a0\u2029\r") + ["\n", ", ", "05/12/1961", "06 12 34 56 78", "nom", "\u2502"]
LINE = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, max_size=25), st.sampled_from(["\n", "\r\n", "\r"]))
def test_any_text_reads_as_read_text_reads_it(lines, ending):
    text = ending.join(lines)
    assert native(text, SMALL) == reference(text, SMALL)
    assert native(text, ExtractLimits()) == reference(text, ExtractLimits())


# ---------- the same records as cell spans of the text (spans.py), for the tokenizer ----------

def as_spans(text: str, limits: ExtractLimits):
    headers = []
    found = text_spans(text, limits, headers.append)
    return (None if found is None else list(CellSpans(text, None, None, *found))), headers


def test_tables_and_prose_read_as_spans_are_the_records_of_read_text():
    for limits in (ExtractLimits(), SMALL):
        spans, headers = as_spans(TABLES, limits)
        assert (spans, headers) == reference(TABLES, limits)
    wide = TABLES.replace("Jean", "J€an 😀")  # a str of 4 bytes a character
    assert as_spans(wide, ExtractLimits()) == reference(wide, ExtractLimits())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(PIECES + ["€", "😀", "ı"]), max_size=12).map("".join), max_size=25),
       st.sampled_from(["\n", "\r\n", "\r"]))
def test_any_text_read_as_spans_gives_the_records_of_read_text(lines, ending):
    text = ending.join(lines)
    for limits in (SMALL, ExtractLimits()):
        spans, headers = as_spans(text, limits)
        if spans is not None:  # None: what only read_text reads
            assert (spans, headers) == reference(text, limits)
            # Records Python made (header candidates, quoted lines) among the spans: a column's
            # sample is read from both.
            found = text_spans(text, limits, lambda _: None)
            assert_columns_read_alone(CellSpans(text, None, None, *found), spans)


def test_a_text_block_with_a_record_too_wide_is_left_to_its_records():
    from leakwatch.matchers.extract.readers.text_blocks import TextBlock

    block = TextBlock(b"a;b;c;d;e;f;g;h\n1;2;3;4;5;6;7;8\n\n", "utf-8", "replace", ";", SMALL)
    assert block.spans() is None and max(map(len, block.records())) <= SMALL.max_cells
    fits = TextBlock(b"a;b;c\n1;2;3\n\n", "utf-8", "replace", ";", SMALL)
    assert list(fits.spans()) == fits.records()
