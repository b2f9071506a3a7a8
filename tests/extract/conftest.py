"""Helpers for the extract tests: every input is a real file (or byte string) built here."""

import io
import sys
from pathlib import Path

import pytest

from leakwatch.matchers.extract import ExtractError, open_documents


class NonSeekable(io.RawIOBase):
    """A pipe-like stream: read only, no seek, no tell (as a socket or a crawler body stream)."""

    def __init__(self, data: bytes):
        super().__init__()
        self._buf = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, b) -> int:
        return self._buf.readinto(b)


def read_all(source, keep_records: bool = True, **kwargs) -> list[dict]:
    """Every document as a dict, records included (or only counted, in "rows"); an error
    raised by records() is kept."""
    out = []
    for doc in open_documents(source, **kwargs):
        records, raised = [], None
        try:
            for cells in doc.records():
                if keep_records:
                    records.append(cells)
        except ExtractError as exc:
            raised = exc
        out.append({"name": doc.name, "format": doc.format, "encoding": doc.encoding, "header": doc.header,
                    "records": records, "error": doc.error, "raised": raised, "rows": doc.rows,
                    "bytes_read": doc.bytes_read})
    return out


def only(docs: list[dict]) -> dict:
    assert len(docs) == 1, [d["name"] for d in docs]
    return docs[0]


@pytest.fixture
def nonseekable():
    return NonSeekable


def scan_in_child(spec: str) -> dict:
    """Scan ``spec`` (a path, or "lazy:MB") in a child process; its docs, seconds and peak RSS."""
    import json
    import subprocess
    child = Path(__file__).with_name("scan_child.py")
    out = subprocess.run([sys.executable, str(child), spec], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def child_baseline_mb() -> float:
    """Peak RSS of the child scanning a tiny input: the interpreter and imports alone."""
    return scan_in_child("lazy:0")["maxrss_mb"]
