"""Recognise the format of a document from its first (decoded) characters.

The file name is never consulted: leaks are renamed, pastes have no name. Each test looks at
a few hundred lines of the sample; the order matters (JSON, SQL and combo lists are also
"delimited" to a naive eye).
"""

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass

from .header import looks_like_header
from .limits import ExtractLimits
from .readers.combo import split_combo
from .readers.flatten import flatten
from .readers.hl7 import HEADER as HL7_HEADER, is_hl7
from .readers.xml_document import is_xml
from .readers.text import is_border, is_pipe_row, read_text

_SNIFF_LINES = 200
# Candidate CSV delimiters, most common first (ties go to the earlier one).
DELIMITERS = (",", ";", "\t", "|", ":", "^", "~", "#", "\x1f", "\x01")
_MIN_CONSISTENCY = 0.8   # share of sample lines with the most common field count
# ... and SQLite's .dump (PRAGMA), Oracle SQL Developer's and SQL*Plus's (REM, PROMPT), SQL Server's scripts (GO)
_SQL_START = re.compile(r"(?:INSERT|REPLACE|CREATE|DROP|SET|LOCK|UNLOCK|USE|BEGIN|START|COMMIT|ALTER|COPY|PRAGMA|REM|"
                        r"PROMPT|GO|/\*!)\b",
                        re.I)
# INTO is optional in SQL Server's INSERT [dbo].[Patients] (...)
_SQL_DATA = re.compile(r"^\s*(?:INSERT|REPLACE)\s+(?:\w+\s+)*?(?:INTO\b|\[)|^\s*CREATE\s+TABLE\b", re.I | re.M)
# pg_dump's data: "COPY public.patients (nir, nom) FROM stdin;", on one line
_PG_COPY = re.compile(r"^COPY\s+[^\n;]*?\bFROM\s+stdin\b", re.I | re.M)
# Comments, and psql meta-commands (\restrict, \connect) that pg_dump writes before any SQL
_COMMENT = ("--", "#", "/*", "\\")


@dataclass(frozen=True)
class Sniffed:
    format: str                      # csv tsv sql pg_copy jsonl json xml combo hl7 text, or "empty"
    delimiter: str | None = None     # csv/tsv
    header: list[str] | None = None
    skip_header: bool = False        # csv/tsv: the first row is the header, not a record
    json_prefix: str | None = None   # json: ijson prefix of the records


def sniff(text: str, at_eof: bool, limits: ExtractLimits) -> Sniffed:
    stripped = text.lstrip()
    if not stripped:
        return Sniffed("empty")
    lines = text.splitlines()
    if not at_eof and len(lines) > 1:
        lines = lines[:-1]  # the sample cut the last line
    lines = [line for line in lines if line.strip()][:_SNIFF_LINES]

    if stripped[0] == "<" and is_xml(stripped, at_eof):
        return Sniffed("xml")
    if stripped[0] in "[{":
        found = _json(stripped, lines, at_eof, limits)
        if found is not None:
            return found
    else:
        found = _json_lines_in_chatter(lines, limits)
        if found is not None:
            return found
    if is_hl7(lines):
        return Sniffed("hl7", header=list(HL7_HEADER))
    if _is_sql(lines, text):
        from .readers import sql  # imported by the dumps that need it, as json_document is

        return Sniffed("pg_copy" if _PG_COPY.search(text) else "sql", header=sql.sniff_header(text, limits))
    if _is_combo(lines) and not looks_like_header(*_first_rows(lines)):
        return Sniffed("combo")
    if not any(is_border(line.strip()) for line in lines) and not _pipe_table(lines):
        found = _delimited(lines)
        if found is not None:
            return found
    return Sniffed("text", header=_text_header(text, limits))


def _pipe_table(lines: list[str]) -> bool:
    """Lines of an ASCII or Markdown table ('| a | b |'), which the text reader reads: at least
    half of them start with a pipe. A pipe-delimited export has some such lines too, the
    records whose first cell is empty: read as a table's rows, they would lose that cell and
    their columns would shift, so the export is read as delimited."""
    return sum(1 for line in lines if is_pipe_row(line.strip())) * 2 >= len(lines)


