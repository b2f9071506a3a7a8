"""CSV/TSV: the stdlib csv module over bounded lines. This is the fast path (most dumps are CSV),
so no per-line Python work here beyond what bounded_lines does."""

import csv
from typing import Iterable, Iterator

from ..limits import ExtractLimits
from .lines import bounded_lines


def read_delimited(text, delimiter: str, skip_header: bool, limits: ExtractLimits) -> Iterator[list[str]]:
    return delimited_rows(bounded_lines(text, limits.max_line_chars), delimiter, skip_header, limits)


def delimited_rows(lines: Iterable[str], delimiter: str, skip_header: bool,
                   limits: ExtractLimits) -> Iterator[list[str]]:
    """Records of ``lines`` (bounded, with their line endings); blank lines are skipped."""
    # A quoted field may span lines, so the line cut alone does not bound a cell; the csv
    # module's own field limit does. The limit is process-wide: only ever raise it.
    if csv.field_size_limit() < limits.max_cell_chars:
        csv.field_size_limit(limits.max_cell_chars)
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    pending_header = skip_header
    while True:
        try:
            for row in reader:
                if not row:
                    continue  # blank line
                if pending_header:
                    pending_header = False
                    continue
                yield row  # a row wider than max_cells is split by the document (document.py)
            return
        except csv.Error:
            # "field larger than field limit": a stray quote swallowed lines. The reader starts
            # afresh on the next line, so carry on rather than lose the rest of the file.
            continue
