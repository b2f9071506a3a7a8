"""Phone numbers to E.164.

Hand-written for French numbering rather than calling libphonenumber: the scan path
normalizes every phone cell of a 200,000-row dump and phonenumbers.parse costs about
30 µs a call, more than the rest of the pipeline for that cell.
"""

import re

_STRIP = str.maketrans("", "", " .-()/\u00a0")
PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:\+|00)?\d[\d .\-()]{7,18}\d(?!\d)")


def normalize_phone(value: str) -> str | None:
    """'06.10.01.20.46', '+33 6 10 01 20 46', '0033610012046' -> '+33610012046'."""
    if len(value) == 14 and value[2] == " " and value[0] == "0" and value[1] != "0":
        # The common case, '06 10 01 20 46'.
        compact = value.replace(" ", "")
        return "+33" + compact[1:] if len(compact) == 10 and compact.isdecimal() else None
    compact = value.translate(_STRIP)
    if compact.startswith("+"):
        digits = compact[1:]
    elif compact.startswith("00"):
        digits = compact[2:]
    elif len(compact) == 10 and compact[0] == "0" and compact[1] != "0":
        digits = "33" + compact[1:]
    else:
        return None
    if not digits.isdecimal():
        return None
    if digits.startswith("330") and len(digits) == 12:
        digits = "33" + digits[3:]  # '+33 (0)6 ...'
    if digits.startswith("33"):
        return "+" + digits if len(digits) == 11 and digits[2] != "0" else None
    return "+" + digits if 8 <= len(digits) <= 15 else None
