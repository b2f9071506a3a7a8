"""The excerpt a sighting keeps of its matched rows: where they are and which kinds of
fields they hold, nothing of their values.

One line per kept row, e.g. `row 17: nir | name | name | date | postcode | phone | health_note`:
the dump's row number (counted as `evidence_rows` counts) and, per cell, the kind
`cells.classify` gives it (free text with identifiers inside reads `text(email,phone)`).
Every word of a line is a fixed word of this code, so it carries no character, length or
domain of a value. The redaction used before kept each cell's first character and word
lengths: `s•••••••••• •••` read as "séropositif HIV", and a NIR kept its sex digit.
Sightings stored before keep that older text; `predates` tells it apart, so pages can say so.
"""

import re

from ..fingerprint.cells import OTHER, classify

MAX_CELLS = 32          # cells described per row; a wider row says how many more it has
UNREADABLE = "unreadable"  # a cell classify fails on (a bug): its kind, never its value
_KIND = r"[a-z_]+(?:\([a-z_,]+\))?"
_LINE = re.compile(rf"row \d+: {_KIND}(?: \| {_KIND})*(?: \| … \d+ more cells?)?")


def cell_kind(value, classify=classify) -> str:
    """The kind of one cell, plus the kinds of identifiers found in it when it is free text.

    classify: cells.classify, or a tokenizer's (the same Cells, cached: a scan's rows were
    classified already, and classifying them again was 1.5 % of its workers)."""
    if not isinstance(value, str):
        return OTHER
    try:
        cell = classify(value)
    except Exception:  # noqa: BLE001 - a value no normalizer foresaw: its kind is unknown, the row still counts
        return UNREADABLE
    found = sorted({kind for kind, _ in cell.found})
    return f"{cell.kind}({','.join(found)})" if found else cell.kind


def row_kinds(cells, classify=classify) -> str:
    """The kinds of a row's cells, `|`-separated; at most MAX_CELLS of them."""
    cells = list(cells)
    text = " | ".join(cell_kind(c, classify) for c in cells[:MAX_CELLS])
    more = len(cells) - MAX_CELLS
    if more > 0:
        text += f" | … {more} more cell{'s' if more > 1 else ''}"
    return text


def excerpt_line(row: int, kinds: str) -> str:
    return f"row {row}: {kinds}"


def predates(excerpt: str) -> bool:
    """Whether a stored excerpt is the older redaction (first characters and lengths of values)."""
    lines = [line for line in (excerpt or "").splitlines() if line.strip()]
    return bool(lines) and not all(_LINE.fullmatch(line) for line in lines)
