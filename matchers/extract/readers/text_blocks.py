"""Free text in blocks that end at a blank line, so that other processes can read most of a big paste.

read_text (text.py) carries nothing past a blank line: there it flushes the lines it held and
forgets the line before. A block of whole lines that ends with a blank line, read on its own,
therefore gives exactly the records that reading the whole stream gives there. This reader
cuts the byte stream after the last blank line of about 1 MiB and gives the block out as a
`TextBlock`, unread; the scan's workers read it (match/scanner.py). The first records are read
here, as blocks.py does for CSV: the scan profiles its first batch from them.

A "blank line" here is one of spaces, tabs and CRs between two LFs: blank to read_text whatever
the line endings. Lines blank only to str.strip (a no-break space) are not cut at: that loses
nothing but a place to cut. A stream with no blank line within a few MiB is read here, line by
line, as read_text would.

Only for encodings in which the byte 0x0A is never part of another character (blocks.py).
"""

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from ..limits import ExtractLimits
from ..notes import split_wide_records
from .blocks import BLOCK_BYTES, FIRST_RECORDS, RawBlock, read_in_blocks
from .text import read_text, text_rows, text_spans

_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")


def _ignore_header(columns: list[str]) -> None:
    """A worker's table header goes nowhere: only a document's first one is kept, read here."""


@dataclass(frozen=True)
class TextBlock(RawBlock):
    """Whole lines of free text ending with a blank line. A RawBlock to whoever hands blocks on
    (its records are counted where it is read); ``delimiter`` is unused."""

    def records(self) -> list[list[str]]:
        rows = text_rows(self.data.decode(self.encoding, self.errors), self.limits, _ignore_header)
        return split_wide_records(rows, self.limits.max_cells)

    def spans(self):
        """The records as CellSpans of the block's text (spans.py), read by _text.c as `records`
        reads them; None when they must be read by `records`."""
        from .spans import CellSpans

        text = self.data.decode(self.encoding, self.errors)
        found = text_spans(text, self.limits, _ignore_header)
        if found is None:
            return None
        spans = CellSpans(text, None, None, *found)
        return spans if spans.width <= self.limits.max_cells else None  # a wide record is split by `records`


def read_text_blocks(raw, encoding: str, errors: str, limits: ExtractLimits,
                     on_header: Callable[[list[str]], None], block_bytes: int = BLOCK_BYTES,
                     first_records: int = FIRST_RECORDS) -> Iterator:
    """Records (``list[str]``) and TextBlocks of the binary stream ``raw``, in order (blocks.read_in_blocks)."""
    return read_in_blocks(raw, encoding, errors, lambda text: read_text(text, limits, on_header),
                          lambda data, enc: TextBlock(data, enc, errors, "", limits),
                          cut=lambda data: (_last_blank_line_end(data), False),
                          most=4 * limits.max_line_chars + 2 * block_bytes,  # past this, stop looking for a blank line
                          block_bytes=block_bytes, first_records=first_records)


def _last_blank_line_end(data: bytes) -> int:
    """Where the last blank line of ``data`` ends (after its LF), or 0 if it has none."""
    end = 0
    # Searching back from the end: a block holds thousands of blank lines, only the last counts.
    start = max(0, len(data) - (1 << 16))
    while True:
        for match in _BLANK_LINE.finditer(data, start):
            end = match.end()
        if end or start == 0:
            return end
        start = max(0, start - (1 << 20))
