"""CSV/TSV in blocks of whole lines, so that other processes can parse most of a big file.

Turning bytes into cells is most of the cost of reading a big delimited file. This reader
cuts the byte stream after line ends, about 1 MiB at a time, and gives out a block whose
lines each end outside quotes (checked in C: every line of a block without a quote does) as
a `RawBlock`, unparsed. Then every line is one record, so such a block parsed on its own, by
another process, gives exactly the records that parsing the whole stream gives there. A block
with a quoted field running on past its line is parsed here, and its records are given out
only once it ends at a record boundary (the field may run on into the next block). Records
and blocks come out in the stream's order.

Only for encodings in which the byte 0x0A is never part of another character.
"""

import io
from dataclasses import dataclass
from itertools import chain
from typing import Iterator

from ..limits import ExtractLimits
from ..notes import split_wide_records
from ..streams import buffered
from .delimited import delimited_rows, read_delimited
from .lines import bounded_lines

try:
    from . import _spans
except ImportError:  # not built: a block with quotes is parsed where it is read
    _spans = None

BLOCK_BYTES = 1 << 20
# Records parsed here before any block is given out: a scan profiles a table's columns from
# its first 2,000 rows (match/scanner.py, PROFILE_SAMPLE), and so from the same rows whoever
# parses the rest.
FIRST_RECORDS = 2000
BLOCK_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "ascii", "latin-1", "cp1252"})
# Parsed after a block's last line, it comes out as a row of its own if the block ended at a
# record boundary, and inside a field if a quoted field was still open. No input line holds
# a NUL (bounded_lines removes them), so no real row looks like it.
_END_LINE = "\x00\n"
_END_ROW = ["\x00"]


@dataclass(frozen=True)
class RawBlock:
    """Whole lines of a delimited stream, each ending outside quotes, and how to read them."""

    data: bytes
    encoding: str
    errors: str
    delimiter: str
    limits: ExtractLimits

    def records(self) -> list[list[str]]:
        text = self.data.decode(self.encoding, self.errors)
        rows = _split_plain(text, self.delimiter, self.limits)
        if rows is None:
            rows = list(read_delimited(io.StringIO(text, newline=""), self.delimiter, False, self.limits))
        return split_wide_records(rows, self.limits.max_cells)

    def spans(self):
        """The records as CellSpans (spans.py) when they are cut in C as `records` would cut
        them; None when they must be read by `records`."""
        from .spans import CellSpans

        return CellSpans.cut(self.data, self.encoding, self.errors, self.delimiter,
                             _longest_plain_line(self.limits), self.limits.max_cells)


def _longest_plain_line(limits: ExtractLimits) -> int:
    # A line, its line end and its NULs counted, shorter than both limits: never cut, no field too long.
    return min(limits.max_line_chars, limits.max_cell_chars) - 2


def _split_plain(text: str, delimiter: str, limits: ExtractLimits) -> list[list[str]] | None:
    """The records of quote-free lines, by splitting them, when the csv module would give just
    that: no quote, no line it would cut or find a field too long in, no lone CR (a line end to
    it). None otherwise. A third cheaper than the csv module here, which spends it on a
    generator per line."""
    if '"' in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    longest_allowed = _longest_plain_line(limits)
    if len(text) > longest_allowed and max(map(len, lines)) > longest_allowed:
        return None
    if "\x00" in text:  # padding or corruption, never data (as bounded_lines)
        lines = [line.replace("\x00", "") for line in lines]
    return [line.split(delimiter) for line in lines if line]


