"""Hostile input through the one path every input takes: `leakwatch scan HOSTILE control.csv --json`
in a child process under a memory limit (RLIMIT_AS) and a timeout. Each test asserts the exit
code, the `error` text, that the records planted in the hostile file are found where they can
be reached, and that the control file scanned after it is still scanned (and matches)."""

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leakwatch.cli import app
from extract.workbooks import xlsx_bytes
from small_table import TABLE, nir

MEMORY = 2 << 30   # address space of the scanning process
TIMEOUT = 60       # seconds for one `leakwatch scan`
LEAKWATCH = str(Path(sys.executable).with_name("leakwatch"))


#: the control file: two of the registered patients
CONTROL = "name;born;tel\nJEAN-PIERRE DUPONT;5 décembre 1961;+33 6 10 01 20 46\nHelene MARTIN;17/05/1970;04 72 00 11 22\n"
#: planted rows, as cells: found when they are reachable
PLANTED = [["JEAN-PIERRE DUPONT", "5 décembre 1961", "+33 6 10 01 20 46", nir("1611275123456"), "jp.dupont@mail.fr"],
           ["Helene MARTIN", "17/05/1970", "04 72 00 11 22", nir("2700569001002"), "helene.m@ex.fr"]]
PLANTED_CSV = "".join(";".join(row) + "\n" for row in PLANTED)
PLANTED_JSON = [{"name": r[0], "born": r[1], "tel": r[2], "nir": r[3], "email": r[4]} for r in PLANTED]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, redis_server):
    """A registry with the lab's table, and the control file."""
    import uuid

    tmp = tmp_path_factory.mktemp("hostile")
    (tmp / "none.yaml").write_text("{}\n")
    env = {"LEAKWATCH_HOME": str(tmp / "home"), "LEAKWATCH_REDIS_URL": redis_server[1],
           "LEAKWATCH_NAMESPACE": f"t{uuid.uuid4().hex[:10]}", "LEAKWATCH_CONFIG": str(tmp / "none.yaml")}
    table = tmp / "patients.csv"
    table.write_text(TABLE)
    result = CliRunner().invoke(app, ["register", "labo-a", str(table)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    control = tmp / "control.csv"
    control.write_text(CONTROL)
    return tmp, env, control


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def scan(lab, hostile, *, extra_env=None, timeout=TIMEOUT, memory=MEMORY):
    """(exit code, report of the hostile input, seconds); the control file's report and the exit
    code (1: the control matched) are checked here."""
    _, env, control = lab
    full = {**os.environ, **env, **(extra_env or {})}
    started = time.monotonic()
    done = subprocess.run([LEAKWATCH, "scan", str(hostile), str(control), "--json"], env=full,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=_limit_memory)
    seconds = time.monotonic() - started
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == 2, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    report, control_report = reports
    assert control_report["file"] == str(control)
    assert control_report["error"] is None
    assert [m["records"] for m in control_report["matches"]] == [2], control_report
    # the control matched, so the scan exits 1 whatever the hostile input did: an error never
    # hides a match; the hostile input's error is on stderr as well as in its report
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    if report["error"]:
        assert f"leakwatch: {' '.join(report['error'].split())}" in done.stderr.splitlines()
    return done.returncode, report, seconds


def found(report) -> int:
    return sum(m["records"] for m in report["matches"])


def deep(n: int, opener="[", closer="]", inner="1") -> str:
    return opener * n + inner + closer * n


# ---------------------------------------------------------------- deep JSON


def test_json_array_nested_100000_deep_is_bounded_and_the_rest_is_read(lab):
    tmp = lab[0]
    path = tmp / "deep.json"
    records = ",".join(json.dumps(r) for r in PLANTED_JSON)
    path.write_text(f"[{json.dumps(PLANTED_JSON[0])},{deep(100_000)},{json.dumps(PLANTED_JSON[1])}]")
    assert records  # both planted records are around the deep one
    code, report, seconds = scan(lab, path)
    assert code == 1
    assert "nested deeper than max_depth_json (256 levels) skipped" in report["error"]
    assert len(report["error"]) < 500
    assert found(report) == 2


def test_bare_json_array_nested_100000_deep_is_an_error_not_an_oom(lab):
    path = lab[0] / "bare-deep.json"
    path.write_text(deep(100_000))
    code, report, _ = scan(lab, path)
    assert code == 1 and "max_depth_json" in report["error"]


def test_json_lines_whose_first_line_is_100000_deep(lab):
    path = lab[0] / "deep.jsonl"
    path.write_text(deep(100_000) + "\n" + "".join(json.dumps(r) + "\n" for r in PLANTED_JSON))
    code, report, _ = scan(lab, path)
    assert code == 1 and "max_depth_json" in report["error"]
    assert found(report) == 2


def test_json_object_nested_100000_deep_is_no_recursion_error(lab):
    path = lab[0] / "deep-object.json"
    path.write_text(deep(100_000, '{"a":', "}"))
    code, report, _ = scan(lab, path)
    assert code == 1
    assert "max_depth_json" in report["error"] and "a bug" not in report["error"]


def test_json_lines_with_a_line_500_deep_skips_its_deep_part_only(lab):
    path = lab[0] / "deep500.jsonl"
    lines = [json.dumps(PLANTED_JSON[0]), json.dumps({"x": json.loads(deep(500))}), json.dumps(PLANTED_JSON[1])]
    path.write_text("\n".join(lines) + "\n")
    code, report, _ = scan(lab, path)
    assert code == 1 and "1 JSON values nested deeper than max_depth_json" in report["error"]
    assert found(report) == 2


# ---------------------------------------------------------------- time


def test_dev_zero_stops_at_max_seconds_and_the_next_input_is_scanned(lab):
    code, report, seconds = scan(lab, "/dev/zero", extra_env={"LEAKWATCH_EXTRACT_MAX_SECONDS": "3"})
    assert code == 1
    assert "max_seconds" in report["error"] and "sha256 is that of the first" in report["error"]
    assert seconds < 20


def _endless_gzip_fifo(path: Path, first: bytes, payload: bytes, pause: float = 0.0):
    """A named pipe a thread feeds with one gzip stream that never ends: ``first``, then
    ``payload`` over and over."""
    import threading
    import zlib

    os.mkfifo(path)

    def feed():
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
        try:
            with open(path, "wb") as pipe:
                pipe.write(compressor.compress(first))
                while True:
                    pipe.write(compressor.compress(payload * 1000) + compressor.flush(zlib.Z_SYNC_FLUSH))
                    time.sleep(pause)  # a slow sender (a paste site trickling a body), or none
        except (BrokenPipeError, OSError):
            pass

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("first,payload", [(b"", b"\0" * 1024),
                                           (PLANTED_CSV.encode(), b"chatter;about;prices\n")], ids=["zeros", "records"])
def test_a_gzip_stream_that_never_ends_stops_at_max_seconds(lab, first, payload, tmp_path):
    path = tmp_path / "endless.gz"
    _endless_gzip_fifo(path, first, payload)
    code, report, seconds = scan(lab, path, extra_env={"LEAKWATCH_EXTRACT_MAX_SECONDS": "3"})
    assert code == 1 and "max_seconds" in report["error"]
    assert seconds < 20
    if first:  # read until stopped (2 planted rows among millions weigh as noise to the matcher)
        assert report["rows"] > 100_000 and report["format"] == "csv"


def _trickling_fifo(path: Path, first: bytes, pause: float, *, silent: bool = False):
    """A named pipe a thread writes ``first`` to at once, then one byte every ``pause`` seconds
    for ever (or nothing more, holding the pipe open, when ``silent``)."""
    import threading

    os.mkfifo(path)
    done = threading.Event()

    def feed():
        try:
            with open(path, "wb", buffering=0) as pipe:
                pipe.write(first)
                while not done.wait(pause):
                    if not silent:
                        pipe.write(b"x")
        except (BrokenPipeError, OSError):
            pass

    threading.Thread(target=feed, daemon=True).start()
    return done


@pytest.mark.parametrize("silent", [False, True], ids=["a-byte-every-2s", "open-and-silent"])
def test_a_trickling_fifo_stops_at_max_seconds_and_the_next_input_is_scanned(lab, tmp_path, silent):
    path = tmp_path / "trickle.csv"
    done = _trickling_fifo(path, PLANTED_BYTES, 2.0, silent=silent)
    try:
        code, report, seconds = scan(lab, path, extra_env={"LEAKWATCH_EXTRACT_MAX_SECONDS": "3"})
    finally:
        done.set()
    assert seconds < 15  # before reads had a deadline, this waited for the writer for ever
    assert code == 1  # the planted rows and the control file matched; the stop is in the error
    assert "(max_seconds)" in report["error"] and "sha256 is that of the first" in report["error"]
    assert found(report) == 2  # rows read before the deadline are kept


def test_a_fifo_nobody_writes_to_stops_at_max_seconds(lab, tmp_path):
    path = tmp_path / "no-writer.csv"
    os.mkfifo(path)  # opening it for reading would wait for a writer that never comes
    code, report, seconds = scan(lab, path, extra_env={"LEAKWATCH_EXTRACT_MAX_SECONDS": "2"})
    assert seconds < 15
    assert code == 1 and "(max_seconds)" in report["error"] and report["rows"] == 0


def test_standard_input_fed_slowly_stops_at_max_seconds_and_the_next_input_is_scanned(lab):
    _, env, control = lab
    # the writer: the planted rows, then a byte every 2 s until its reader goes away
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        f"sys.stdout.buffer.write({PLANTED_BYTES!r}); sys.stdout.flush()\n"
        "while True:\n    time.sleep(2); sys.stdout.buffer.write(b'x'); sys.stdout.flush()\n")],
        stdout=subprocess.PIPE)
    try:
        started = time.monotonic()
        done = subprocess.run([LEAKWATCH, "scan", "-", str(control), "--json"], stdin=writer.stdout,
                              env={**os.environ, **env, "LEAKWATCH_EXTRACT_MAX_SECONDS": "3"},
                              capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=_limit_memory)
        seconds = time.monotonic() - started
    finally:
        writer.kill()
        writer.wait()
    reports = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["file"] for r in reports] == ["-", str(control)]
    assert seconds < 15 and done.returncode == 1
    assert "(max_seconds)" in reports[0]["error"] and found(reports[0]) == 2
    assert found(reports[1]) == 2 and reports[1]["error"] is None


