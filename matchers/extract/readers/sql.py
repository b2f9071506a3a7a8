"""SQL dumps: every tuple of every INSERT/REPLACE ... VALUES is one record.

A small streaming tokenizer over the text, not a SQL parser: it knows strings (with \\' and ''
escapes), comments, identifiers, numbers and punctuation, which is all a dump's data needs.
Column names come from the INSERT's column list, or from the CREATE TABLE of that table.

PostgreSQL's `COPY ... FROM stdin;` (pg_dump's default) is followed by data lines that are no
SQL at all: the tokenizer hands its text over to readers/pg_copy.py until the "\\." line, so a
dump may mix both.
"""

import io
import itertools
import re
from dataclasses import dataclass
from typing import Callable, Iterator

from ..cells import windows
from ..errors import ReadFailed
from ..limits import ExtractLimits
from ..notes import split_wide_records
from . import pg_copy
from .blocks import BLOCK_BYTES, FIRST_RECORDS, RawBlock, read_in_blocks
from .lines import OVERLAP_CHARS

try:
    from . import _spans
except ImportError:  # not built: a dump is read in one process
    _spans = None

_CHUNK = 256 * 1024
# Possessive quantifiers (Python 3.11+): no backtracking blow-up on long strings.
_TOKEN = re.compile(r"""
    (?P<ws>\s++)
  | (?P<comment>--[^\n]*+\n?|\#[^\n]*+\n?|/\*.*?\*/)
  | (?P<str>(?:[NnEe](?='))?'(?:[^'\\]++|\\.|'')*+')
  | (?P<brk>\[[^\]\n]*+\])
  | (?P<dstr>"(?:[^"\\]++|\\.|"")*+")
  | (?P<bq>`(?:[^`]++|``)*+`)
  | (?P<word>[A-Za-z_][\w$]*+)
  | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<punct>.)
""", re.S | re.X)
# A token starting with one of these may be cut by the end of the buffer
_OPENERS = "'\"`/-#"
_ESCAPE = re.compile(r"\\(.)|''", re.S)
_ESCAPES = {"0": "", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "b": "\b"}
_INSERT_MODIFIERS = {"IGNORE", "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "INTO"}
# Calls whose first string is the value and the others its format or type (see SqlReader._tuple)
_CONVERSIONS = {"CAST", "TRY_CAST", "CONVERT", "TRY_CONVERT", "PARSE", "TRY_PARSE", "TO_DATE", "TO_TIMESTAMP",
                "TO_CHAR", "TO_NUMBER", "STR_TO_DATE", "DATE_FORMAT", "REPLACE", "DATE", "DATETIME", "TIMESTAMP"}
_NOT_COLUMNS = {"PRIMARY", "KEY", "UNIQUE", "CONSTRAINT", "INDEX", "FOREIGN", "FULLTEXT", "SPATIAL",
                "CHECK", "EXCLUDE", "PERIOD", "LIKE"}


def _unescape(text: str) -> str:
    if "\\" not in text and "''" not in text:
        return text
    return _ESCAPE.sub(lambda m: "'" if m.group(1) is None else _ESCAPES.get(m.group(1), m.group(1)), text)


def _unquote(kind: str, text: str) -> str:
    if kind == "str":  # N'...' (SQL Server's Unicode strings), E'...' (PostgreSQL's escapes): the prefix is no text
        return _unescape(text[2:-1] if text[0] != "'" else text[1:-1])
    if kind in ("dstr", "bq"):
        return text[1:-1].replace(text[0] * 2, text[0])
    if kind == "brk":  # [dbo].[Patients]: SQL Server's quoted names
        return text[1:-1]
    return text


class Position:
    """Where the tokenizer is in its text, shared with a reader that takes the raw text over
    for a while (the data lines after a COPY statement). Only kept up to date when a ";" is
    given out: a statement that hands the text over ends with one."""

    __slots__ = ("buf", "pos", "eof", "moved")

    def __init__(self):
        self.buf, self.pos, self.eof, self.moved = "", 0, False, False


def tokens(text, max_token_chars: int, at: Position | None = None) -> Iterator[tuple[str, str]]:
    """(kind, text) of significant tokens; whitespace and comments dropped. With ``at``, the
    text after a ";" may be read by someone else: the tokens go on where ``at`` was left."""
    buf, pos, eof = "", 0, False
    read = text.read
    match = _TOKEN.match
    while True:
        if pos >= len(buf):
            if eof:
                return
            buf, pos = read(_CHUNK), 0
            if not buf:
                return
            if "\x00" in buf:
                buf = buf.replace("\x00", "")
        m = match(buf, pos)
        if not eof and (m.end() == len(buf) or (m.lastgroup == "punct" and buf[pos] in _OPENERS)):
            more = read(_CHUNK)
            if more:
                if len(buf) - pos > max_token_chars:
                    cut = _string_cut(buf, pos)
                    if cut is None:
                        raise ReadFailed("SQL comment or quoted name longer than max_cell_chars")
                    # A string longer than a cell: given out in parts ("strpart", its quote and
                    # text), the rest read on as the same string, so nothing of it is held whole.
                    quote = pos + 1 if buf[pos] in "NnEe" else pos  # N'...': its prefix is no text
                    yield "strpart", buf[quote:cut]
                    buf, pos = buf[quote] + buf[cut:], 0
                buf, pos = buf[pos:] + more.replace("\x00", ""), 0
            else:
                eof = True
            continue
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws" and kind != "comment":
            value = m.group()
            if value != ";" or at is None:
                yield kind, value
                continue
            at.buf, at.pos, at.eof = buf, pos, eof
            yield kind, value
            if at.moved:
                buf, pos, eof, at.moved = at.buf, at.pos, at.eof, False


def _string_cut(buf: str, pos: int) -> int | None:
    """Where the string token starting at ``pos`` can be cut so that its rest, after its quote
    again, reads the same: after a character that is neither a backslash nor a quote, so no
    escape (\\x, '') is split. None if the token is no string."""
    if buf[pos] in "NnEe" and buf[pos + 1:pos + 2] == "'":
        pos += 1  # N'...': the string is after its prefix
    if buf[pos] not in "'\"":
        return None
    cut = len(buf) - 1
    while cut > pos + 1 and buf[cut - 1] in "\\'\"":
        cut -= 1
    return cut if cut > pos + 1 else None


class SqlReader:
    """Records of a dump; ``header`` is set when the first column list is seen."""

    def __init__(self, limits: ExtractLimits, on_header: Callable[[list[str]], None] | None = None):
        self.limits = limits
        self.on_header = on_header
        self.header: list[str] | None = None
        self.tables: dict[str, list[str]] = {}

    def _set_header(self, columns: list[str]) -> None:
        if self.header is None and columns:
            self.header = columns
            if self.on_header is not None:
                self.on_header(columns)

    def read(self, text) -> Iterator[list[str]]:
        self._text, self._at = text, Position()
        toks = tokens(text, self.limits.max_cell_chars, self._at)
        pending = None  # a token read ahead by a statement parser that starts the next statement
        while True:
            tok = pending or next(toks, None)
            pending = None
            if tok is None:
                return
            kind, value = tok
            word = value.upper() if kind == "word" else None
            if word in ("INSERT", "REPLACE"):
                pending = yield from self._insert(toks)
            elif word == "CREATE":
                pending = self._create(toks)
            elif word == "COPY":
                pending = yield from self._copy(toks)
            # anything else (SET, LOCK, DROP, chatter) is passed over token by token: a new
            # INSERT is recognised even if the junk before it lacks its ";"

    def _name(self, toks) -> tuple[str | None, tuple | None]:
        """A possibly qualified name (db.`table`); returns (last part, the token after it)."""
        name = None
        tok = next(toks, None)
        while tok is not None and tok[0] in ("word", "bq", "dstr", "brk"):
            name = _unquote(*tok)
            tok = next(toks, None)
            if tok is None or tok[1] != ".":
                return name, tok
            tok = next(toks, None)
        return name, tok

    def _columns(self, toks) -> tuple[list[str], tuple | None]:
        """Names inside "( a, `b`, "c" )", the opening paren already read."""
        columns: list[str] = []
        for kind, value in toks:
            if value == ")":
                return columns, next(toks, None)
            if kind in ("word", "bq", "dstr", "str", "brk"):
                columns.append(_unquote(kind, value))
        return columns, None

    def _insert(self, toks):
        tok = next(toks, None)
        while tok is not None and tok[0] == "word" and tok[1].upper() in _INSERT_MODIFIERS:
            tok = next(toks, None)
        if tok is None or tok[0] not in ("word", "bq", "dstr", "brk"):
            return tok
        # _name wants to read the name itself: re-feed the token we looked at
        table, tok = self._name(_chain(tok, toks))
        columns = None
        if tok is not None and tok[1] == "(":
            columns, tok = self._columns(toks)
        if tok is None or tok[0] != "word" or tok[1].upper() not in ("VALUES", "VALUE"):
            return tok  # INSERT ... SELECT, or broken: nothing to read
        self._set_header(columns or self.tables.get(table or "", []))
        max_cells, max_chars = self.limits.max_cells, self.limits.max_cell_chars
        while True:
            tok = next(toks, None)
            if tok is None or tok[1] != "(":
                return None if tok is None or tok[1] == ";" else tok
            cells = yield from self._tuple(toks, max_cells, max_chars)
            if cells is None:
                return None  # the dump ends inside a tuple (half-written file): drop it
            yield cells
            tok = next(toks, None)
            if tok is None or tok[1] == ";":
                return None
            if tok[1] != ",":
                return tok

    def _copy(self, toks):
        """COPY name [(columns)] FROM stdin [options];  then its data lines (pg_copy.py)."""
        table, tok = self._name(toks)
        columns = None
        if tok is not None and tok[1] == "(":
            columns, tok = self._columns(toks)
        for expected in ("FROM", "STDIN"):
            if tok is None or tok[0] != "word" or tok[1].upper() != expected:
                return tok  # COPY ... TO stdout, FROM 'a file': no data here
            tok = next(toks, None)
        options = []
        while tok is not None and tok[1] != ";":
            options.append((tok[0], _unquote(*tok)))
            tok = next(toks, None)
        fmt = pg_copy.copy_format(options)
        if tok is None or fmt is None:
            return None
        self._set_header(columns or self.tables.get(table or "", []))
        # The tokenizer stopped at the ";": the text after it is read as lines until "\.".
        lines = pg_copy.data_lines(self._at, self._text.read, self.limits.max_line_chars)
        yield from pg_copy.copy_records(lines, fmt, self.limits)
        return None

    def _tuple(self, toks, max_cells: int, max_chars: int):
        """The cells of a tuple (returned), or None if the dump ends inside it. A cell growing
        past max_chars (a string given in parts) is given out as it grows, as records of one
        window each (yielded), keeping only its last window's overlap.

        A cell written as an expression is its strings: CAST(N'1961-12-05' AS Date) and
        to_date('05-DEC-61', 'DD-MON-RR') the first string of the conversion (the others are its
        formats), CONCAT('a', 'b') all of its strings, DATE '1961-12-05' its string,
        N'a' + CHAR(13) + N'b' its strings (SQL Server, Oracle and ANSI dumps write them)."""
        cells: list[str] = []
        parts: list[str] = []
        literals: list[str] = []  # the cell's own strings, outside calls
        called: list[str] = []    # the strings inside calls
        function = None          # the cell's first word: the call's name
        size = 0
        depth = 1
        flushed = False
        overlap = min(OVERLAP_CHARS, max_chars // 4)
        for kind, value in toks:
            if depth == 1 and value in (",", ")"):
                if not flushed and literals and len(parts) > len(literals):
                    cell = " ".join(literals)
                elif not flushed and not literals and called:
                    cell = called[0] if function in _CONVERSIONS else " ".join(called)
                else:
                    cell = "".join(parts)
                cells.extend(windows(cell, max_chars))  # a tuple wider than max_cells is split by the document
                parts, literals, called, function, size, flushed = [], [], [], None, 0, False
                if value == ")":
                    return cells
                continue
            if value == "(":
                depth += 1
            elif value == ")":
                depth -= 1
            if kind == "word" and value.upper() == "NULL" and depth == 1:
                continue  # NULL is no value: an empty cell
            if kind == "strpart":
                quote, text = value[0], value[1:]
                part = _unescape(text) if quote == "'" else text.replace(quote * 2, quote)
            else:
                part = _unquote(kind, value) if kind in ("str", "dstr") else value
            if kind == "str":
                (literals if depth == 1 else called).append(part)
            elif kind == "word" and function is None and depth == 1:
                function = value.upper()
            parts.append(part)
            size += len(part)
            if size > max_chars:
                flushed = True
                text = "".join(parts)
                while len(text) > max_chars:
                    yield [text[:max_chars]]
                    text = text[max_chars - overlap:]
                parts, size = [text], len(text)
        return None

    def _create(self, toks):
        tok = next(toks, None)
        if tok is None or tok[0] != "word" or tok[1].upper() not in ("TABLE", "TEMPORARY"):
            return tok
        while tok is not None and tok[0] == "word" and tok[1].upper() in ("TABLE", "TEMPORARY", "IF", "NOT",
                                                                          "EXISTS"):
            tok = next(toks, None)
        if tok is None:
            return None
        table, tok = self._name(_chain(tok, toks))
        if tok is None or tok[1] != "(":
            return tok
        columns: list[str] = []
        depth, at_start = 1, True
        for kind, value in toks:
            if value == "(":
                depth += 1
            elif value == ")":
                depth -= 1
                if depth == 0:
                    break
            elif value == "," and depth == 1:
                at_start = True
                continue
            if at_start and depth == 1:
                at_start = False
                if kind in ("bq", "dstr", "brk") or (kind == "word" and value.upper() not in _NOT_COLUMNS):
                    columns.append(_unquote(kind, value))
        if table and columns:
            self.tables[table] = columns  # the header, once this table's first INSERT is seen
        return None


def _chain(first, rest):
    # itertools.chain, not a generator with "yield from": collecting that generator would
    # close the shared token stream with it
    return itertools.chain((first,), rest)


def read_sql(text, limits: ExtractLimits, on_header=None) -> Iterator[list[str]]:
    return SqlReader(limits, on_header).read(text)


@dataclass(frozen=True)
class SqlBlock(RawBlock):
    """Whole statements of a dump, ending after a ';' outside strings, comments and parentheses
    (_spans.sql_cut): read on their own, they give the records the whole dump gives there. A
    RawBlock to whoever hands blocks on; ``delimiter`` is unused."""

    def records(self) -> list[list[str]]:
        try:
            rows = list(SqlReader(self.limits).read(io.StringIO(self.data.decode(self.encoding, self.errors))))
        except ReadFailed as exc:  # a limit: the block is reported as unread (scanner.scan_job)
            raise ValueError(str(exc)) from None
        return split_wide_records(rows, self.limits.max_cells)

    def spans(self):
        return None


def read_sql_blocks(raw, encoding: str, errors: str, limits: ExtractLimits, on_header=None,
                    block_bytes: int = BLOCK_BYTES, first_records: int = FIRST_RECORDS) -> Iterator:
    """Records (``list[str]``) and SqlBlocks of the binary stream ``raw``, in order: the first
    records read here (the header, the CREATE TABLEs, what a scan profiles), then blocks of
    whole statements (blocks.read_in_blocks). From a COPY, a string or comment longer than a
    cell, or when no statement ends within a few MiB, the rest is read here, by the same reader."""
    if _spans is None:
        raise ValueError("SQL blocks need the splitter (_spans)")
    reader = SqlReader(limits, on_header)
    longest = min(limits.max_cell_chars, limits.max_line_chars) - 2
    return read_in_blocks(raw, encoding, errors, reader.read, lambda data, enc: SqlBlock(data, enc, errors, "", limits),
                          cut=lambda data: _spans.sql_cut(data, longest),
                          most=4 * limits.max_cell_chars + 2 * block_bytes, block_bytes=block_bytes,
                          first_records=first_records)


def sniff_header(sample: str, limits: ExtractLimits) -> list[str] | None:
    """The column names of the first INSERT in ``sample`` (the beginning of the dump)."""
    reader = SqlReader(limits)
    try:
        for _ in reader.read(io.StringIO(sample)):
            break
    except ReadFailed:
        pass
    if reader.header is None and reader.tables:
        return next(iter(reader.tables.values()))
    return reader.header
