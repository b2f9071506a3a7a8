"""Hostile input is stopped early and cheaply; the rest of the source is still read."""

import gzip
import io
import os
import tarfile
import time
import zipfile

import pytest

from leakwatch.matchers.extract import ExtractLimits

from .conftest import child_baseline_mb, only, read_all, scan_in_child

LINE = b"jean.dupont@example.fr;Dupont;Jean;0610012046\n"
MiB = 1024 * 1024


def write_bomb(fileobj, megabytes: int, zeros: bool = False) -> None:
    """``megabytes`` of highly compressible content written in pieces (never whole in memory)."""
    chunk = bytes(MiB) if zeros else (LINE * (MiB // len(LINE) + 1))[:MiB]
    for _ in range(megabytes):
        fileobj.write(chunk)


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> bytes:
    """A zip with a normal member, 300 MB of text and 300 MB of zeros (about 1 MB in all), another normal member."""
    path = tmp_path_factory.mktemp("bomb") / "leak.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("before.csv", b"a;b\n1;2\n")
        with z.open("bomb.txt", "w", force_zip64=True) as w:
            write_bomb(w, 300)
        with z.open("zeros.bin", "w", force_zip64=True) as w:
            write_bomb(w, 300, zeros=True)
        z.writestr("after.csv", b"c;d\n3;4\n")
    return path.read_bytes()


def test_zip_bomb_is_stopped_quickly_and_other_members_are_read(zip_bomb, tmp_path):
    assert len(zip_bomb) < 3 * MiB
    path = tmp_path / "leak.zip"
    path.write_bytes(zip_bomb)
    result = scan_in_child(str(path))
    docs = {d["name"]: d for d in result["docs"]}
    bomb = docs["leak.zip!bomb.txt"]
    assert "200x the compressed size (zip bomb?)" in bomb["raised"]
    assert bomb["raised"].startswith("leak.zip!bomb.txt: stopped:")
    assert bomb["bytes_read"] < 80 * MiB  # stopped soon after the 64 MiB grace, not at 300 MB
    # binary is judged by region: the zeros are read on, looking for text, until the ratio stops them
    assert "200x the compressed size (zip bomb?)" in docs["leak.zip!zeros.bin"]["error"]
    assert docs["leak.zip!before.csv"]["rows"] == 1 and docs["leak.zip!after.csv"]["rows"] == 1
    assert result["cpu_seconds"] < 8  # work done, not the wall-clock of a loaded machine
    assert result["maxrss_mb"] - child_baseline_mb() < 60


def test_zip_bomb_nested_in_a_zip_is_stopped_too(zip_bomb):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("inner.zip", zip_bomb)
        z.writestr("notes.txt", b"hello\n")
    started = time.process_time()
    docs = {d["name"]: d for d in read_all(buf.getvalue(), keep_records=False, name="outer.zip")}
    assert "zip bomb?" in docs["outer.zip!inner.zip!bomb.txt"]["raised"].reason
    assert docs["outer.zip!inner.zip!after.csv"]["rows"] == 1
    assert docs["outer.zip!notes.txt"]["rows"] == 1
    assert time.process_time() - started < 8  # CPU seconds: the work done, whatever the machine's load


def test_gzip_bomb_inside_a_tar_stops_the_tar_at_its_gzip_layer():
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w|") as tar:
        info = tarfile.TarInfo("huge.txt")
        info.size = 40 * MiB
        reader = io.BytesIO()
        write_bomb(reader, 40)
        reader.seek(0)
        tar.addfile(info, reader)
    limits = ExtractLimits(ratio_grace_bytes=8 * MiB)
    docs = read_all(buf.getvalue(), keep_records=False, name="x.tar.gz", limits=limits)
    stopped = [d for d in docs if (d["raised"] or d["error"])]
    assert stopped and "zip bomb?" in str(stopped[0]["raised"] or stopped[0]["error"])
    assert all(d["bytes_read"] < 20 * MiB for d in docs)


def test_small_very_compressible_file_passes_the_ratio_limit():
    data = gzip.compress(LINE * 200_000)  # 9 MB of the same line: ratio far above 200, size below the grace
    doc = only(read_all(data))
    assert doc["raised"] is None and len(doc["records"]) == 200_000


def test_overlapping_zip_entries_are_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", LINE * 1000)
        first = z.filelist[0]
        for i in range(5):  # more central-directory entries pointing at the same data
            clone = zipfile.ZipInfo(f"b{i}.txt")
            for attr in ("header_offset", "compress_size", "file_size", "CRC", "compress_type"):
                setattr(clone, attr, getattr(first, attr))
            z.filelist.append(clone)
    doc = only(read_all(buf.getvalue(), name="o.zip"))
    assert doc["format"] == "error" and "overlap" in doc["error"].reason


def test_max_total_bytes_stops_the_whole_source():
    data = b"".join(LINE for _ in range(50_000))  # 2.4 MB
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.csv", data)
        z.writestr("b.csv", data)
    docs = read_all(buf.getvalue(), limits=ExtractLimits(max_total_bytes=MiB))
    assert docs[0]["raised"] is not None and "max_total_bytes" in docs[0]["raised"].reason
    assert len(docs) == 1  # b.csv is not read: the source's budget is spent
    assert 0 < len(docs[0]["records"]) < 50_000


def test_max_seconds_stops_a_slow_source():
    class Slow(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            time.sleep(0.02)
            b[:len(LINE)] = LINE
            return len(LINE)

    started = time.monotonic()
    docs = read_all(Slow(), limits=ExtractLimits(max_seconds=0.5))
    assert time.monotonic() - started < 5
    assert "max_seconds" in str(docs[-1]["raised"] or docs[-1]["error"])


def test_endless_line_is_read_in_windows_not_loaded():
    data = b"intro line\n" + b"x" * (5 * MiB) + b"\nnext line\n"
    doc = only(read_all(data, limits=ExtractLimits(max_line_chars=1000, max_cell_chars=1000)))
    assert doc["records"][0] == ["intro line"]
    windows = doc["records"][1:-1]
    assert all(len(w) == 1 and 0 < len(w[0]) <= 1000 for w in windows)
    assert sum(len(w[0]) for w in windows) >= 5 * MiB  # all of it, windows overlapping a little
    assert doc["records"][-1] == ["next line"]


def test_a_line_longer_than_max_line_chars_keeps_its_end():
    tail = "1611275123456 jp.dupont@mail.fr"
    data = ("x" * (3 * MiB) + " " + tail + "\n").encode()
    doc = only(read_all(data, limits=ExtractLimits()))
    assert doc["error"] is None
    assert tail in doc["records"][-1][0]


def test_a_record_wider_than_max_cells_is_split_never_cut():
    data = (";".join(str(i) for i in range(2000)) + "\n").encode() * 3
    doc = only(read_all(data, limits=ExtractLimits(max_cells=500)))
    assert [len(r) for r in doc["records"]] == [500] * 12
    assert doc["records"][3][-1] == "1999"
    wide = only(read_all(data))  # a 2,000-column export: one record per row
    assert [len(r) for r in wide["records"]] == [2000] * 3


def test_binary_garbage_is_an_error_document():
    doc = only(read_all(os.urandom(200_000), name="blob"))
    assert doc["format"] == "error" and doc["error"].reason.startswith("binary data, not text")
    assert doc["encoding"] is None


def test_known_binary_format_is_named():
    doc = only(read_all(b"\x89PNG\r\n\x1a\n" + os.urandom(1000)))
    assert "PNG image" in doc["error"].reason


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t \n"])
def test_empty_input_is_an_error_document_saying_so(data, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(data)
    doc = only(read_all(path))
    assert doc["format"] == "error"
    assert "empty input" in doc["error"].reason
    assert str(doc["error"]).startswith("empty.txt: ")


@pytest.mark.parametrize("kwargs, message", [
    ({"max_depth": 0}, "max_depth must be > 0"),
    ({"max_ratio": 0.5}, "max_ratio must be >= 1"),
    ({"max_entries": "10"}, "max_entries must be a number"),
    ({"max_cells": 2.5}, "max_cells must be an int"),
    ({"max_line_chars": 10}, "max_line_chars must be >= 80"),
])
def test_limits_constructor_says_what_to_fix(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ExtractLimits(**kwargs)


def test_limits_are_frozen():
    with pytest.raises(AttributeError):
        ExtractLimits().max_depth = 10


def test_a_pg_copy_line_longer_than_max_line_chars_keeps_its_end():
    tail = "1611275123456 jp.dupont@mail.fr"
    dump = "COPY public.p (a, b) FROM stdin;\n1\tx\n2\t" + "y" * (3 * MiB) + " " + tail + "\n3\tz\n\\.\n"
    doc = only(read_all(dump.encode()))
    assert doc["format"] == "pg_copy" and doc["error"] is None
    assert any(tail in cell for record in doc["records"] for cell in record)
    assert doc["records"][0] == ["1", "x"] and doc["records"][-1] == ["3", "z"]