# ---------------------------------------------------------------- binary by region


def _lab_table(rows: int = 2000) -> str:
    """A 2,000-row export with the planted patients among made-up ones."""
    filler = "".join(f"PATIENT{i} NOM{i};{1 + i % 28}/0{1 + i % 9}/19{50 + i % 40};06 {i % 100:02d} 00 00 00;"
                     f";p{i}@ex.invalid\n" for i in range(rows))
    return "name;born;tel;nir;email\n" + PLANTED_CSV + filler


@pytest.mark.parametrize("padding", [b"\0" * 8192, b"\0" * (3 << 20)], ids=["8KB", "3MB"])
def test_a_table_after_nul_padding_is_read(lab, padding):
    path = lab[0] / f"padded{len(padding)}.csv"
    path.write_bytes(padding + _lab_table().encode())
    code, report, _ = scan(lab, path)
    assert code == 1 and report["error"] is None
    assert found(report) == 2 and report["rows"] >= 2000


def test_a_table_inside_a_binary_blob_is_read_and_the_skipped_bytes_said(lab):
    import random

    noise = random.Random(16).randbytes
    path = lab[0] / "blob.bin"
    path.write_bytes(noise(1 << 20) + b"\n" + _lab_table().encode() + noise(100_000))
    code, report, _ = scan(lab, path)
    assert code == 1 and "bytes of binary data before its text skipped" in report["error"]
    assert found(report) == 2


