"""JSON lines: one JSON value per line; a line that is not JSON is kept as free text."""

import json
from typing import Iterator

from ..cells import fit_cells
from ..limits import ExtractLimits
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
