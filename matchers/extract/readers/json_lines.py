"""JSON lines: one JSON value per line; a line that is not JSON is kept as free text.

Each line is a record on its own: a big file is read in blocks of whole lines
(`read_json_lines_blocks`), parsed by the scan's workers, like a CSV (blocks.py).
"""

import io
import json
from dataclasses import dataclass, field
from typing import Iterator

from ..cells import fit_cells
from ..limits import ExtractLimits
from ..notes import Notes, split_wide
from ..streams import buffered
from .blocks import BLOCK_BYTES, BLOCK_ENCODINGS, FIRST_RECORDS, RawBlock
from .flatten import flatten
from .lines import bounded_lines


def read_json_lines(text, limits: ExtractLimits, notes=None) -> Iterator[list[str]]:
    loads = json.loads
    for line in bounded_lines(text, limits.max_line_chars):
        line = line.strip()
        if not line:
            continue
        try:
            value = loads(line)
        except (ValueError, RecursionError):
            # chatter or a cut line: the matcher still finds identifiers in free text
            yield fit_cells([line], limits.max_cell_chars)
            continue
        cells, _ = flatten(value, limits.max_cells, limits.max_cell_chars, max_depth=limits.max_depth_json,
                           notes=notes)
        if cells:
            yield cells


@dataclass(frozen=True)
class JsonLinesBlock(RawBlock):
    """Whole lines of JSON lines. A RawBlock to whoever hands blocks on (its records are counted
    where it is read); ``delimiter`` is unused. What reading it skipped (values nested too deep)
    is counted in its ``notes``, for the reader to report with the document's."""

    notes: Notes = field(default_factory=Notes, compare=False, repr=False)

    def records(self) -> list[list[str]]:
        text = io.StringIO(self.data.decode(self.encoding, self.errors), newline="")
        rows = list(read_json_lines(text, self.limits, self.notes))
        most = self.limits.max_cells
        if rows and max(map(len, rows)) > most:  # as the document splits a wide record (document.py)
            rows = [part for row in rows for part in split_wide(row, most)]
        return rows

    def spans(self):
        return None


def read_json_lines_blocks(raw, encoding: str, errors: str, limits: ExtractLimits, notes=None,
                           block_bytes: int = BLOCK_BYTES, first_records: int = FIRST_RECORDS) -> Iterator:
    """Records (``list[str]``) and JsonLinesBlocks of the binary stream ``raw``, in order: the
    first records read here (a scan profiles them), then blocks of whole lines. When no line
    ends within a few MiB (an endless line), the rest is read here, line by line."""
    if encoding not in BLOCK_ENCODINGS:
        raise ValueError(f"blocks need an encoding in which a newline byte is a newline, not {encoding}")
    most = 4 * limits.max_line_chars + 2 * block_bytes
    enc, given, pending = encoding, 0, b""
    while len(pending) <= most:
        first = given < first_records
        chunk = raw.read(block_bytes // 8 if first else block_bytes)
        if not chunk:
            break
        pending += chunk
        cut = pending.rfind(b"\n") + 1
        if not cut:
            continue
        lines, pending = pending[:cut], pending[cut:]
        if first:
            rows = list(read_json_lines(io.StringIO(lines.decode(enc, errors), newline=""), limits, notes))
            given += len(rows)
            yield from rows
        else:
            yield JsonLinesBlock(lines, enc, errors, "", limits)
        # The rest starts mid-stream: a byte order mark there is a character, not a mark.
        enc = "utf-8" if encoding == "utf-8-sig" else encoding
    text = io.TextIOWrapper(buffered(pending, raw), encoding=enc, errors=errors, newline="")
    yield from read_json_lines(text, limits, notes)
