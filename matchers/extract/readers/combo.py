"""Combo lists: "email:password" (or ";" / "|") per line, as traded after credential leaks."""

from typing import Iterator

from ..cells import fit_cells
from ..limits import ExtractLimits
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
