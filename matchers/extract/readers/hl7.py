"""HL7 v2 messages: what laboratory and hospital systems exchange, and so what their archives hold.

A laboratory's results leave its system as HL7 v2 messages (ORU^R01, ADT^A..): segments of
fields, one segment a line (CR, LF or CRLF), each message opened by its MSH segment, which
also names the message's separators. The patient is in the PID segment: identifiers (the
INS/NIR among them), names (family^given, the birth name as a repetition), birth date and
time, sex, addresses and phone numbers. Each PID segment is one record, in the fixed columns
of HEADER (repetitions past them, a third identifier or a second address, in `other_values`), so that a message archive is one table: the profile sees names, dates and
postcodes in their own columns, and a leaked archive is matched as an export of the same
patients is. The text of the segments that follow a PID is its record's last cell, `notes`, as
a lab export's comment column is: results and comments (OBX values, NTE comments: 'sérologie
VIH positive') and every other segment's values (next of kin, guarantor, insurance, orders), in
which identifiers are found as in free text. Segments before a message's first PID make a record
of notes alone; only MSH, the message's own header, gives no cell.
"""

from typing import Iterator

from ..cells import fit_cells
from ..limits import ExtractLimits
from .lines import bounded_lines

HEADER = ["patient_id", "patient_id_2", "family_name", "given_name", "birth_family_name", "birth_given_name",
          "birth_date", "sex", "street", "city", "postcode", "phone", "phone_2", "email", "ssn", "other_values", "notes"]
# MSH-1 and MSH-2 (component, repetition, escape, subcomponent): the standard's own by default
_DEFAULT_SEPARATORS = "|^~\\&"


def is_hl7(lines: list[str]) -> bool:
    """A sample whose first segment is an MSH segment: 'MSH|^~\\&|...'."""
    first = next((line.strip() for line in lines if line.strip()), "")
    # the field separator, four encoding characters (five from v2.7), the separator again; none
    # of them a letter, a digit or a space
    if len(first) < 10 or not first.startswith("MSH"):
        return False
    codes = first[3:first.find(first[3], 4)]
    return 5 <= len(codes) <= 6 and not any(c.isalnum() or c.isspace() for c in codes)


class _Separators:
    def __init__(self, msh: str):
        field, codes = msh[3], msh[4:8]
        self.field = field
        self.component, self.repetition, self.escape, self.subcomponent = (codes + _DEFAULT_SEPARATORS[1:])[:4]

    def unescape(self, value: str) -> str:
        """\\F\\ \\S\\ \\R\\ \\T\\ \\E\\ as the separators they stand for; other escapes (formatting,
        hexadecimal) as a space: they are never part of a name or an identifier."""
        e = self.escape
        if e not in value:
            return value
        codes = {"F": self.field, "S": self.component, "R": self.repetition, "T": self.subcomponent, "E": e}
        out, at = [], 0
        while True:
            start = value.find(e, at)
            end = value.find(e, start + 1) if start >= 0 else -1
            if end < 0:
                out.append(value[at:])
                return "".join(out)
            out.append(value[at:start])
            out.append(codes.get(value[start + 1:end], " "))
            at = end + 1

    def repetitions(self, field: str) -> list[list[str]]:
        """A field's repetitions, each a list of its components (the first subcomponent of each)."""
        return [[self.unescape(c.split(self.subcomponent)[0]) for c in rep.split(self.component)]
                for rep in field.split(self.repetition) if rep]


def _part(components: list[str], index: int) -> str:
    return components[index].strip() if index < len(components) else ""


