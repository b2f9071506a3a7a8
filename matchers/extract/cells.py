"""Cells longer than max_cell_chars, read in windows: a bound on what is held, never a cut.

A 3 MB notes field or JSON string is given out as several cells of at most ``max_chars``
characters, each overlapping the one before by a little, as a long line is (lines.py): an
identifier at the end of a huge cell is found, one astride a cut is whole in one window.
"""

from .readers.lines import OVERLAP_CHARS


def windows(text: str, max_chars: int) -> list[str]:
    """``text`` in windows of at most ``max_chars`` characters, overlapping by OVERLAP_CHARS
    (a quarter of a window at most)."""
    if len(text) <= max_chars:
        return [text]
    overlap = min(OVERLAP_CHARS, max_chars // 4)
    step = max_chars - overlap
    return [text[at:at + max_chars] for at in range(0, len(text) - overlap, step)]


def fit_cells(cells: list[str], max_chars: int) -> list[str]:
    """``cells`` with each cell longer than ``max_chars`` replaced by its windows, in place of it
    (the record gets wider; the document splits a record wider than max_cells)."""
    if max(map(len, cells), default=0) <= max_chars:
        return cells
    fitted: list[str] = []
    for cell in cells:
        if len(cell) <= max_chars:
            fitted.append(cell)
        else:
            fitted.extend(windows(cell, max_chars))
    return fitted