def test_binary_without_text_is_still_binary(lab):
    import random

    path = lab[0] / "noise.bin"
    path.write_bytes(random.Random(1).randbytes(2 << 20))
    code, report, _ = scan(lab, path)
    assert code == 1 and "binary data, not text" in report["error"] and report["rows"] == 0


# ---------------------------------------------------------------- silent loss


def test_planted_records_in_the_last_columns_of_a_wide_export_are_found(lab):
    path = lab[0] / "wide.csv"
    width = 2000
    head = ";".join(f"c{i}" for i in range(width - 5)) + ";name;born;tel;nir;email\n"
    rows = [";".join(["x"] * (width - 5) + row) + "\n" for row in PLANTED]
    path.write_text(head + "".join(rows) + "".join(";".join(["y"] * width) + "\n" for _ in range(20)))
    code, report, _ = scan(lab, path)
    assert code == 1 and report["error"] is None
    assert found(report) == 2


def test_planted_records_in_the_cells_past_500_of_a_520_column_export(lab):
    path = lab[0] / "wide520.csv"
    rows = [";".join([f"v{i}" for i in range(515)] + row) + "\n" for row in PLANTED]
    path.write_text("".join(rows))
    code, report, _ = scan(lab, path)
    assert code == 1 and report["error"] is None and found(report) == 2