def _text_header(text: str, limits: ExtractLimits) -> list[str] | None:
    """The first table header in the sample, found by the text reader itself."""
    found: list[list[str]] = []
    for _ in read_text(io.StringIO(text), limits, found.append):
        if found:
            break
    return found[0] if found else None


def _json(stripped: str, lines: list[str], at_eof: bool, limits: ExtractLimits) -> Sniffed | None:
    if stripped[0] == "{":
        values = []
        for line in lines[:2]:
            try:
                values.append(json.loads(line))
            except (ValueError, RecursionError):
                break
        # JSON lines: two objects on their first two lines, or a whole one-line file that is
        # a record rather than a wrapper around an array of records
        if values and all(isinstance(v, dict) for v in values) and (
                len(values) == 2 or (at_eof and len(lines) == 1 and not _holds_records(values[0]))):
            _, keys = flatten(values[0], limits.max_cells, limits.max_cell_chars, with_keys=True)
            return Sniffed("jsonl", header=keys or None)
    from .readers import json_document  # and ijson with it: only a document that starts as JSON does

    found = json_document.layout(stripped.encode("utf-8", errors="replace"), limits)
    if found is None:
        return None
    prefix, header = found
    return Sniffed("json", header=header, json_prefix=prefix)


# JSON lines after a few lines of chatter ("sample, rest in PM", then the records): at most
# this many lines before the first object, and most lines objects. The JSON lines reader
# keeps the chatter as free text.
_CHATTER_BEFORE_JSON = 5
_JSON_LINES_SHARE = 0.6


def _json_lines_in_chatter(lines: list[str], limits: ExtractLimits) -> Sniffed | None:
    objects = []
    first = None
    for n, line in enumerate(lines):
        line = line.strip()
        if not (line.startswith("{") and line.endswith("}")):
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            objects.append(value)
            first = n if first is None else first
    if len(objects) < 2 or first > _CHATTER_BEFORE_JSON or len(objects) < _JSON_LINES_SHARE * len(lines):
        return None
    _, keys = flatten(objects[0], limits.max_cells, limits.max_cell_chars, with_keys=True)
    return Sniffed("jsonl", header=keys or None)


def _holds_records(obj: dict) -> bool:
    return any(isinstance(v, list) and v and isinstance(v[0], (dict, list)) for v in obj.values())


def _is_sql(lines: list[str], text: str) -> bool:
    first = next((line.strip() for line in lines if not line.lstrip().startswith(_COMMENT)), None)
    if first is None:
        return False
    return bool(_SQL_START.match(first)) and bool(_SQL_DATA.search(text) or _PG_COPY.search(text))


def _first_rows(lines: list[str]) -> tuple[list[str], list[list[str]]]:
    """First row and a few more, split on the first combo separator found in the first line."""
    sep = next((c for c in lines[0] if c in ":;|"), ":") if lines else ":"
    rows = [line.split(sep) for line in lines[:20]]
    return (rows[0] if rows else []), rows[1:]


def _is_combo(lines: list[str]) -> bool:
    """Mostly "email<sep>password" lines, with one separator per line (a CSV whose first
    column is an e-mail has several)."""
    seps = []
    for line in lines:
        cells = split_combo(line.strip())
        if cells is not None:
            seps.append(len(cells) - 1)
    if len(seps) < max(1, 0.6 * len(lines)):
        return False
    return sorted(seps)[len(seps) // 2] == 1


def _delimited(lines: list[str]) -> Sniffed | None:
    best = None
    for d in DELIMITERS:
        if not any(d in line for line in lines[:50]):
            continue
        counts = [len(row) for row in csv.reader(lines, delimiter=d, strict=False)]
        if not counts:
            continue
        width, freq = Counter(counts).most_common(1)[0]
        consistency = freq / len(counts)
        if width < 2 or consistency < _MIN_CONSISTENCY:
            continue
        score = (round(consistency, 2), width)
        if best is None or score > best[0]:
            best = (score, d)
    if best is None:
        return None
    d = best[1]
    rows = list(csv.reader(lines[:50], delimiter=d, strict=False))
    is_header = looks_like_header(rows[0], rows[1:]) if rows else False
    header = [c.strip() for c in rows[0]] if is_header else None
    return Sniffed("tsv" if d == "\t" else "csv", delimiter=d, header=header, skip_header=is_header)