def pid_record(fields: list[str], sep: _Separators) -> list[str]:
    """The cells of HEADER from a PID segment's fields (fields[0] is 'PID')."""
    def field(number: int) -> list[list[str]]:
        return sep.repetitions(fields[number]) if number < len(fields) else []

    ids = [i for i in (_part(rep, 0) for rep in field(3) + field(2)) if i]
    names = field(5)
    # The legal name first (type L), then the others: the birth name (type M, or the mother's maiden
    # name field for an older sender) is the second.
    names.sort(key=lambda rep: _part(rep, 6) not in ("L", ""))
    if len(names) < 2 and field(6):
        names.append(field(6)[0])
    addresses = [[" ".join(p for p in (_part(a, 0), _part(a, 1)) if p), _part(a, 2), _part(a, 4)] for a in field(11)]
    phones = [rep for number in (13, 14) for rep in field(number)]
    numbers = [n for n in (_part(rep, 0) or " ".join(p for p in (_part(rep, 5), _part(rep, 6)) if p)
                           for rep in phones) if n]
    emails = [_part(rep, 3) for rep in phones if "@" in _part(rep, 3)]
    born = _part(field(7)[0], 0) if field(7) else ""
    # Repetitions past the columns (a third identifier, an alias, a second address) are not lost:
    # they are read as free text, where identifiers are found.
    others = ids[2:] + [f"{_part(n, 1)} {_part(n, 0)}".strip() for n in names[2:]] + \
        [" ".join(a) for a in addresses[1:]] + numbers[2:] + emails[1:]
    legal, birth = (names + [[], []])[:2]
    return [
        *(ids + ["", ""])[:2],
        _part(legal, 0), _part(legal, 1), _part(birth, 0), _part(birth, 1),
        born[:8] if born[:8].isdigit() else born,
        _part(field(8)[0], 0) if field(8) else "",
        *(addresses[0] if addresses else ["", "", ""]),
        *(numbers + ["", ""])[:2],
        emails[0] if emails else "",
        _part(field(19)[0], 0) if field(19) else "",
        "; ".join(o for o in others if o),
    ]


def _note(fields: list[str], sep: _Separators) -> str:
    """The text of a segment: an OBX's test name (OBX-3) and value (OBX-5), an NTE's comment
    (NTE-3), any other segment's values after its set id."""
    if fields[0] == "OBX":
        test = sep.repetitions(fields[3])[0] if len(fields) > 3 and fields[3] else []
        parts = [_part(test, 1)] + _texts(fields, 5, sep)
    elif fields[0] == "NTE":
        parts = _texts(fields, 3, sep)
    else:
        parts = [text for number in range(2, len(fields)) for text in _texts(fields, number, sep)]
    return " ".join(p for p in parts if p)


def _texts(fields: list[str], number: int, sep: _Separators) -> list[str]:
    if number >= len(fields):
        return []
    return [" ".join(c.strip() for c in rep if c.strip()) for rep in sep.repetitions(fields[number])]


def read_hl7(text, limits: ExtractLimits) -> Iterator[list[str]]:
    """One record per PID segment, in HEADER's columns, its notes those of the segments after it.

    A record's notes are given out with it before they pass max_cell_chars, and those after in
    records of notes alone: a PID followed by a million results never fills memory."""
    sep = _Separators("MSH" + _DEFAULT_SEPARATORS)
    record, notes, size = None, [], 0

    def given():
        return fit_cells(record + ["; ".join(notes)], limits.max_cell_chars)

    for line in bounded_lines(text, limits.max_line_chars):
        segment = line.strip("\r\n")
        kind = segment[:3]
        if kind == "MSH" and len(segment) > 8:
            if record is not None:
                yield given()
            record, notes, size = None, [], 0
            sep = _Separators(segment)
        elif segment[3:4] != sep.field:
            continue
        elif kind == "PID":
            if record is not None:
                yield given()
            record, notes, size = pid_record(segment.split(sep.field), sep), [], 0
        elif kind != "MSH":
            note = _note(segment.split(sep.field), sep)
            if note and record is None:
                record = [""] * (len(HEADER) - 1)  # before the message's first PID: notes alone
            if note and notes and size + len(note) > limits.max_cell_chars:
                yield given()
                record, notes, size = [""] * (len(HEADER) - 1), [], 0
            if note:
                notes.append(note)
                size += len(note) + 2
    if record is not None:
        yield given()
