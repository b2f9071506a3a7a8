"""Archives are recognised by their magic bytes, opened from streams, nested, never extracted."""

import bz2
import gzip
import io
import lzma
import os
import tarfile
import zipfile

import py7zr
import pytest

from leakwatch.matchers.extract import ExtractLimits

from .conftest import NonSeekable, only, read_all

CSV = b"email;nom;tel\n" + b"".join(b"user%d@x.fr;Nom%d;06%08d\n" % (i, i, i) for i in range(300))
COMBO = b"jean@x.fr:hunter2\nluc@y.com:azerty\n"


def zip_bytes(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def tar_bytes(members: dict[str, bytes], mode="w") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sevenzip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(data, name)
    return buf.getvalue()


def assert_csv(doc):
    assert doc["format"] == "csv", doc
    assert doc["header"] == ["email", "nom", "tel"]
    assert len(doc["records"]) == 300
    assert doc["records"][0] == ["user0@x.fr", "Nom0", "0600000000"]


@pytest.mark.parametrize("compress, suffix", [(gzip.compress, ".gz"), (bz2.compress, ".bz2"),
                                              (lzma.compress, ".xz")])
def test_single_stream_compressions_are_recognised_without_their_suffix(compress, suffix):
    docs = read_all(compress(CSV), name="download.bin")
    doc = only(docs)
    assert_csv(doc)
    assert doc["name"].startswith("download.bin!")


def test_gzip_member_is_named_after_its_archive():
    assert only(read_all(gzip.compress(CSV), name="dump.csv.gz"))["name"] == "dump.csv.gz!dump.csv"


def test_zip_members_each_become_a_document_in_order():
    data = zip_bytes({"a/dump.csv": CSV, "combo.txt": COMBO, "dir/": b""})
    docs = read_all(data, name="leak.zip")
    assert [d["name"] for d in docs] == ["leak.zip!a/dump.csv", "leak.zip!combo.txt"]
    assert_csv(docs[0])
    assert docs[1]["format"] == "combo"


def test_stored_zip_is_read_too():
    assert_csv(only(read_all(zip_bytes({"d.csv": CSV}, method=zipfile.ZIP_STORED))))


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_and_compressed_tar(mode):
    data = tar_bytes({"x/dump.csv": CSV, "combo.txt": COMBO}, mode=mode)
    docs = read_all(data, name="leak.tar.any")
    assert len(docs) == 2
    assert docs[0]["name"].endswith("!x/dump.csv")
    assert_csv(docs[0])
    assert docs[1]["records"] == [["jean@x.fr", "hunter2"], ["luc@y.com", "azerty"]]


def test_7z_members():
    docs = read_all(sevenzip_bytes({"dump.csv": CSV, "combo.txt": COMBO}), name="leak.7z")
    assert [d["name"] for d in docs] == ["leak.7z!dump.csv", "leak.7z!combo.txt"]
    assert_csv(docs[0])
    assert docs[1]["format"] == "combo"


def test_7z_member_left_unread_does_not_block_the_next_one():
    docs = []
    from leakwatch.matchers.extract import open_documents
    for doc in open_documents(sevenzip_bytes({"big.csv": CSV * 200, "combo.txt": COMBO})):
        docs.append(doc.name)
        if doc.name.endswith("combo.txt"):
            assert list(doc.records()) == [["jean@x.fr", "hunter2"], ["luc@y.com", "azerty"]]
    assert len(docs) == 2


def test_csv_gz_inside_zip_inside_tar_is_reached():
    inner_zip = zip_bytes({"inner/dump.csv.gz": gzip.compress(CSV), "readme.txt": b"hello\n"})
    data = tar_bytes({"leak.zip": inner_zip, "combo.txt": COMBO}, mode="w:gz")
    docs = read_all(data, name="all.tar.gz")
    names = [d["name"] for d in docs]
    assert names == ["all.tar.gz!all.tar!leak.zip!inner/dump.csv.gz!dump.csv",
                     "all.tar.gz!all.tar!leak.zip!readme.txt", "all.tar.gz!all.tar!combo.txt"]
    assert_csv(docs[0])


def test_nested_archives_from_a_non_seekable_stream():
    inner_7z = sevenzip_bytes({"dump.csv": CSV})
    data = tar_bytes({"a.zip": zip_bytes({"b.7z": inner_7z}), "c.csv.xz": lzma.compress(CSV)}, mode="w:gz")
    docs = read_all(NonSeekable(data), name="pipe")
    assert [d["name"] for d in docs] == ["pipe!pipe.gunzip!a.zip!b.7z!dump.csv", "pipe!pipe.gunzip!c.csv.xz!c.csv"]
    for doc in docs:
        assert_csv(doc)


def test_path_traversal_names_are_labels_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    evil = {"../../evil.csv": CSV, "/tmp/leakwatch-abs-evil.csv": CSV, "ok\x1b[31m\n.txt": COMBO}
    archive = tmp_path / "a" / "b" / "evil.zip"
    archive.write_bytes(zip_bytes(evil))
    tar_archive = work / "evil.tar"
    tar_archive.write_bytes(tar_bytes(evil))
    before = sorted(p for p in tmp_path.rglob("*"))
    docs = read_all(archive) + read_all(tar_archive)
    assert sorted(p for p in tmp_path.rglob("*")) == before
    assert not os.path.exists("/tmp/leakwatch-abs-evil.csv")
    names = [d["name"] for d in docs]
    assert "evil.zip!../../evil.csv" in names
    assert "evil.tar!../../evil.csv" in names
    assert all("\x1b" not in n and "\n" not in n for n in names)
    assert len([d for d in docs if d["format"] == "csv"]) == 4


def test_truncated_gzip_yields_records_then_raises_truncated():
    data = gzip.compress(CSV * 20)
    docs = read_all(data[: len(data) // 2], name="cut.csv.gz")
    doc = only(docs)
    assert doc["format"] == "csv"
    assert len(doc["records"]) > 100
    assert doc["raised"] is not None and "truncated" in doc["raised"].reason
    assert doc["error"] is doc["raised"]


def test_corrupt_zip_member_is_an_error_and_the_next_member_is_still_read():
    data = bytearray(zip_bytes({"bad.csv": CSV, "good.txt": COMBO}, method=zipfile.ZIP_STORED))
    at = data.find(b"user5@x.fr")
    data[at:at + 4] = b"XXXX"  # stored data no longer matches its CRC
    docs = read_all(bytes(data))
    assert docs[0]["error"] is not None and "CRC" in docs[0]["error"].reason
    assert docs[1]["records"] == [["jean@x.fr", "hunter2"], ["luc@y.com", "azerty"]]


def test_archives_nested_deeper_than_max_depth_are_not_opened():
    data = CSV
    for _ in range(4):
        data = gzip.compress(data)
    deep = only(read_all(data, limits=ExtractLimits(max_depth=3)))
    assert deep["format"] == "error" and "max_depth" in deep["error"].reason
    assert_csv(only(read_all(data, limits=ExtractLimits(max_depth=4))))


def test_more_entries_than_max_entries_gives_an_error_for_the_rest():
    data = zip_bytes({f"f{i}.txt": COMBO for i in range(5)})
    docs = read_all(data, limits=ExtractLimits(max_entries=3))
    assert [d["format"] for d in docs] == ["combo", "combo", "combo", "error"]
    assert "max_entries" in docs[-1]["error"].reason
    tar_docs = read_all(tar_bytes({f"f{i}.txt": COMBO for i in range(5)}), limits=ExtractLimits(max_entries=3))
    assert [d["format"] for d in tar_docs] == ["combo", "combo", "combo", "error"]


def test_unsupported_archive_is_named_in_the_error():
    doc = only(read_all(b"Rar!\x1a\x07\x01\x00" + os.urandom(2000)))
    assert doc["format"] == "error" and "RAR" in doc["error"].reason


def test_empty_archive_is_reported_not_silent():
    doc = only(read_all(zip_bytes({}), name="e.zip"))
    assert doc["format"] == "error" and "empty zip archive" in doc["error"].reason
