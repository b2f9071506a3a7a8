"""Property-based fuzz of the extract layer: whatever the bytes, open_documents and records()
give documents or raise ExtractError, never anything else (the scan reports, never crashes)."""

import bz2
import gzip
import io
import json
import zipfile

from hypothesis import HealthCheck, given, settings, strategies as st

from leakwatch.matchers.extract import ExtractError, ExtractLimits, open_documents

LIMITS = ExtractLimits(max_total_bytes=8 << 20, max_seconds=20, max_line_chars=200, max_cell_chars=100,
                       max_cells=20, max_depth_json=8, max_members=50)

# Bytes that steer the sniffers: brackets, quotes, delimiters, line ends, NULs, magic numbers.
_PIECES = [b"[", b"]", b"{", b"}", b'"', b",", b";", b"\t", b"|", b":", b"\n", b"\r", b"\r\n", b"\0", b"\\",
           b"INSERT INTO t VALUES (", b"COPY t (a) FROM stdin;\n", b"\\.\n", b"'", b"--", b"/*", b"@x.fr:",
           b"\x1f\x8b", b"PK\x03\x04", b"BZh9", b"\xfd7zXZ\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xd0\xcf\x11\xe0",
           b"a", b"1", b" ", b"\xe9", b"\xc3\xa9", b"\x80", b"null", b"true", b"1e999", b"-0"]
structured = st.lists(st.one_of(st.sampled_from(_PIECES), st.binary(max_size=8)), max_size=200).map(b"".join)


def _wrapped(data: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(data)
    if how == "gzip-cut":
        return gzip.compress(data)[: max(2, len(data) // 2)]
    if how == "bz2":
        return bz2.compress(data)
    if how == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("a.csv", data)
            archive.writestr("../b.json", data)
        return buf.getvalue()
    return data


def _scan(data: bytes) -> None:
    for doc in open_documents(data, name="fuzz", limits=LIMITS):
        assert isinstance(doc.name, str)
        try:
            for cells in doc.records():
                assert isinstance(cells, list) and len(cells) <= LIMITS.max_cells
                assert all(isinstance(c, str) for c in cells)
        except ExtractError:
            pass
        json.dumps(doc.problems())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=2048), structured),
       how=st.sampled_from(["plain", "plain", "gzip", "gzip-cut", "bz2", "zip"]))
def test_any_bytes_give_documents_or_extract_errors(data, how):
    _scan(_wrapped(data, how))


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                              st.text(max_size=20)),
                    lambda inner: st.one_of(st.lists(inner, max_size=4),
                                            st.dictionaries(st.text(max_size=5), inner, max_size=4)),
                    max_leaves=40),
       st.integers(min_value=0, max_value=30))
def test_any_json_nesting_is_read_or_skipped_never_raised(value, extra_depth):
    text = "[" * extra_depth + json.dumps(value) + "]" * extra_depth
    _scan(text.encode())
    _scan((text + "\n" + json.dumps({"a": value}) + "\n").encode())
