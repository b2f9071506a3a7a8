"""Fields of lines written without delimiters, as pasted text tables are:

    DUPONT Jean  1961-12-05  06 12 34 56 78  75011
    MARTIN Luc 17/05/1970 0611223344

White space separates the fields, but also the parts of one value: a phone "06 12 34 56 78",
a date "05 12 1961" or "5 décembre 1961", a NIR "1 61 12 75 111 042 37". Those shapes are
found first and kept whole; a run of words between values stays one field (a name such as
"LE GALL Anne-Marie": its words are one person's name either way, and rows keep one width
whatever the number of words); any other token with a digit or an "@" is a field of its
own. Where a line has runs of two or more spaces (aligned columns), those always separate
fields, so "DUPONT   Jean" aligned gives two.

A line is only split once MIN_ROWS lines in a row have the same shape (the same kinds of
fields in the same order), with an identifier or a date among them: prose, even with a
date in it, stays one free-text cell.
"""

import re
from typing import Callable

from ..header import looks_like_header, names_a_column

MIN_ROWS = 3    # lines in a row that must share a shape before any of them is split
MAX_WORDS = 6   # a longer run of words is a sentence, not a name
WORD, NUMBER, DATE, PHONE, NIR, EMAIL = "word", "number", "date", "phone", "nir", "email"
_IDENTIFYING = frozenset((DATE, PHONE, NIR, EMAIL))

_SPACE = "[ \u00a0\u202f]"       # French phones are often pasted with (narrow) no-break spaces
_SEP = "[ \u00a0\u202f.\\-]"
_MONTH = ("(?:janv(?:ier)?|f[ée]vr?(?:ier)?|mars?|avr(?:il)?|mai|juin|juil(?:let)?|ao[uû]t?|sept?(?:embre)?|"
          "oct(?:obre)?|nov(?:embre)?|d[ée]c(?:embre)?|jan(?:uary)?|feb(?:ruary)?|march|apr(?:il)?|may|june?|"
          "july?|aug(?:ust)?|september|october|november|december)")
# One field per match, whole tokens only; the parts of a value, and the words of a run, are
# one space apart (a wider gap ends them). Values written over several tokens come first, and
# the order matters where two could start at one place: a date "05 12 1961" before a phone.
# Each branch is guarded by a lookahead on its first characters: most fail there.
_FIELD = re.compile(rf"""(?<!\S)(?:
    (?=[1-478]{_SPACE}\d)(?P<nir>[1-478]{_SPACE}\d{{2}}{_SPACE}\d{{2}}{_SPACE}(?:\d{{2}}|2[AB])
        {_SPACE}\d{{3}}{_SPACE}\d{{3}}(?:{_SPACE}\d{{2}})?)
  | (?=\d\d?(?:er)?\.?{_SPACE})(?P<date>\d{{1,2}}{_SPACE}\d{{1,2}}{_SPACE}\d{{4}}
        | \d{{1,2}}(?:er)?\.?{_SPACE}(?=[^\W\d_]){_MONTH}\.?,?{_SPACE}\d{{4}})
  | (?=\d{{4}}{_SPACE})(?P<ymd>\d{{4}}{_SPACE}\d{{1,2}}{_SPACE}\d{{1,2}})
  | (?=[^\W\d_]{{3,9}}\.?{_SPACE}\d)(?P<mdy>{_MONTH}\.?{_SPACE}\d{{1,2}}(?:st|nd|rd|th)?,?{_SPACE}\d{{4}})
  | (?=[0+])(?P<phone>(?:(?:\+|00)33{_SPACE}?(?:\(0\){_SPACE}?)?|0)[1-9](?:\d{{8}}|(?:{_SEP}\d{{2}}){{4}}))
  | (?=[1-478]\d{{4}})(?P<nir_token>[1-478]\d{{4}}(?:\d{{2}}|2[AB])\d{{6}}(?:\d{{2}})?)
  | (?=\d{{1,4}}[/.-])(?P<date_token>\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{2,4}})
  | (?=\+|00)(?P<phone_token>(?:\+|00)\d{{1,3}}[\d.()-]{{7,14}})
  | (?=[^@\s]+@)(?P<email>[^@\s]+@[^@\s]+\.[^@\s]+)
  | (?P<number>\S*[\d@]\S*)
  | (?P<word>[^\s\d@]+(?:{_SPACE}[^\s\d@]+)*)
)(?!\S)""", re.I | re.X)
_KIND = {"nir": NIR, "nir_token": NIR, "date": DATE, "ymd": DATE, "mdy": DATE, "date_token": DATE,
         "phone": PHONE, "phone_token": PHONE, "email": EMAIL, "number": NUMBER, "word": WORD}
