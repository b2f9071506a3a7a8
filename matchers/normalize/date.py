"""Dates to ISO 8601 ('1961-12-05'), from the forms dumps use.

Numeric dates are read day-first (French order) unless that is impossible
(a first number above 12 is always a day; a second one above 12 forces month-first).
"""

import re

from .text import fold

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "feb": 2, "february": 2,
    "mars": 3, "mar": 3, "march": 3,
    "avril": 4, "avr": 4, "apr": 4, "april": 4,
    "mai": 5, "may": 5,
    "juin": 6, "jun": 6, "june": 6,
    "juillet": 7, "juil": 7, "jul": 7, "july": 7,
    "aout": 8, "aou": 8, "aug": 8, "august": 8,
    "septembre": 9, "sept": 9, "sep": 9, "september": 9,
    "octobre": 10, "oct": 10, "october": 10,
    "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "dec": 12, "december": 12,
}
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_NUMERIC = re.compile(r"(\d{1,4})[/\-. ](\d{1,2})[/\-. ](\d{1,4})")
# '5 décembre 1961', '1er mai 1961', '5th December 1961', and Oracle's DD-MON-RR and DD-MON-YYYY
# ('05-DEC-61', '05-DÉC.-1961'), which many hospital systems export.
_WORDS_DMY = re.compile(r"(\d{1,2})(?:er|st|nd|rd|th)?\.?[ \-/]([a-z]+)\.?[ \-/](\d{4}|\d{2})")
_WORDS_MDY = re.compile(r"([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})")
_TIME_SUFFIX = re.compile(r"[t ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+\-]\d{2}:?\d{2})?$")

DATE_IN_TEXT = re.compile(
    r"\b(?:\d{1,4}[/\-.]\d{1,2}[/\-.]\d{2,4}|\d{1,2}(?:er)? [A-Za-zéèêûôÉÛ]{3,9}\.? \d{4})\b"
)


def _iso(year: int, month: int, day: int) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1] and 1850 <= year <= 2100):
        return None
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _full_year(year: str) -> int:
    if len(year) == 4:
        return int(year)
    if len(year) == 2:
        # Two-digit years in patient files are birth years: '61' is 1961, '05' is 2005.
        value = int(year)
        return 2000 + value if value <= 30 else 1900 + value
    return -1


def normalize_date(value: str) -> str | None:
    """'05/12/1961', '1961-12-05', '5 décembre 1961', '05-DEC-61', '19611205' -> '1961-12-05'."""
    text = value.strip()
    if not text or len(text) > 40:
        return None
    if text[0].isdigit() and len(text) == 8 and text.isdecimal():
        return _iso(int(text[:4]), int(text[4:6]), int(text[6:])) or _iso(
            int(text[4:]), int(text[2:4]), int(text[:2])
        )
    text = _TIME_SUFFIX.sub("", text.lower())
    match = _NUMERIC.fullmatch(text)
    if match:
        a, b, c = match.groups()
        if len(a) == 4:
            return _iso(int(a), int(b), int(c))
        year = _full_year(c)
        first, second = int(a), int(b)
        if second > 12 and first <= 12:
            return _iso(year, first, second)
        return _iso(year, second, first)
    folded = fold(text).replace(",", " ").replace("  ", " ")
    match = _WORDS_DMY.fullmatch(folded)
    if match:
        month = _MONTHS.get(match.group(2))
        return _iso(_full_year(match.group(3)), month, int(match.group(1))) if month else None
    match = _WORDS_MDY.fullmatch(folded)
    if match:
        month = _MONTHS.get(match.group(1))
        return _iso(int(match.group(3)), month, int(match.group(2))) if month else None
    return None
