"""CSV/TSV: the stdlib csv module over bounded lines. This is the fast path (most dumps are CSV),
so no per-line Python work here beyond what bounded_lines does."""

import csv
from typing import Iterable, Iterator

from ..cells import fit_cells
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
    kept: list[str] = []
    reader = csv.reader(_keeping(lines, kept), delimiter=delimiter, strict=False)
    pending_header = skip_header
    while True:
        try:
            for row in reader:
                kept.clear()
                if not row:
                    continue  # blank line
                if pending_header:
                    pending_header = False
                    continue
                yield row  # a row wider than max_cells is split by the document (document.py)
            return
        except csv.Error:
            # "field larger than field limit": a quoted field longer than max_cell_chars (a
            # huge notes cell), or a stray quote that swallowed lines. The lines it took are
            # not lost: each is given out as free text (windows of max_cell_chars), and the
            # reader starts afresh on the next line.
            for line in kept:
                text = line.rstrip("\r\n")
                if text.strip():
                    yield fit_cells([text], limits.max_cell_chars)
            kept.clear()
            continue


def _keeping(lines: Iterable[str], kept: list[str]) -> Iterator[str]:
    """``lines``, each also appended to ``kept``: what the csv reader took since its last record
    (the caller clears it), at most max_cell_chars and a line or two, since the csv module stops
    a field at its field limit."""
    for line in lines:
        kept.append(line)
        yield line