def read_delimited_blocks(raw, encoding: str, errors: str, delimiter: str, skip_header: bool,
                          limits: ExtractLimits, block_bytes: int = BLOCK_BYTES,
                          first_records: int = FIRST_RECORDS) -> Iterator:
    """Records (``list[str]``) and RawBlocks of the binary stream ``raw``, in order.

    When no record boundary turns up within a few MiB (an endless line, a quoted field that
    never closes), the rest of the stream is read here, record by record, as read_delimited would.
    """
    if encoding not in BLOCK_ENCODINGS:
        raise ValueError(f"blocks need an encoding in which a newline byte is a newline, not {encoding}")
    # Past this, stop looking for a boundary: a quoted field may hold max_cell_chars characters
    # of up to 4 bytes before the csv module gives up on it.
    most = 4 * max(limits.max_line_chars, limits.max_cell_chars) + 2 * block_bytes
    # The first records are always parsed here: whoever reads the blocks sees them, header
    # skipped, before any block. The other processes wait for them: they are read in small
    # pieces, only until there are first_records.
    enc, first, header, given = encoding, True, skip_header, 0
    pending = b""
    while len(pending) <= most:
        chunk = raw.read(block_bytes // 8 if first else block_bytes)
        if not chunk:
            break
        pending += chunk
        cut = pending.rfind(b"\n") + 1
        if not cut:
            continue
        lines = pending[:cut]
        if not first and (b'"' not in lines or _lines_end_outside_quotes(lines, delimiter, limits)):
            yield RawBlock(lines, enc, errors, delimiter, limits)
        else:
            rows = _complete_records(lines, enc, errors, delimiter, limits)
            if rows is None:
                continue  # a quoted field runs on past these lines
            if header and rows:
                rows, header = rows[1:], False
            given += len(rows)
            first = header or given < first_records
            yield from rows
        pending = pending[cut:]
        # The rest starts mid-stream: a byte order mark there is a character, not a mark.
        enc = "utf-8" if encoding == "utf-8-sig" else encoding
    text = io.TextIOWrapper(buffered(pending, raw), encoding=enc, errors=errors, newline="")
    yield from read_delimited(text, delimiter, header, limits)


def last_line_end(data: bytes) -> tuple[int, bool]:
    """(where the last line of ``data`` ends, after its LF, or 0; False): the cut of a reader
    whose lines are records on their own (read_in_blocks)."""
    return data.rfind(b"\n") + 1, False


def read_in_blocks(raw, encoding: str, errors: str, read, block, cut=last_line_end, most: int = 0,
                   block_bytes: int = BLOCK_BYTES, first_records: int = FIRST_RECORDS) -> Iterator:
    """Records and blocks of the binary stream ``raw``, in order, for a reader that carries
    nothing past the places ``cut`` finds: a combo list's or JSON lines' line ends, a paste's
    blank lines, a dump's statement ends.

    The first records are read here, by ``read`` (a text stream -> its records): a scan profiles
    them, and whoever reads the blocks sees them first. They are read in small pieces, only until
    there are ``first_records``. Then ``block(data, encoding)`` of the bytes up to each cut, read
    wherever it goes. ``cut(data)`` is (where its last cut ends, 0 for none; True when no later
    cut may be made). When that says stop, or no cut comes within ``most`` bytes (an endless
    line), the rest is read here, by ``read``.
    """
    if encoding not in BLOCK_ENCODINGS:
        raise ValueError(f"blocks need an encoding in which a newline byte is a newline, not {encoding}")
    enc, given, pending = encoding, 0, b""
    while len(pending) <= most:
        first = given < first_records
        chunk = raw.read(block_bytes // 8 if first else block_bytes)
        if not chunk:
            break
        pending += chunk
        at, stop = cut(pending)
        if at:
            data, pending = pending[:at], pending[at:]
            if first:
                rows = list(read(io.StringIO(data.decode(enc, errors), newline="")))
                given += len(rows)
                yield from rows
            else:
                yield block(data, enc)
            # The rest starts mid-stream: a byte order mark there is a character, not a mark.
            enc = "utf-8" if encoding == "utf-8-sig" else encoding
        if stop:
            break
    yield from read(io.TextIOWrapper(buffered(pending, raw), encoding=enc, errors=errors, newline=""))


def _lines_end_outside_quotes(lines: bytes, delimiter: str, limits: ExtractLimits) -> bool:
    """Whether each line ends outside quotes, as the csv module reads them (checked in C): then
    each line is a record, and the block parsed alone gives the records the stream gives."""
    if _spans is None or len(delimiter) != 1 or not delimiter.isascii():
        return False
    return _spans.closed(lines, delimiter, _longest_plain_line(limits))


def _complete_records(lines: bytes, encoding: str, errors: str, delimiter: str,
                      limits: ExtractLimits) -> list[list[str]] | None:
    """The records of ``lines`` if they end at a record boundary, else None."""
    if b'"' not in lines:
        # Quote-free lines, each ending with its line end (lines is cut after one): each is a
        # record, which splitting gives where the csv module would (a third of its cost).
        rows = _split_plain(lines.decode(encoding, errors), delimiter, limits)
        if rows is not None:
            return rows
    ended = chain(bounded_lines(_decoded(lines, encoding, errors), limits.max_line_chars), (_END_LINE,))
    rows = list(delimited_rows(ended, delimiter, False, limits))
    if rows and rows[-1] == _END_ROW:
        rows.pop()
        return rows
    return None


def _decoded(data: bytes, encoding: str, errors: str) -> io.TextIOWrapper:
    # newline="": line endings reach the csv module untouched, as in the walker's own reading
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors=errors, newline="")
