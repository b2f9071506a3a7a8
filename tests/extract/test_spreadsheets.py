"""Workbooks (xlsx, ods, xls) are read as sheets with their cell types, under the extract limits."""

import datetime
import gzip
import io
import zipfile

import pytest

from leakwatch.matchers.extract import ExtractLimits, open_documents
from leakwatch.matchers.extract.readers.spreadsheet import cell_text

from .conftest import NonSeekable, only, read_all
from .test_archives import sevenzip_bytes, tar_bytes, zip_bytes
from .workbooks import column_letters, ods_bytes, xls_bytes, xlsx_bytes

HEADER = ["nom", "ddn", "tel", "nir", "taux", "actif", "vu le"]
ROWS = [
    HEADER,
    ["Dupont", datetime.date(1961, 12, 5), 612345678, 161127511104237, 1.5, True, datetime.datetime(2024, 1, 2, 10, 30)],
    [None] * 7,  # an empty row: skipped, as a blank line of a CSV is
    ["Martin", datetime.date(1970, 5, 17), "0611223344", None, 0.1 + 0.2, False, datetime.datetime(2024, 1, 3)],
]
RECORDS = [
    # a date cell gives an ISO date; a phone or NIR typed as a number gives its digits, not
    # "612345678.0" or "1.61127511104237E+14"; a float as Excel shows it
    ["Dupont", "1961-12-05", "612345678", "161127511104237", "1.5", "true", "2024-01-02 10:30:00"],
    ["Martin", "1970-05-17", "0611223344", "", "0.3", "false", "2024-01-03"],
]


@pytest.mark.parametrize("make, kind", [(xlsx_bytes, "xlsx"), (ods_bytes, "ods"), (xls_bytes, "xls")])
def test_a_workbook_gives_each_sheet_with_data_as_a_table_with_typed_cells(make, kind):
    data = make({"Patients": ROWS, "Vide": [], "Visites": [["Dupont", datetime.date(2024, 1, 2)]]})
    docs = read_all(data, name=f"export.{kind}")
    assert [d["name"] for d in docs] == [f"export.{kind}!Patients", f"export.{kind}!Visites"]
    patients, visits = docs
    assert patients["format"] == kind and patients["error"] is None
    assert patients["header"] == HEADER
    assert patients["records"] == RECORDS
    assert patients["rows"] == 2
    assert visits["header"] is None  # no header row: the first row is data
    assert visits["records"] == [["Dupont", "2024-01-02"]]


@pytest.mark.parametrize("make, kind", [(xlsx_bytes, "xlsx"), (ods_bytes, "ods")])
def test_a_header_row_is_one_when_a_cell_far_right_makes_the_sheet_wider(make, kind):
    # A stray note beyond the table: every row comes padded to the sheet's width.
    rows = [HEADER, *ROWS[1:], [None] * 9 + ["vérifié"]]
    doc = only(read_all(make({"Patients": rows}), name=f"export.{kind}"))
    assert doc["header"] == HEADER + ["", "", ""]
    assert doc["records"][:2] == [r + ["", "", ""] for r in RECORDS]


def test_the_name_of_a_workbook_does_not_matter_its_parts_do():
    doc = only(read_all(NonSeekable(xlsx_bytes({"Feuil1": ROWS})), name="download.bin"))
    assert doc["format"] == "xlsx" and doc["name"] == "download.bin!Feuil1"
    assert doc["records"] == RECORDS


def test_hidden_sheets_are_read_too():
    data = xlsx_bytes({"Visible": [["a@x.fr", 1]], "Cachée": [["b@y.fr", 2]]}, hidden=("Cachée",))
    assert [d["records"] for d in read_all(data)] == [[["a@x.fr", "1"]], [["b@y.fr", "2"]]]


@pytest.mark.parametrize("value, text", [
    (612345678.0, "612345678"), (161127511104237.0, "161127511104237"), (-3.0, "-3"), (1e20, "1e+20"),
    (0.30000000000000004, "0.3"), (12, "12"), (True, "true"), (None, ""),
    (datetime.datetime(1961, 12, 5), "1961-12-05"), (datetime.datetime(1961, 12, 5, 8, 15), "1961-12-05 08:15:00"),
    (datetime.date(1961, 12, 5), "1961-12-05"), (datetime.time(8, 15), "08:15:00"),
])
def test_cell_values_as_text(value, text):
    assert cell_text(value) == text


