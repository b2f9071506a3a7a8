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
from ..notes import Notes, split_wide_records
from .blocks import BLOCK_BYTES, FIRST_RECORDS, RawBlock, read_in_blocks
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
        return split_wide_records(rows, self.limits.max_cells)

    def spans(self):
        return None


def read_json_lines_blocks(raw, encoding: str, errors: str, limits: ExtractLimits, notes=None,
                           block_bytes: int = BLOCK_BYTES, first_records: int = FIRST_RECORDS) -> Iterator:
    """Records (``list[str]``) and JsonLinesBlocks of the binary stream ``raw``, in order: the
    first records read here (what they skip counted in ``notes``), then blocks of whole lines
    (blocks.read_in_blocks)."""
    return read_in_blocks(raw, encoding, errors, lambda text: read_json_lines(text, limits, notes),
                          lambda data, enc: JsonLinesBlock(data, enc, errors, "", limits),
                          most=4 * limits.max_line_chars + 2 * block_bytes, block_bytes=block_bytes,
                          first_records=first_records)
