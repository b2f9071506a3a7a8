"""PostgreSQL COPY data: the lines that follow `COPY table (columns) FROM stdin;` in a dump
(pg_dump's default output), up to the line "\\.".

The text format is one record per line, fields separated by a tab, with backslash escapes:
\\N is NULL (an empty cell here, as a SQL NULL is), \\t \\n \\r \\b \\f \\v, \\ooo (octal) and \\xhh
(hex) bytes, and a backslash before any other character stands for that character. The CSV
format (WITH (FORMAT csv)) is read with the csv module. Lines are read from the text in
chunks, never a whole block at once: a COPY block can hold millions of lines.
"""

import csv
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from ..cells import fit_cells
from ..limits import ExtractLimits
from .lines import OVERLAP_CHARS

_CHUNK = 256 * 1024
# The end marker on a line of its own (a data line never is "\." alone: its backslash would be
# escaped), with the line end it must have inside a chunk.
_END_LINE = re.compile(r"^\\\.\r?\n", re.M)
_END = "\\."
# A run of byte escapes (the UTF-8 bytes of one character may be written as several), or one
# other escaped character. Left to right, so "\\101" is a backslash followed by "101".
_ESCAPE = re.compile(r"((?:\\(?:[0-7]{1,3}|x[0-9A-Fa-f]{1,2}))+)|\\(.)", re.S)
_BYTE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2}))")
_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_TRUE = {"TRUE", "ON", "1", "MATCH"}
_FALSE = {"FALSE", "OFF", "0"}


@dataclass(frozen=True)
class CopyFormat:
    delimiter: str = "\t"
    null: str = "\\N"
    csv: bool = False
    quote: str = '"'
    header: bool = False


def copy_format(options: list[tuple[str, str]]) -> CopyFormat | None:
    """The format named by the options after "FROM stdin" (``(kind, unquoted text)`` tokens, in
    both the `WITH (FORMAT csv, DELIMITER ',')` and the older `DELIMITER ',' CSV HEADER`
    syntax), or None for the binary format, which is not text."""
    words: list[tuple[str, str]] = []
    for kind, value in options:
        if kind == "str" and words and words[-1] == ("word", "E"):
            words.pop()  # E'\t': PostgreSQL's escape-string prefix, read as a word of its own
        if kind == "word":
            words.append((kind, value.upper()))
        elif kind == "str" or value not in "(),":
            words.append((kind, value))
    values: dict[str, str | bool] = {}
    i = 0
    while i < len(words):
        kind, word = words[i]
        i += 1
        if kind != "word":
            continue
        if i < len(words) and words[i] == ("word", "AS"):
            i += 1
        following = words[i] if i < len(words) else ("", "")
        if word in ("DELIMITER", "NULL", "QUOTE") and following[0] == "str":
            values[word] = following[1]
            i += 1
        elif word == "FORMAT":
            values[word] = following[1].upper()
            i += 1
        elif word in ("CSV", "BINARY", "TEXT"):
            values["FORMAT"] = word
        elif word == "HEADER":
            given = following[1].upper()
            values[word] = given in _TRUE or given not in _FALSE  # a bare HEADER is true
            i += given in _TRUE or given in _FALSE
    fmt = values.get("FORMAT", "TEXT")
    if fmt == "BINARY":
        return None
    is_csv = fmt == "CSV"
    delimiter = str(values.get("DELIMITER", ""))[:1] or ("," if is_csv else "\t")
    null = str(values.get("NULL", "" if is_csv else "\\N"))
    quote = str(values.get("QUOTE", ""))[:1] or '"'
    return CopyFormat(delimiter, null, is_csv, quote, bool(values.get("HEADER", False)))


