"""The public API of matchers.extract: a few names, checked arguments, one-pass documents."""

import io
import json

import pytest

import leakwatch.matchers.extract as extract
from leakwatch.matchers.extract import Document, ExtractError, ExtractLimits, open_documents

from .conftest import read_all

DATA = b"nom;email\nDupont;jean@x.fr\nMartin;luc@y.fr\n"


def test_exported_names_are_exactly_the_public_api():
    assert sorted(extract.__all__) == ["Document", "ExtractError", "ExtractLimits", "Table", "open_documents",
                                       "table_records"]


def test_source_may_be_a_path_a_path_string_bytes_or_a_file(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(DATA)
    with open(path, "rb") as f:
        sources = [path, str(path), DATA, bytearray(DATA), io.BytesIO(DATA), f]
        results = [read_all(s)[0]["records"] for s in sources]
    assert all(r == [["Dupont", "jean@x.fr"], ["Martin", "luc@y.fr"]] for r in results)


def test_name_defaults_to_the_file_name_and_can_be_given(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(DATA)
    assert read_all(path)[0]["name"] == "d.csv"
    assert read_all(DATA, name="paste 42")[0]["name"] == "paste 42"


@pytest.mark.parametrize("source", [42, None, ["a"]])
def test_unsupported_source_type_is_a_type_error(source):
    with pytest.raises(TypeError, match="source must be"):
        list(open_documents(source))


def test_limits_must_be_extract_limits():
    with pytest.raises(TypeError, match="ExtractLimits"):
        list(open_documents(DATA, limits={"max_depth": 1}))


def test_rows_and_bytes_read_follow_the_iteration():
    docs = open_documents(DATA)  # kept: the walk owns the stream, and closes it when collected
    doc = next(docs)
    records = doc.records()
    next(records)
    assert doc.rows == 1
    list(records)
    assert doc.rows == 2 and doc.bytes_read == len(DATA)


def test_records_can_be_iterated_once():
    docs = open_documents(DATA)
    doc = next(docs)
    list(doc.records())
    with pytest.raises(RuntimeError, match="once"):
        doc.records()


def test_a_document_is_no_longer_readable_once_the_walk_moved_on():
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.csv", DATA)
        z.writestr("b.csv", DATA)
    docs = open_documents(buf.getvalue())
    first = next(docs)
    next(docs)
    with pytest.raises(ExtractError, match="moved on"):
        list(first.records())


def test_error_document_has_no_records_and_a_message_naming_it():
    doc = next(open_documents(b"", name="x.txt"))
    assert isinstance(doc, Document)
    assert doc.format == "error" and doc.encoding is None and doc.header is None
    assert list(doc.records()) == []
    assert isinstance(doc.error, ExtractError) and str(doc.error) == "x.txt: empty input"


def test_document_constructor_checks_its_arguments():
    with pytest.raises(ValueError, match="format must be one of"):
        Document("x", "docx", reader=lambda: iter(()))
    with pytest.raises(ValueError, match="needs its ExtractError"):
        Document("x", "error")


def test_limits_default_values():
    limits = ExtractLimits()
    assert (limits.max_depth, limits.max_entries, limits.max_ratio) == (5, 10_000, 200)
    assert limits.max_total_bytes == 8 * 1024 ** 3 and limits.max_seconds == 600


def test_a_table_names_its_columns_before_its_records_are_read(tmp_path):
    from leakwatch.matchers.extract import Table

    path = tmp_path / "t.csv"
    path.write_bytes(DATA)
    table = Table(path)
    assert table.header == ["nom", "email"]
    assert list(table) == [["Dupont", "jean@x.fr"], ["Martin", "luc@y.fr"]]
    with pytest.raises(ExtractError, match="empty input"):  # refused when opened, before any record
        Table(b"")


def test_a_table_reports_what_reading_it_skipped_in_its_first_records_and_in_its_blocks(tmp_path):
    from leakwatch.matchers.extract import Table

    deep = {"x": {"y": {"z": {"w": {"v": 1}}}}}  # deeper than max_depth_json=3
    lines = [{"nom": f"Nom{n}", "ddn": "05/12/1961", **(deep if n in (7, 19900, 19950) else {})}
             for n in range(20000)]
    path = tmp_path / "patients.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    table = Table(path, limits=ExtractLimits(max_depth_json=3))
    parts = list(table.parts())
    assert any(not isinstance(part, list) for part in parts)  # the last two are in a block
    assert table.problems() == [f"{path}: 1 JSON values nested deeper than max_depth_json (3 levels) skipped"]
    records = [row for part in parts for row in ([part] if isinstance(part, list) else part.records())]
    assert len(records) == 20000
    # counted once its blocks are parsed, wherever that is
    assert table.problems() == [f"{path}: 3 JSON values nested deeper than max_depth_json (3 levels) skipped"]
    clean = tmp_path / "clean.jsonl"
    clean.write_text("".join(json.dumps({"nom": f"Nom{n}"}) + "\n" for n in range(20000)))
    quiet = Table(clean, limits=ExtractLimits(max_depth_json=3))
    assert len(list(quiet)) == 20000 and quiet.problems() == []


def test_table_records_reads_one_table_and_refuses_two(tmp_path):
    import zipfile

    from leakwatch.matchers.extract import table_records

    single = tmp_path / "t.csv"
    single.write_text("a,b\n1,2\n3,4\n")
    assert list(table_records(single)) == [["1", "2"], ["3", "4"]]
    double = tmp_path / "two.zip"
    with zipfile.ZipFile(double, "w") as archive:
        archive.writestr("one.csv", "a,b\n1,2\n")
        archive.writestr("two.csv", "a,b\n3,4\n")
    with pytest.raises(ExtractError, match="more than one table"):
        list(table_records(double))
