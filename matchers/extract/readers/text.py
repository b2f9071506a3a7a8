"""Free text, as found on paste sites: prose around data. Pipe and ASCII tables, blocks of
delimited lines and tables of lines without delimiters (fields.py) become cells; any other
line is one cell (the matcher finds identifiers in free text itself). CSV-shaped input never
comes this way, but a big paste's tables do: a block of it is read by `text_rows`, whose loop
over lines runs in C (_text.c) and must give what read_text gives."""

import csv
import io
import re
from typing import Callable, Iterator

from ..cells import fit_cells
from ..errors import ExtractError
from ..header import is_label, looks_like_header
from ..limits import ExtractLimits
from .lines import bounded_lines

try:
    from . import _text
except ImportError:  # not built (no compiler at install time): read_text reads every block
    _text = None

# "+----+----+", "|---|:---:|", "-----", "====", once box-drawing characters are mapped to these
_BORDER = re.compile(r"[-+|:= ]*[-=]{3,}[-+|:= ]*")
_BORDER_FIRST = frozenset("-+|:= ")
_BOX = re.compile("[\u2500-\u257f]")
_BOX_VERTICAL = set("\u2502\u2503\u2506\u2507\u250a\u250b\u2551")
_DELIMITERS = (";", "\t", "|", ",")


def _unbox(line: str) -> str:
    if line.isascii() or not _BOX.search(line):
        return line
    return _BOX.sub(lambda m: "|" if m.group() in _BOX_VERTICAL else "-", line)


def is_border(line: str) -> bool:
    # Most lines start with a letter or digit: no need to run the pattern on them.
    return line[:1] in _BORDER_FIRST and bool(_BORDER.fullmatch(line))


def is_pipe_row(line: str) -> bool:
    return line.startswith("|") and line.count("|") >= 2


def split_pipe(line: str) -> list[str]:
    inner = line[1:]
    if inner.endswith("|"):
        inner = inner[:-1]
    return [cell.strip() for cell in inner.split("|")]


def _delimiter(line: str, neighbours: list[str]) -> str | None:
    """The delimiter of a line inside a block of lines that share it (same count on a
    neighbouring line); a lone line needs two ';' or tabs to count."""
    for d in _DELIMITERS:
        n = line.count(d)
        if not n or (d == "," and ", " in line):  # ", " is prose punctuation far more than a separator
            continue
        if any(other.count(d) == n for other in neighbours if other):
            return d
        if d in ";\t" and n >= 2:
            return d
    return None


def _split(line: str, delimiter: str) -> list[str]:
    if '"' not in line:  # nothing quoted: what csv would give, without a reader per line
        return [c.strip() for c in line.split(delimiter)]
    try:
        return [c.strip() for c in next(csv.reader([line], delimiter=delimiter), [])]
    except csv.Error:  # a lone CR inside the line ("new-line character seen in unquoted field")
        return [c.strip() for c in line.split(delimiter)]


def read_text(text, limits: ExtractLimits, on_header: Callable[[list[str]], None]) -> Iterator[list[str]]:
    # Imported here: compiling its patterns takes 12 ms, and a CSV never needs them (it only
    # needs is_border and is_pipe_row, to be told from free text).
    from .fields import WhitespaceTable

    max_cells, max_chars = limits.max_cells, limits.max_cell_chars

    def cut(cells: list[str]) -> list[str]:
        return fit_cells(cells, max_chars)  # a longer cell in windows, never cut

    stopped: list[ExtractError] = []
    lines = _until_stopped((_unbox(line.strip()) for line in bounded_lines(text, limits.max_line_chars)), stopped)
    previous = ""           # the previous non-border line ("" after a blank line)
    previous_kind = None    # "pipe", a delimiter, or None
    spaced = WhitespaceTable(on_header, max_cells, max_chars)  # lines with neither: held a little
    current = next(lines, None)
    while current is not None:
        following = next(lines, None)
        line, after = current, following or ""
        current = following
        if not line:
            yield from spaced.flush()
            previous, previous_kind = "", None
            continue
        if is_border(line):
            continue  # keeps the table going: data rows follow a header's separator
        if is_pipe_row(line):
            yield from spaced.flush()
            cells = split_pipe(line)
            first_row = previous_kind != "pipe"
            previous, previous_kind = line, "pipe"
            # a table's first row followed by a separator line is its header
            if first_row and is_border(after) and _pipe_header(cells):
                on_header(cells)
                continue
            yield cut(cells)
            continue
        d = _delimiter(line, [previous, after])
        if d is None:
            previous, previous_kind = line, None
            yield from spaced.add(line)
            continue
        yield from spaced.flush()
        cells = _split(line, d)
        first_row = previous_kind != d
        previous, previous_kind = line, d
        if first_row and after.count(d) == line.count(d) and _delimited_header(cells, after, d):
            on_header(cells)
            continue
        yield cut(cells)
    yield from spaced.flush()
    if stopped:
        raise stopped[0]


def _until_stopped(lines: Iterator[str], stopped: list) -> Iterator[str]:
    """``lines`` until the stream below stops (a limit, a truncation): the error is kept in
    ``stopped`` and raised after the lines already read, since the reader looks one line ahead
    and would otherwise lose the line it holds."""
    try:
        yield from lines
    except ExtractError as exc:
        stopped.append(exc)


def text_rows(text: str, limits: ExtractLimits, on_header: Callable[[list[str]], None],
              native: bool = True) -> list[list[str]]:
    """``list(read_text(...))`` of the whole str ``text``: the same records, read in C when it can.

    The C loop calls back here for what is rare (a table's first row, a quoted line, lines
    without delimiters), and declines what read_text alone does (a line read in windows, a
    cell cut in windows, NULs, box-drawing characters).
    """
    rows = _read_in_c(text, limits, on_header, spans=False) if native and _text is not None else None
    if rows is None:
        rows = list(read_text(io.StringIO(text, newline=""), limits, on_header))
    return rows


def text_spans(text: str, limits: ExtractLimits, on_header: Callable[[list[str]], None]):
    """The records `text_rows` gives, as (rows, bounds, made) for a CellSpans (spans.py) of
    `text`; None when only Python reads this text."""
    return None if _text is None else _read_in_c(text, limits, on_header, spans=True)


def _read_in_c(text: str, limits: ExtractLimits, on_header, spans: bool):
    from .fields import WhitespaceTable

    max_cells, max_chars = limits.max_cells, limits.max_cell_chars
    spaced = WhitespaceTable(on_header, max_cells, max_chars)
    # Shorter than both limits, with its line end: never read in windows, never holds a cell that would be.
    longest = min(limits.max_line_chars, max_chars) - 2
    return _text.rows(text, longest, _pipe_header, _delimited_header, _split, spaced.add, spaced.flush, on_header,
                      spans)


def _pipe_header(cells: list[str]) -> bool:
    return any(cells) and all(is_label(c) for c in cells if c)


def _delimited_header(cells: list[str], after: str, d: str) -> bool:
    return looks_like_header(cells, [_split(after, d)])
