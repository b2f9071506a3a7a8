"""Records of quote-free delimited lines as the byte spans of their cells (cut in C, _spans.c).

A big CSV's block is most of a scan's work, and making a str of every cell, then looking each
up in the tokenizer's cache, was a third of that. The C tokenizer reads the spans where they
are (fingerprint/_tokenize.c, `Batcher.batch_spans`); anything else reads records out of a
CellSpans as from a list: a record is decoded when it is asked for.
"""

from collections.abc import Sequence

try:
    from . import _spans
except ImportError:  # not built: blocks are split in Python (blocks._split_plain)
    _spans = None


class CellSpans(Sequence):
    """The records of a block of lines: a sequence of ``list[str]``, decoded on demand."""

    __slots__ = ("data", "encoding", "errors", "rows", "bounds")

    def __init__(self, data: bytes, encoding: str, errors: str, rows: bytes, bounds: bytes):
        self.data, self.encoding, self.errors = data, encoding, errors
        # rows: index of each record's first cell (one past the last record's at the end);
        # bounds: a (start, end) byte offset pair per cell. Native uint32, as _spans.cut gives.
        self.rows = memoryview(rows).cast("I")
        self.bounds = memoryview(bounds).cast("I")

    @classmethod
    def cut(cls, data: bytes, encoding: str, errors: str, delimiter: str, longest: int, max_cells: int):
        """The block's records as CellSpans, or None when only Python reads it as `_split_plain` does."""
        if _spans is None or len(delimiter) != 1 or not delimiter.isascii():
            return None
        found = _spans.cut(data, delimiter, longest, max_cells)
        return None if found is None else cls(data, encoding, errors, *found)

    def __len__(self) -> int:
        return len(self.rows) - 1

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._record(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("record index out of range")
        return self._record(index)

    def _record(self, i: int) -> list[str]:
        data, bounds = self.data, self.bounds
        return [data[bounds[2 * c]:bounds[2 * c + 1]].decode(self.encoding, self.errors)
                for c in range(self.rows[i], self.rows[i + 1])]

    def widths(self, count: int) -> set[int]:
        """The numbers of cells of the first `count` records."""
        rows = self.rows[:min(count, len(self)) + 1].tolist()
        return {b - a for a, b in zip(rows, rows[1:])}

    @property
    def width(self) -> int:
        """The most cells a record has."""
        rows = self.rows.tolist()
        return max((b - a for a, b in zip(rows, rows[1:])), default=0)
