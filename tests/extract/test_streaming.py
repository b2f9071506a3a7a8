"""Memory stays flat with the input size; no input needs to be seekable."""

import gzip

from .conftest import NonSeekable, child_baseline_mb, only, read_all, scan_in_child


def test_200_megabytes_stream_through_with_flat_memory():
    result = scan_in_child("lazy:200")
    doc = only(result["docs"])
    assert doc["format"] == "csv" and doc["error"] is None and doc["raised"] is None
    assert doc["bytes_read"] == 200 * 1024 * 1024
    assert doc["rows"] > 4_000_000
    # a whole-file read would need 200+ MB; streaming needs a few buffers
    assert result["maxrss_mb"] - child_baseline_mb() < 40


def test_sample_is_rechained_so_a_non_seekable_stream_loses_nothing():
    rows = [f"user{i}@x.fr;Nom{i};06{i:08d}" for i in range(20_000)]  # > the 64 KiB sample
    data = ("\n".join(rows) + "\n").encode()
    doc = only(read_all(NonSeekable(gzip.compress(data))))
    assert len(doc["records"]) == 20_000
    assert doc["records"][0] == ["user0@x.fr", "Nom0", "0600000000"]
    assert doc["records"][-1] == ["user19999@x.fr", "Nom19999", "0600019999"]
    assert doc["bytes_read"] == len(data)