def _wrapped(kind: str, book: bytes) -> bytes:
    members = {"notes.txt": b"jean@x.fr:hunter2\nluc@y.fr:azerty\n", "book.xlsx": book, "z.csv": b"a;b\n1;2\n"}
    if kind == "zip":
        return zip_bytes(members)
    if kind == "tar.gz":
        return gzip.compress(tar_bytes(members))
    return sevenzip_bytes(members)


@pytest.mark.parametrize("kind", ["zip", "tar.gz", "7z"])
def test_a_workbook_inside_an_archive_is_read_the_same_way(kind):
    docs = read_all(_wrapped(kind, xlsx_bytes({"Patients": ROWS})), name=f"leak.{kind}")
    assert docs[0]["name"].endswith("!notes.txt") and docs[-1]["name"].endswith("!z.csv")
    (book,) = [d for d in docs if d["format"] == "xlsx"]
    assert book["name"].endswith("book.xlsx!Patients")
    assert book["header"] == HEADER and book["records"] == RECORDS


def test_an_ordinary_zip_of_csvs_is_not_a_workbook():
    # even with parts named like a workbook's, a zip without a workbook's own parts is an archive
    data = zip_bytes({"xl/export.csv": b"email;nom\njean@x.fr;Dupont\n", "content.xml": b"<a/>",
                      "b.csv": b"email;nom\nluc@y.fr;Martin\n"})
    docs = read_all(data, name="exports.zip")
    assert [d["name"] for d in docs] == ["exports.zip!xl/export.csv", "exports.zip!content.xml", "exports.zip!b.csv"]
    assert [d["format"] for d in docs] == ["csv", "text", "csv"]


def test_a_corrupt_sheet_is_an_error_and_the_other_sheets_and_members_are_read():
    book = xlsx_bytes({"Bonne": [["a@x.fr"]], "Cassée": [["x"]], "Fin": [["c@z.fr"]]},
                      raw_sheets={2: "<worksheet><sheetData><row><c r='A1'><v>1</v></c></row><row><c r"})
    docs = read_all(zip_bytes({"book.xlsx": book, "next.csv": b"a;b\n1;2\n"}), name="leak.zip")
    assert [d["name"] for d in docs] == ["leak.zip!book.xlsx!Bonne", "leak.zip!book.xlsx!Cassée",
                                         "leak.zip!book.xlsx!Fin", "leak.zip!next.csv"]
    assert docs[0]["records"] == [["a@x.fr"]]
    broken = docs[1]
    assert broken["format"] == "error" and "corrupt or unsupported spreadsheet" in str(broken["error"])
    assert docs[2]["records"] == [["c@z.fr"]]
    assert docs[3]["records"] == [["1", "2"]]