def _overlap(max_chars: int) -> int:
    return min(OVERLAP_CHARS, max_chars // 4)


def _windows(line: str, max_chars: int) -> list[str]:
    """``line`` in windows of ``max_chars``, overlapping a little (bounded_lines' windows)."""
    if len(line) <= max_chars:
        return [line]
    step = max_chars - _overlap(max_chars)
    return [line[at:at + max_chars] for at in range(0, len(line) - _overlap(max_chars), step)]


def data_lines(at, read, max_line_chars: int) -> Iterator[str]:
    """The data lines (without their line end) of the COPY statement whose ";" the tokenizer
    stopped at. ``at`` is the tokenizer's Position: it is left just after the "\\." line, or at
    the end of the text if the dump was cut before it. ``read`` reads more of the text."""
    buf, pos, eof = at.buf, at.pos, at.eof
    skipping = True  # the rest of the statement's own line is not data
    while True:
        end = buf.rfind("\n", pos)
        if end < 0:
            if eof:
                line = buf[pos:]
                if line and not skipping and line.rstrip("\r") != _END:
                    yield from _windows(line, max_line_chars)  # the last line, without its line end
                break
            if len(buf) - pos > max_line_chars:
                # A line longer than the limit: given out in windows (as bounded_lines does), never
                # held whole; the statement's own line is dropped.
                if skipping:
                    buf, pos = "", 0
                else:
                    yield buf[pos:pos + max_line_chars]
                    buf, pos = buf[pos + max_line_chars - _overlap(max_line_chars):], 0
            more = read(_CHUNK)
            if more:
                buf, pos = buf[pos:] + (more.replace("\x00", "") if "\x00" in more else more), 0
            else:
                eof = True
            continue
        marker = _END_LINE.search(buf, pos, end + 1)
        stop = marker.start() if marker else end + 1
        lines = buf[pos:stop - 1].split("\n") if stop > pos else []
        if stop - pos > max_line_chars:
            lines = [window for line in lines for window in _windows(line, max_line_chars)]
        if skipping and lines:
            lines = lines[1:]
            skipping = False
        elif skipping and marker:
            skipping = False
        yield from lines
        if marker:
            at.buf, at.pos, at.eof, at.moved = buf, marker.end(), eof, True
            return
        pos = end + 1
    at.buf, at.pos, at.eof, at.moved = "", 0, True, True


def _bytes(run: str) -> str:
    data = bytes((int(octal, 8) if octal else int(hexa, 16)) & 0xFF for octal, hexa in _BYTE.findall(run))
    data = data.replace(b"\x00", b"")  # PostgreSQL refuses a NUL; a dump holds none
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _unescape_match(m: re.Match) -> str:
    run, char = m.groups()
    if run is not None:
        return _bytes(run)
    return _SIMPLE.get(char, char)


def unescape(field: str) -> str:
    """A text-format field without its escapes ("\\N" is not a field: see split_line)."""
    return _ESCAPE.sub(_unescape_match, field) if "\\" in field else field


def _odd_backslashes(text: str) -> bool:
    return (len(text) - len(text.rstrip("\\"))) % 2 == 1


def split_line(line: str, delimiter: str = "\t", null: str = "\\N") -> list[str]:
    """The unescaped fields of one text-format line; the NULL marker gives ""."""
    parts = line.split(delimiter)
    if "\\" not in line:
        return parts if null == "\\N" or null not in parts else ["" if p == null else p for p in parts]
    if "\\" + delimiter in line or line.endswith("\\"):
        # "\<delimiter>" is a delimiter inside a field (pg_dump writes "\t" instead, others may not)
        joined: list[str] = []
        for p in parts:
            if joined and _odd_backslashes(joined[-1]):
                joined[-1] += delimiter + p
            else:
                joined.append(p)
        parts = joined
    return ["" if p == null else unescape(p) if "\\" in p else p for p in parts]


def copy_records(lines: Iterable[str], fmt: CopyFormat, limits: ExtractLimits) -> Iterator[list[str]]:
    if fmt.csv:
        yield from _csv_records(lines, fmt, limits)
        return
    max_chars = limits.max_cell_chars
    delimiter, null = fmt.delimiter, fmt.null
    plain = null == "\\N"  # then a line without a backslash has nothing to unescape
    # Most backslashes of a dump are NULLs: a line whose only escapes are "\N" fields is
    # split without looking at each field (twice: adjacent NULLs share a delimiter).
    null_field, no_field = f"{delimiter}\\N{delimiter}", delimiter * 2
    header = fmt.header
    for line in lines:
        if not line:
            continue
        if line[-1] == "\r":
            line = line[:-1]
        if not plain:
            cells = split_line(line, delimiter, null)
        elif "\\" not in line:
            cells = line.split(delimiter)
        else:
            wrapped = f"{delimiter}{line}{delimiter}".replace(null_field, no_field).replace(null_field, no_field)
            cells = wrapped[1:-1].split(delimiter) if "\\" not in wrapped else split_line(line, delimiter, null)
        if header:
            header = False
            continue
        if len(line) > max_chars:
            cells = fit_cells(cells, max_chars)  # windows, never cut
        yield cells


def _csv_records(lines: Iterable[str], fmt: CopyFormat, limits: ExtractLimits) -> Iterator[list[str]]:
    max_chars = limits.max_cell_chars
    if csv.field_size_limit() < max_chars:
        csv.field_size_limit(max_chars)
    rows = csv.reader((line + "\n" for line in lines), delimiter=fmt.delimiter, quotechar=fmt.quote, strict=False)
    header = fmt.header
    for cells in rows:
        if not cells:
            continue
        if header:
            header = False
            continue
        if fmt.null:
            cells = ["" if c == fmt.null else c for c in cells]
        yield cells
