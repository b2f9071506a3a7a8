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
from ..notes import split_wide_records
from .blocks import BLOCK_BYTES, FIRST_RECORDS, RawBlock, _longest_plain_line, read_in_blocks
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
        return split_wide_records(rows, self.limits.max_cells)

    def spans(self):
        """The records as CellSpans, the lines cut in C as `records` reads them (_spans.c
        cut_combo); None when they must be read by `records`."""
        from .spans import CellSpans

        return CellSpans.cut_combo(self.data, self.encoding, self.errors, _longest_plain_line(self.limits),
                                   self.limits.max_cells)


def read_combo_blocks(raw, encoding: str, errors: str, limits: ExtractLimits, block_bytes: int = BLOCK_BYTES,
                      first_records: int = FIRST_RECORDS) -> Iterator:
    """Records (``list[str]``) and ComboBlocks of the binary stream ``raw``, in order: the first
    records read here, then blocks of whole lines (blocks.read_in_blocks)."""
    return read_in_blocks(raw, encoding, errors, lambda text: read_combo(text, limits),
                          lambda data, enc: ComboBlock(data, enc, errors, "", limits),
                          most=4 * limits.max_line_chars + 2 * block_bytes, block_bytes=block_bytes,
                          first_records=first_records)