def test_a_truncated_workbook_is_an_error_and_the_next_member_is_read():
    book = xlsx_bytes({"Patients": ROWS})
    docs = read_all(zip_bytes({"cut.xlsx": book[: len(book) // 2], "next.csv": b"a;b\n1;2\n"}), name="leak.zip")
    assert [d["format"] for d in docs] == ["error", "csv"]
    assert docs[0]["name"] == "leak.zip!cut.xlsx" and "corrupt" in str(docs[0]["error"])
    assert docs[1]["records"] == [["1", "2"]]


def test_an_ole2_file_that_is_no_workbook_is_a_clear_error():
    fake_doc = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"not a compound file at all" * 40
    doc = only(read_all(fake_doc, name="lettre.doc"))
    assert doc["format"] == "error" and "OLE2 document that is no readable Excel workbook" in str(doc["error"])


def _sparse_bomb() -> bytes:
    """Three cells, far apart: the grid calamine makes for them would take about 100 GB."""
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c><c r="XFD1"><v>1</v></c></row>'
             '<row r="200000"><c r="A200000"><v>2</v></c></row></sheetData></worksheet>')
    return xlsx_bytes({"S": []}, raw_sheets={1: sheet})


def test_a_sheet_whose_grid_needs_more_than_max_sheet_memory_ends_its_reader_not_the_scan():
    data = zip_bytes({"bomb.xlsx": _sparse_bomb(), "next.xlsx": xlsx_bytes({"Ok": [["a@x.fr"]]})})
    docs = read_all(data, name="leak.zip", limits=ExtractLimits(max_sheet_memory=512 * 1024 * 1024))
    assert [d["name"] for d in docs] == ["leak.zip!bomb.xlsx", "leak.zip!next.xlsx!Ok"]
    assert docs[0]["format"] == "error" and "max_sheet_memory" in str(docs[0]["error"])
    assert docs[1]["records"] == [["a@x.fr"]]


def _big_book(rows: int) -> bytes:
    return xlsx_bytes({"Big": [[f"user{i}@x.fr", "Dupont", i] for i in range(rows)]})


def test_declared_sizes_are_checked_before_the_workbook_is_read():
    book = xlsx_bytes({"Rep": [["Dupont Jean", "1961-12-05", "0612345678"]] * 40_000})
    infos = zipfile.ZipFile(io.BytesIO(book)).infolist()
    declared = sum(i.file_size for i in infos)
    assert declared / len(book) > 8  # compressible: a repeated row
    limits = ExtractLimits(ratio_grace_bytes=1024 * 1024, max_ratio=5)
    doc = only(read_all(book, name="rep.xlsx", limits=limits))
    assert doc["format"] == "error" and "zip bomb" in str(doc["error"])
    # the declared size counts toward max_total_bytes: past it, the source is stopped
    docs = read_all(zip_bytes({"rep.xlsx": book, "after.csv": b"a;b\n1;2\n"}, method=zipfile.ZIP_STORED),
                    name="leak.zip", limits=ExtractLimits(max_total_bytes=declared))
    assert [d["format"] for d in docs] == ["error"] and "max_total_bytes" in str(docs[0]["error"])


def test_a_workbook_read_too_long_stops_the_source_at_max_seconds():
    book = _big_book(150_000)  # about 0.9 s to read
    limits = ExtractLimits(max_seconds=0.1)
    docs = read_all(book, name="big.xlsx", limits=limits)
    assert any("max_seconds" in str(d["error"]) for d in docs)


def test_rows_are_bounded_as_lines_are_and_never_cut():
    wide = [[str(c) for c in range(50)], ["x" * 300, "y" * 300, "z" * 300]]
    doc = only(read_all(xlsx_bytes({"W": wide}), limits=ExtractLimits(max_cells=10, max_line_chars=500,
                                                                       max_cell_chars=200)))
    # 50 cells: five records of 10; every cell is there
    assert doc["records"][:5] == [[str(c) for c in range(at, at + 10)] for at in range(0, 50, 10)]
    # a 300-character cell in windows of 200 overlapping by 50; a record stops at 500 characters
    assert doc["records"][5:] == [[c * 200, c * 150] for c in "xyz"]
    assert doc["error"] is None


def test_an_empty_workbook_says_so():
    doc = only(read_all(xlsx_bytes({"Feuil1": [], "Feuil2": [[None, None]]}), name="vide.xlsx"))
    assert doc["format"] == "error" and "empty xlsx workbook" in str(doc["error"])


def test_a_sheet_left_unread_is_skipped_and_the_next_one_is_read():
    data = xlsx_bytes({"A": [[f"a{i}@x.fr"] for i in range(5000)], "B": [["b@y.fr"]]})
    documents = open_documents(data, name="book.xlsx")
    first = next(documents)
    assert next(first.records()) == ["a0@x.fr"]  # read one record only, then move on
    second = next(documents)
    assert second.name == "book.xlsx!B" and list(second.records()) == [["b@y.fr"]]
    assert next(documents, None) is None


def test_column_letters_of_the_test_writer():
    assert [column_letters(i) for i in (0, 25, 26, 16383)] == ["A", "Z", "AA", "XFD"]


def test_a_tar_of_a_workbook_streamed_from_a_pipe():
    data = gzip.compress(tar_bytes({"a/book.xlsx": xlsx_bytes({"P": ROWS})}))
    doc = only(read_all(NonSeekable(data), name="dump.tgz"))
    assert doc["name"] == "dump.tgz!dump.tar!a/book.xlsx!P" and doc["records"] == RECORDS


def test_an_xlsb_workbook_is_handed_to_the_spreadsheet_reader():
    # no writer of xlsb here: parts that only look like one must give the reader's own error
    data = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01\x00garbage"})
    doc = only(read_all(data, name="book.xlsb"))
    assert doc["format"] == "error" and doc["name"] == "book.xlsb"
    assert "corrupt or unsupported spreadsheet" in str(doc["error"])
