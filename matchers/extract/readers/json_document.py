"""A JSON document (array of records, or an object holding one), streamed with ijson: a 2 GB
array is read item by item, never loaded whole."""

import io
from typing import Iterator

import ijson

from ..errors import ReadFailed
from ..limits import ExtractLimits
from .flatten import DEPTH_NOTE, flatten


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


def read_json_document(utf8_stream, prefix: str, limits: ExtractLimits, notes=None) -> Iterator[list[str]]:
    """Records are the items under ``prefix`` (ijson syntax: "item", "users.item"; "" = the whole
    document as one record). Containers nested deeper than max_depth_json are skipped and
    counted in ``notes``; the rest of the document is still read."""
    try:
        for value in items(utf8_stream, prefix, limits.max_depth_json, notes):
            cells, _ = flatten(value, limits.max_cells, limits.max_cell_chars, max_depth=limits.max_depth_json,
                               notes=notes)
            if cells:
                yield cells
    except ijson.JSONError as exc:
        kind = "truncated" if isinstance(exc, ijson.IncompleteJSONError) and "premature" in str(exc).lower() \
            else "invalid"
        # not str(exc): ijson's messages quote the input around the error (personal data)
        raise ReadFailed(f"{kind} JSON") from None


_OPEN = {"start_map": dict, "start_array": list}
_CLOSE = frozenset({"end_map", "end_array"})


def items(utf8_stream, prefix: str, max_depth: int, notes=None, events=None) -> Iterator:
    """ijson.items(), built here from ijson.basic_parse's events, nesting bounded by ``max_depth``.

    ijson.items and ijson.parse compute each event's prefix ("item.item.item..."), so memory and
    time grow with the square of the depth (22 GB for a 200 KB array nested 100,000 deep). Here
    a container deeper than ``max_depth`` is skipped, with what it holds, and counted in ``notes``.
    """
    target = prefix.split(".") if prefix else []
    if events is None:
        # several values one after the other: JSON lines whose first line looked like a document
        # (it was too deep for the sniffer's json.loads); each later value is a record
        events = ijson.basic_parse(utf8_stream, multiple_values=True)
    path: list = []       # the key of each open container outside the item being built
    built: list = []      # containers of the item being built, outermost first
    keys: list = []       # their pending map keys
    skip = 0              # > 0: inside a skipped container, at this depth below it
    skipped = 0
    values = 0            # top-level values seen
    try:
        for event, value in events:
            if skip:
                if event in _OPEN:
                    skip += 1
                elif event in _CLOSE:
                    skip -= 1
                continue
            if built:
                if event == "map_key":
                    keys[-1] = value
                    continue
                if event in _CLOSE:
                    done = built.pop()
                    keys.pop()
                    if not built:
                        yield done
                        continue
                    value = done
                elif event in _OPEN:
                    if len(path) + len(built) >= max_depth:
                        skip, skipped = 1, skipped + 1
                        continue
                    built.append(_OPEN[event]())
                    keys.append(None)
                    continue
                parent = built[-1]
                if type(parent) is list:
                    parent.append(value)
                else:
                    parent[keys[-1]] = value
                continue
            if event == "map_key":
                path[-1] = value
                continue
            if event in _CLOSE:
                path.pop()
                if not path:
                    values += 1
                continue
            at_target = (len(path) == len(target) and path == target) or (values and not path)
            if event in _OPEN:
                if len(path) >= max_depth:
                    skip, skipped = 1, skipped + 1
                elif at_target:
                    built.append(_OPEN[event]())
                    keys.append(None)
                else:
                    path.append("item" if event == "start_array" else None)
            elif at_target:
                yield value
            if not path and event not in _OPEN:
                values += 1
    finally:
        if skipped and notes is not None:
            notes.add(DEPTH_NOTE % max_depth, skipped)


def layout(sample_utf8: bytes, limits: ExtractLimits) -> tuple[str, list[str] | None] | None:
    """(prefix, header) for a document starting with ``sample_utf8``, or None if it is not JSON.

    Top-level array -> its items. Top-level object -> the items of its first array of
    objects/arrays ({"users": [{...}, ...]}), else the whole object as one record.
    """
    events: list[tuple[str | None, str]] = []
    path: list = []

    def joined(keys):  # a prefix only where a record container could be: never hundreds deep
        return ".".join(keys) if len(keys) <= 32 else None
    try:
        for event, value in ijson.basic_parse(io.BytesIO(sample_utf8)):
            if event == "map_key":
                events.append((joined(path[:-1]), event))
                path[-1] = value
            elif event in _CLOSE:
                path.pop()
                events.append((joined(path), event))
            else:
                events.append((joined(path), event))
                if event in _OPEN:
                    path.append("item" if event == "start_array" else None)
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
        if before_path is None or path is None:
            continue
        if before == "start_array" and path == (f"{before_path}.item" if before_path else "item") \
                and ".item." not in path \
                and event in ("start_map", "start_array"):
            prefix = path
    if prefix is None:
        prefix = ""
    header = None
    try:
        for value in items(io.BytesIO(sample_utf8), prefix, limits.max_depth_json):
            _, keys = flatten(value, limits.max_cells, limits.max_cell_chars, with_keys=True,
                              max_depth=limits.max_depth_json)
            header = keys if isinstance(value, dict) and keys else None
            break
    except ijson.JSONError:
        pass
    return prefix, header
