"""A JSON document (array of records, or an object holding one), streamed with ijson: a 2 GB
array is read item by item, never loaded whole."""

import io
from typing import Iterator

import ijson

from ..errors import ReadFailed
from ..limits import ExtractLimits
from .flatten import flatten


class ReencodedUtf8(io.RawIOBase):
    """UTF-8 bytes from a text stream: ijson parses bytes, the document may be cp1252 or UTF-16."""

    def __init__(self, text, chunk_chars: int = 64 * 1024):
        super().__init__()
        self._text = text
        self._chunk = chunk_chars
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._pending:
            chunk = self._text.read(self._chunk)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8", errors="replace")
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def read_json_document(utf8_stream, prefix: str, limits: ExtractLimits) -> Iterator[list[str]]:
    """Records are the items under ``prefix`` (ijson syntax: "item", "users.item"; "" = the whole
    document as one record)."""
    try:
        for value in ijson.items(utf8_stream, prefix):
            cells, _ = flatten(value, limits.max_cells, limits.max_cell_chars)
            if cells:
                yield cells
    except ijson.JSONError as exc:
        kind = "truncated" if isinstance(exc, ijson.IncompleteJSONError) and "premature" in str(exc).lower() \
            else "invalid"
        # not str(exc): ijson's messages quote the input around the error (personal data)
        raise ReadFailed(f"{kind} JSON") from None


def layout(sample_utf8: bytes, limits: ExtractLimits) -> tuple[str, list[str] | None] | None:
    """(prefix, header) for a document starting with ``sample_utf8``, or None if it is not JSON.

    Top-level array -> its items. Top-level object -> the items of its first array of
    objects/arrays ({"users": [{...}, ...]}), else the whole object as one record.
    """
    events: list[tuple[str, str]] = []
    try:
        for path, event, _ in ijson.parse(io.BytesIO(sample_utf8)):
            events.append((path, event))
            if len(events) >= 10_000:
                break
    except ijson.JSONError:
        # the sample is cut mid-document, so an error at its end is expected; one right at
        # the start means "[INFO] ..." or "{oops": text that merely begins with a bracket
        if len(events) < 3:
            return None
    if not events or events[0][1] not in ("start_array", "start_map"):
        return None
    prefix = "item" if events[0][1] == "start_array" else None
    for (before_path, before), (path, event) in zip(events, events[1:]):
        if prefix is not None:
            break
        if before == "start_array" and path == f"{before_path}.item" and ".item." not in path \
                and event in ("start_map", "start_array"):
            prefix = path
    if prefix is None:
        prefix = ""
    header = None
    try:
        for value in ijson.items(io.BytesIO(sample_utf8), prefix):
            _, keys = flatten(value, limits.max_cells, limits.max_cell_chars, with_keys=True)
            header = keys if isinstance(value, dict) and keys else None
            break
    except ijson.JSONError:
        pass
    return prefix, header