@pytest.mark.parametrize("megabytes", [2, 100])
def test_identifiers_at_the_end_of_a_huge_line_are_found(lab, megabytes):
    path = lab[0] / f"line{megabytes}.txt"
    with open(path, "w") as out:
        for _ in range(megabytes):
            out.write("lorem ipsum dolor sit amet " * ((1 << 20) // 27))
        out.write(" ".join(f"{r[0]} né le {r[1]} tel {r[2]} nir {r[3]} {r[4]}" for r in PLANTED) + "\n")
    code, report, _ = scan(lab, path, timeout=240)
    assert report["error"] is None
    assert found(report) >= 1


# ---------------------------------------------------------------- archive bombs


def _zip(members: dict, compression=None) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression or zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def bomb_42(lab):
    """42.zip's shape: 16 zips of 16 zips of 16 zips of 16 leaves (65,536 leaves), after a
    member holding the planted records."""
    layer = _zip({f"leaf{i}.bin": b"\0" * 65536 for i in range(16)})
    for depth in range(2):
        layer = _zip({f"l{depth}-{i}.zip": layer for i in range(16)})
    data = _zip({"a.csv": PLANTED_CSV.encode(), **{f"l2-{i}.zip": layer for i in range(16)}})
    path = lab[0] / "42.zip"
    path.write_bytes(data)
    return path


def test_a_42_zip_style_bomb_stops_at_max_members_with_a_bounded_error(lab, bomb_42):
    assert bomb_42.stat().st_size < 2 << 20
    code, report, seconds = scan(lab, bomb_42, timeout=120)
    assert code == 1
    assert "(max_members)" in report["error"]
    assert len(report["error"]) < 6000 and "more errors" in report["error"]
    assert found(report) == 2


# ---------------------------------------------------------------- many more, one table


def _gzip(data: bytes, times: int = 1) -> bytes:
    import gzip

    for _ in range(times):
        data = gzip.compress(data, 1)
    return data


def _stream_compress(kind: str, parts) -> bytes:
    import bz2
    import lzma
    import zlib

    compressor = {"gzip": lambda: zlib.compressobj(9, zlib.DEFLATED, 31), "bz2": bz2.BZ2Compressor,
                  "xz": lzma.LZMACompressor}[kind]()
    out = [compressor.compress(p) for p in parts]
    out.append(compressor.flush())
    return b"".join(out)


def _zeros(megabytes: int):
    yield from (bytes(1 << 20) for _ in range(megabytes))


def _tar(members) -> bytes:
    """members: (name, data) for files, (name, None, linkname, type) for links."""
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as archive:
        for item in members:
            info = tarfile.TarInfo(item[0])
            if item[1] is None:
                info.type, info.linkname = item[3], item[2]
                archive.addfile(info)
            else:
                info.size = len(item[1])
                archive.addfile(info, io.BytesIO(item[1]))
    return buf.getvalue()


def _zip_declaring(entries: int) -> bytes:
    data = bytearray(_zip({"a.csv": PLANTED_CSV.encode()}))
    at = data.rfind(b"PK\x05\x06")
    data[at + 8:at + 12] = entries.to_bytes(2, "little") * 2
    return bytes(data)


def _zip_encrypted() -> bytes:
    data = bytearray(_zip({"a.csv": PLANTED_CSV.encode(), "secret.csv": PLANTED_CSV.encode()}))
    local = data.find(b"PK\x03\x04", data.find(b"PK\x03\x04") + 4)
    data[local + 6] |= 1
    central = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4)
    data[central + 8] |= 1
    return bytes(data)


PLANTED_BYTES = PLANTED_CSV.encode()
PLANTED_JSONL = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in PLANTED_JSON).encode()

