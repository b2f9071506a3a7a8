"""Records of a block as the spans of their cells: where each cell is in the block's bytes
(delimited lines, cut in C by _spans.c) or in its text (free text, read by _text.c).

A big dump's blocks are most of a scan's work, and making a str of every cell, then looking
each up in the tokenizer's cache, was a third of that. The C tokenizer reads the cells where
they are (fingerprint/_tokenize.c, `Batcher.batch_spans`); anything else reads records out of a
CellSpans as from a list: a record is made when it is asked for. Records of free text made in
Python (a table's header candidate, a quoted line, a whitespace table's rows) come as lists.
"""

from collections.abc import Sequence

try:
    from . import _spans
except ImportError:  # not built: blocks are split in Python (blocks._split_plain)
    _spans = None


class CellSpans(Sequence):
    """The records of a block: a sequence of ``list[str]``, made on demand."""

    __slots__ = ("data", "encoding", "errors", "rows", "bounds", "made")

    def __init__(self, data: bytes | str, encoding: str | None, errors: str | None, rows: bytes, bounds: bytes,
                 made: list | None = None):
        # data: the block's bytes (decoded with encoding, errors) or its text.
        self.data, self.encoding, self.errors = data, encoding, errors
        # rows: index of each record's first cell (one past the last record's at the end);
        # bounds: a (start, end) offset pair per cell. Native uint32, as _spans.cut and _text.rows give.
        self.rows = memoryview(rows).cast("I")
        self.bounds = memoryview(bounds).cast("I")
        # made: None, or per record the list Python made of it (its cells have no bounds), or None.
        self.made = made

    @classmethod
    def cut(cls, data: bytes, encoding: str, errors: str, delimiter: str, longest: int, max_cells: int):
        """The block's records as CellSpans, or None when only Python reads them (RawBlock.records)."""
        if _spans is None or len(delimiter) != 1 or not delimiter.isascii():
            return None
        found = _spans.cut(data, delimiter, longest, max_cells)
        if found is None:
            return None
        rows, bounds, odd = found
        made = None
        if odd:
            # Records with an escaped quote: read from their line by the csv module, as the whole
            # block would be (each ends its line outside quotes: _spans.c).
            import csv

            triples = memoryview(odd).cast("I").tolist()
            made = [None] * (len(memoryview(rows).cast("I")) - 1)
            for i in range(0, len(triples), 3):
                line = data[triples[i + 1]:triples[i + 2]].decode(encoding, errors)
                made[triples[i]] = next(csv.reader([line], delimiter=delimiter, strict=False))
        return cls(data, encoding, errors, rows, bounds, made)

    @classmethod
    def cut_combo(cls, data: bytes, encoding: str, errors: str, longest: int, max_cells: int):
        """A combo list's lines as CellSpans (combo.ComboBlock), or None when only Python reads them."""
        if _spans is None:
            return None
        found = _spans.cut_combo(data, longest, max_cells)
        return None if found is None else cls(data, encoding, errors, found[0], found[1])

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
        if self.made is not None and self.made[i] is not None:
            return list(self.made[i])
        data, bounds, cells = self.data, self.bounds, range(self.rows[i], self.rows[i + 1])
        if isinstance(data, str):
            return [data[bounds[2 * c]:bounds[2 * c + 1]] for c in cells]
        return [data[bounds[2 * c]:bounds[2 * c + 1]].decode(self.encoding, self.errors) for c in cells]

    def _widths(self, count: int) -> list[int]:
        rows = self.rows[:min(count, len(self)) + 1].tolist()
        widths = [b - a for a, b in zip(rows, rows[1:])]
        if self.made is not None:
            widths = [w if made is None else len(made) for w, made in zip(widths, self.made)]
        return widths

    def widths(self, count: int) -> set[int]:
        """The numbers of cells of the first `count` records."""
        return set(self._widths(count))

    @property
    def width(self) -> int:
        """The most cells a record has."""
        if self.made is None and len(self) > 1:
            import numpy as np  # loaded already where spans are tokenized

            # The widest gap between records' first cells, without a Python int per record.
            return int(np.diff(np.frombuffer(self.rows, dtype=np.uint32)).max())
        return max(self._widths(len(self)), default=0)

    def column(self, j: int, first: int, wanted: int) -> list[str]:
        """The first `wanted` non-empty cells of column `j` among the first `first` records:
        `[v for v in [r[j] for r in self[:first] if j < len(r)] if v][:wanted]`, decoding only those."""
        found = []
        for i in range(min(first, len(self))):
            made = self.made[i] if self.made is not None else None
            if made is not None:
                value = made[j] if j < len(made) else ""
            else:
                c = self.rows[i] + j
                if c >= self.rows[i + 1]:
                    continue
                start, end = self.bounds[2 * c], self.bounds[2 * c + 1]
                if start == end:
                    continue
                value = self.data[start:end]
                if not isinstance(value, str):
                    value = value.decode(self.encoding, self.errors)
            if value:
                found.append(value)
                if len(found) == wanted:
                    break
        return found