_GAP = re.compile(r"\s{2,}|\t")
_DIGIT = re.compile(r"\d")


def split_fields(line: str) -> list[tuple[str, str]]:
    """(text, kind) of each field of ``line``, kinds as above."""
    kind = _KIND
    return [(m.group(), kind[m.lastgroup]) for m in _FIELD.finditer(line)]


def shape(fields: list[tuple[str, str]]) -> tuple[str, ...] | None:
    """The kinds of a line's fields if it reads as a record, else None."""
    if len(fields) < 2:
        return None
    kinds = tuple([kind for _, kind in fields])
    if _IDENTIFYING.isdisjoint(kinds):
        return None
    if WORD in kinds and any(kind == WORD and text.count(" ") >= MAX_WORDS for text, kind in fields):
        return None
    return kinds


def header_cells(line: str) -> list[str]:
    """A possible header line cut as its table's rows are: at gaps if it has any, else at spaces."""
    line = line.strip()
    return _GAP.split(line) if "  " in line or "\t" in line else line.split()


class WhitespaceTable:
    """Lines without delimiters, fed in order: each comes back as records, a line at a time as
    free text (``[line]``), or as fields once it is in a table. Lines that may start a table
    are held until MIN_ROWS of them agree, and the free-text line just before a table is held
    too: it is the table's header if it names its columns."""

    def __init__(self, on_header: Callable[[list[str]], None], max_cells: int, max_chars: int):
        self.on_header = on_header
        self.max_cells = max_cells
        self.max_chars = max_chars
        self.held: str | None = None                 # the last free-text line, not given out yet
        self.pending: list[tuple[str, list]] = []    # lines that may start a table, with their fields
        self.pending_shape: tuple | None = None
        self.in_table = False

    def _cells(self, fields: list[tuple[str, str]]) -> list[str]:
        return [text[:self.max_chars] for text, _ in fields]

    def add(self, line: str) -> list[list[str]]:
        has_value = "@" in line or _DIGIT.search(line) is not None
        fields = split_fields(line) if has_value else []
        kinds = shape(fields) if has_value else None
        if kinds is None:
            out = self.flush()
            self.held = line
            return out
        if self.in_table:  # a table goes on while lines read as records, whatever their shape
            return [self._cells(fields)]
        out = []
        if self.pending and kinds != self.pending_shape:
            out = self._as_text()
        self.pending.append((line, fields))
        self.pending_shape = kinds
        if len(self.pending) >= MIN_ROWS:
            out += self._start_table()
        return out

    def _start_table(self) -> list[list[str]]:
        rows = [self._cells(fields) for _, fields in self.pending]
        out = []
        if self.held is not None:
            header = header_cells(self.held)
            # Words one space apart are a sentence as often as a header ("Voici les patients"
            # over three columns): they must name a column; aligned labels need not.
            spaced = "  " in self.held or "\t" in self.held
            if len(header) == len(rows[0]) and looks_like_header(header, rows) and (
                    spaced or any(map(names_a_column, header))):
                self.on_header(header)
            else:
                out.append([self.held[:self.max_chars]])
            self.held = None
        self.pending, self.in_table = [], True
        return out + rows

    def _as_text(self) -> list[list[str]]:
        out = [[self.held[:self.max_chars]]] if self.held is not None else []
        out += [[line[:self.max_chars]] for line, _ in self.pending]
        self.held, self.pending = None, []
        return out

    def flush(self) -> list[list[str]]:
        """What is held, as free text: the lines that follow are not of this table."""
        self.in_table = False
        return self._as_text()