def _sparse_xlsx() -> bytes:
    """Three cells far apart: the grid the spreadsheet library makes for them would take about 100 GB."""
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c><c r="XFD1"><v>1</v></c></row>'
             '<row r="200000"><c r="A200000"><v>2</v></c></row></sheetData></worksheet>')
    return xlsx_bytes({"S": []}, raw_sheets={1: sheet})


#: 3 MB of prose: a notes field far longer than max_cell_chars (1 MiB)
PROSE = "le patient se plaint de douleurs " * (3 << 15)
#: the second planted patient's identifiers, at the end of a huge cell only
TAIL = f" {PLANTED[1][3]} {PLANTED[1][4]}"


def _csv_with_a_huge_quoted_cell(at_start: bool = False) -> bytes:
    notes = f"{TAIL} {PROSE}" if at_start else f"{PROSE}{TAIL}"
    return ("name;born;tel;nir;email;notes\n" + ";".join(PLANTED[0]) + ";ok\n"
            + f'x;y;z;;;"{notes}"\n' + "a;b;c;d;e;f\n").encode()


def _wide_workbook_row(width: int = 16_000) -> bytes:
    """A 16,000-column sheet (Excel's limit is 16,384), the planted patients in its last columns."""
    return xlsx_bytes({"S": [["v"] * (width - 5) + row for row in PLANTED]})


