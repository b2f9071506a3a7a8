"""Combo lists: "email:password" (or ";" / "|") per line, as traded after credential leaks.

The biggest files on the forums are combo lists, and each line is a record on its own: read
in blocks of whole lines (`read_combo_blocks`), a list is parsed by the scan's workers, like a
CSV (blocks.py).
"""

import io
from dataclasses import dataclass
from typing import Iterator

from ..cells import fit_cells
from ..limits import ExtractLimits
from ..streams import buffered
from ..notes import split_wide
from .blocks import BLOCK_BYTES, BLOCK_ENCODINGS, FIRST_RECORDS, RawBlock, _longest_plain_line
from .lines import bounded_lines

SEPARATORS = ":;|"


def split_combo(line: str) -> list[str] | None:
    """[email, password, ...] or None if the line is not a combo line. The separator is the first
    of ":;|" after the "@", so passwords may contain any of them."""
    at = line.find("@")
    if at <= 0:
        return None
    positions = [p for p in (line.find(sep, at) for sep in SEPARATORS) if p > at]
    if not positions:
        return None
    cut = min(positions)
    email, sep = line[:cut].strip(), line[cut]
    if " " in email or "." not in email[at:]:
        return None
    return [email] + line[cut + 1:].split(sep)


def read_combo(text, limits: ExtractLimits) -> Iterator[list[str]]:
    max_chars = limits.max_cell_chars
    for line in bounded_lines(text, limits.max_line_chars):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        cells = split_combo(line)
        if cells is None:
            yield fit_cells([line.strip()], max_chars)  # chatter between the lines: free text
        else:
            yield fit_cells(cells, max_chars)


@dataclass(frozen=True)
class ComboBlock(RawBlock):
    """Whole lines of a combo list. A RawBlock to whoever hands blocks on (its records are
    counted where it is read); ``delimiter`` is unused: each line finds its own."""

    def records(self) -> list[list[str]]:
        text = io.StringIO(self.data.decode(self.encoding, self.errors), newline="")
        rows = list(read_combo(text, self.limits))
        most = self.limits.max_cells
        if rows and max(map(len, rows)) > most:  # as the document splits a wide record (document.py)
            rows = [part for row in rows for part in split_wide(row, most)]
        return rows

    def spans(self):
        """The records as CellSpans, the lines cut in C as `records` reads them (_spans.c
        cut_combo); None when they must be read by `records`."""
        from .spans import CellSpans

        return CellSpans.cut_combo(self.data, self.encoding, self.errors, _longest_plain_line(self.limits),
                                   self.limits.max_cells)


def read_combo_blocks(raw, encoding: str, errors: str, limits: ExtractLimits, block_bytes: int = BLOCK_BYTES,
                      first_records: int = FIRST_RECORDS) -> Iterator:
    """Records (``list[str]``) and ComboBlocks of the binary stream ``raw``, in order: the first
    records read here (a scan profiles them), then blocks of whole lines. When no line ends
    within a few MiB (an endless line), the rest is read here, line by line."""
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
            rows = list(read_combo(io.StringIO(lines.decode(enc, errors), newline=""), limits))
            given += len(rows)
            yield from rows
        else:
            yield ComboBlock(lines, enc, errors, "", limits)
        # The rest starts mid-stream: a byte order mark there is a character, not a mark.
        enc = "utf-8" if encoding == "utf-8-sig" else encoding
    text = io.TextIOWrapper(buffered(pending, raw), encoding=enc, errors=errors, newline="")
    yield from read_combo(text, limits)
