"""What a cell holds, decided from its value alone (never from a column header).

Each cell becomes one `Cell`: a kind and the normalized payload the tokens are made from.
Long free text (a prose line of a paste, a notes column) is searched for the identifiers
it contains instead.
"""

import re
from typing import NamedTuple

from ..normalize import (
    looks_like_name,
    name_pieces,
    normalize_date,
    normalize_email,
    normalize_nir,
    normalize_phone,
    normalize_postcode,
)
from ..normalize.date import DATE_IN_TEXT
from ..normalize.email import EMAIL_IN_TEXT
from ..normalize.phone import PHONE_IN_TEXT
from ..normalize.text import fold

NIR, EMAIL, PHONE, DATE, POSTCODE, NAME, DOCTOR, BLOOD, HEALTH, TEXT, OTHER = (
    "nir", "email", "phone", "date", "postcode", "name", "doctor", "blood_group", "health_note", "text", "other",
)
# A titled name is somebody else's (the patient's doctor): its words must never pass
# for the patient's own name.
TITLES = ("dr", "docteur", "doctor", "pr", "prof", "professeur", "me", "maitre")
_TITLE = re.compile(r"(?:" + "|".join(TITLES) + r")\b\.?")

_BLOOD = re.compile(r"(?:a|b|ab|o|0)\s*(?:[+-]|rh[+-]|pos(?:itif|itive)?|neg(?:atif|ative)?)", re.I)
# Words that make a free-text cell a health note: the most sensitive kind of field.
# Both lists are given to the C tokenizer too, which tests folded ASCII text for them.
HEALTH_STEMS = (
    "seropositi", "vih", "hiv", "sida", "aids", "diabet", "cancer", "hepatit", "tumeur", "chimio", "grossesse", "ivg",
    "depress", "psychiatr", "schizo", "bipolaire", "tuberculo", "allergi", "insulin", "dialyse", "avc", "infarctus",
    "alzheimer", "parkinson", "epilep", "syphilis", "chlamydia", "herpes", "covid", "asthme", "traitement", "pathologie",
)
_HEALTH = re.compile(r"\b(?:" + "|".join(HEALTH_STEMS) + ")")
# A commune's postcode and name in one cell, as many exports write them ('75012 PARIS', '38400
# Saint-Martin-d'Hères', '75012 PARIS CEDEX 12'): the postcode. Words of letters only: '10000 UI/L' or '15000 mm3' is no place.
_POSTCODE_PLACE = re.compile(r"(\d{5})[ ,\-]+([^\W\d_]+(?:[ '’\-]+[^\W\d_]+)*)(?:\s+(?i:cedex)(?:\s+\d{1,2})?)?")
_NIR_IN_TEXT = re.compile(r"(?<![\dA-Za-z])[1-478][\d .]{11,20}\d(?!\d)|(?<![\dA-Za-z])[1-478]\s?\d{2}\s?\d{2}\s?2[AB][\d .]{6,12}\d")


class Cell(NamedTuple):
    kind: str
    # nir/email/phone/date/postcode: the normalized string; name: ((word, piece number), ...)
    # with piece numbers capped at 3; else None.
    value: object = None
    # Identifiers found inside free text: [(kind, normalized), ...].
    found: tuple = ()


_EMPTY = Cell(OTHER)


def classify(raw: str) -> Cell:
    """Kind and normalized value of one cell."""
    text = raw.strip()
    if not text:
        return _EMPTY
    first = text[0]
    if "@" in text:
        email = normalize_email(text)
        if email:
            return Cell(EMAIL, email)
        return _free_text(text)
    if first.isdigit() or first in "+(":
        if len(text) <= 24:
            value = normalize_nir(text)
            if value:
                return Cell(NIR, value)
            value = normalize_phone(text)
            if value:
                return Cell(PHONE, value)
            value = normalize_date(text)
            if value:
                return Cell(DATE, value)
            value = normalize_postcode(text)
            if value:
                return Cell(POSTCODE, value)
        place = _postcode_of_place(text)
        if place:
            return Cell(POSTCODE, place)
        if len(text) > 24 or sum(ch.isalpha() for ch in text) > 3:
            return _free_text(text)
        return _EMPTY
    if len(text) <= 4 and _BLOOD.fullmatch(text):
        return Cell(BLOOD)
    if _count_digits(text):
        value = normalize_date(text)
        if value:
            return Cell(DATE, value)
        return _free_text(text)
    if looks_like_name(text):
        folded = fold(text)
        if _HEALTH.search(folded):
            return Cell(HEALTH)
        if _TITLE.match(folded):
            return Cell(DOCTOR)
        words = name_words(text)
        return Cell(NAME, words) if words else _EMPTY
    return _free_text(text)


def _postcode_of_place(text: str) -> str | None:
    """The postcode of '75012 PARIS': a valid postcode, then a place name of three letters or more
    that is no health note."""
    place = _POSTCODE_PLACE.fullmatch(text) if len(text) <= 60 else None
    if place is None or sum(map(str.isalpha, place.group(2))) < 3 or _HEALTH.search(fold(place.group(2))):
        return None
    return normalize_postcode(place.group(1))


def name_words(text: str) -> tuple:
    """A name's words with their piece numbers capped at 3: ((word, piece), ...), a name cell's value."""
    return tuple((word, min(n, 3)) for n, piece in enumerate(name_pieces(text)) for word in piece)


_ASCII_DIGITS = "0123456789"


def _count_digits(text: str) -> int:
    """sum(ch.isdigit() for ch in text), without a Python step per character for ASCII text
    (most free text: a paste's chatter lines took a fifth of its scan in that loop)."""
    if text.isascii():
        return sum(map(text.count, _ASCII_DIGITS))
    return sum(ch.isdigit() for ch in text)


def _free_text(text: str) -> Cell:
    found = []
    # Cheap tests first: most free text (an address, a note) holds no identifier at all.
    digits = _count_digits(text)
    if "@" in text:
        for match in EMAIL_IN_TEXT.finditer(text):
            email = normalize_email(match.group())
            if email:
                found.append((EMAIL, email))
    if digits >= 9:
        for match in _NIR_IN_TEXT.finditer(text):
            nir = normalize_nir(match.group())
            if nir:
                found.append((NIR, nir))
        for match in PHONE_IN_TEXT.finditer(text):
            phone = normalize_phone(match.group())
            if phone:
                found.append((PHONE, phone))
    if digits >= 5:
        for match in DATE_IN_TEXT.finditer(text):
            date = normalize_date(match.group())
            if date:
                found.append((DATE, date))
    kind = HEALTH if _HEALTH.search(fold(text)) else TEXT
    return Cell(kind, None, tuple(found))