# name: (bytes of the hostile input, an error (True), none (False) or either (None), text the error must hold, planted found)
CASES = {
    "gzip-bomb": (lambda: _stream_compress("gzip", [PLANTED_BYTES, *_zeros(256)]), True, "zip bomb?", 2),
    "bz2-bomb": (lambda: _stream_compress("bz2", [PLANTED_BYTES, *_zeros(256)]), True, "zip bomb?", 2),
    "xz-bomb": (lambda: _stream_compress("xz", [PLANTED_BYTES, *_zeros(256)]), True, "zip bomb?", 2),
    "zip-bomb-member": (lambda: _zip({"a.csv": PLANTED_BYTES, "z.txt": b"\0" * (300 << 20)}), True, "zip bomb?", 2),
    "gzip-7-layers": (lambda: _gzip(PLANTED_BYTES, 7), True, "(max_depth)", 0),
    "gzip-4-layers": (lambda: _gzip(PLANTED_BYTES, 4), False, None, 2),
    "gzip-truncated": (lambda: _gzip(PLANTED_BYTES + "".join(f"{i};{i * 7919 % 100003}\n" for i in range(2000))
                                     .encode())[:4000], True, "truncated", 2),
    "zip-lies-about-its-entry-count": (lambda: _zip_declaring(60000), False, None, 2),
    "zip-encrypted-member": (_zip_encrypted, True, "encrypted member", 2),
    "zip-traversal-names": (lambda: _zip({"../../../tmp/x.csv": PLANTED_BYTES, "/etc/cron.d/y": b"a;b\n"}), False, None, 2),
    "tar-links-and-traversal": (lambda: _tar([("../../evil.csv", PLANTED_BYTES), ("link", None, "/etc/passwd", b"2"),
                                              ("hard", None, "../../evil.csv", b"1"),
                                              ("dev", None, "", b"3")]), False, None, 2),
    "tar-20000-members": (lambda: _tar([("a.csv", PLANTED_BYTES)] + [(f"m{i}", b"x\n") for i in range(20000)]),
                          True, "(max_members)", 2),
    "zip-deep-json": (lambda: _zip({"a.jsonl": PLANTED_JSONL, "deep.json": deep(100_000).encode()}), True,
                      "max_depth_json", 2),
    "control-bytes-in-cells": (lambda: PLANTED_BYTES.replace(b"DUPONT", b"DU\x00PONT").replace(b";", b"\x01;", 1)
                               + b"\x02\x03\x04 noise;x\n", False, None, 2),
    "invalid-utf8": (lambda: b"\xfd\xfc bad;\xc3\x28;\xe2\x82\n" + PLANTED_BYTES + b"\xed\xa0\x80;x\n", False, None, 2),
    "utf16-no-bom": (lambda: PLANTED_CSV.encode("utf-16-le"), False, None, 2),
    "json-lone-surrogates": (lambda: ('[{"x":"\\ud800\\udfff\\udbff"},' + json.dumps(PLANTED_JSON)[1:]).encode(),
                             False, None, 2),
    "unclosed-quote": (lambda: PLANTED_BYTES + b'"never closed;' + b"a;b;c\n" * 2000, None, None, 2),
    "endless-commas": (lambda: PLANTED_BYTES + b"," * (20 << 20) + b"\n", None, None, 2),
    "many-blank-lines": (lambda: b"\n" * (50 << 20) + PLANTED_BYTES, False, None, 2),
    "cr-only-line-ends": (lambda: PLANTED_BYTES.replace(b"\n", b"\r"), False, None, 2),
    "xlsx-sparse-grid-beside-a-table": (lambda: _zip({"bomb.xlsx": _sparse_xlsx(), "a.csv": PLANTED_BYTES}), True,
                                        "max_sheet_memory", 2),
    "xlsx-holding-the-leak": (lambda: xlsx_bytes({"Patients": [["nom", "ddn", "tel", "nir", "email"], *PLANTED]}),
                              False, None, 2),
    "csv-3MB-quoted-cell-ending-with-identifiers": (_csv_with_a_huge_quoted_cell, False, None, 2),
    "csv-3MB-quoted-cell-starting-with-identifiers": (lambda: _csv_with_a_huge_quoted_cell(True), False, None, 2),
    "json-3MB-string-ending-with-identifiers": (
        lambda: json.dumps([PLANTED_JSON[0], {"notes": PROSE + TAIL}]).encode(), False, None, 2),
    "jsonl-3MB-string-ending-with-identifiers": (
        lambda: (json.dumps(PLANTED_JSON[0]) + "\n" + json.dumps({"notes": PROSE + TAIL}) + "\n").encode(),
        False, None, 2),
    "xlsx-16000-columns-planted-in-the-last": (_wide_workbook_row, False, None, 2),
    "xlsx-2MB-cell-ending-with-identifiers": (
        lambda: xlsx_bytes({"S": [PLANTED[0], ["x", PROSE[:2 << 20] + TAIL]]}), False, None, 2),
    "sql-3MB-string-ending-with-identifiers": (
        lambda: ("INSERT INTO p (nom, ddn, tel, nir, email, notes) VALUES ("
                 + ", ".join(f"'{c}'" for c in PLANTED[0]) + ", 'ok'), ('x', 'y', 'z', NULL, NULL, '"
                 + PROSE.replace("'", "''") + TAIL + "');\n").encode(), False, None, 2),
    "sql-huge-insert": (lambda: b"INSERT INTO p VALUES " + b",".join(
        b"('%s','%s','%s','%s','%s')" % tuple(c.encode() for c in r) for r in PLANTED * 2) + b";\n"
        + b"INSERT INTO p VALUES ('" + b"x" * (3 << 20) + b"');\n", None, None, 2),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input(lab, name, tmp_path):
    build, failed, error, planted = CASES[name]
    path = tmp_path / name
    path.write_bytes(build())
    got, report, seconds = scan(lab, path, timeout=120)
    if failed is False:
        assert report["error"] is None, report["error"]
    elif failed:
        assert error in report["error"]
        assert len(report["error"]) < 6000
    assert found(report) == planted, report
