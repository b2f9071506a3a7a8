"""Tokens: the identifying values and combinations of one record, hashed under the deployment key.

Format v1 token texts (kind code in brackets):
  [1] NIR           'n' US <13-character NIR body>
  [2] EMAIL         'e' US <address>
  [3] PHONE         'p' US <E.164 number>
  [4] NAME_DOB      'w' US <ISO date> US <name word>   one per name word and date
  [5] DOB_POSTCODE  'd' US <ISO date> US <postcode>    one per date and postcode
(US = \\x1f). A common value alone (a city, a first name, a blood group) is never a token:
only combinations with a date are, and a name matches only when words of two
different name fields of the same registered record match with the same date.
"""

from typing import NamedTuple

from . import cells as C

NIR, EMAIL, PHONE, NAME_DOB, DOB_POSTCODE = 1, 2, 3, 4, 5
KIND_NAMES = {NIR: "nir", EMAIL: "email", PHONE: "phone", NAME_DOB: "name+birth_date", DOB_POSTCODE: "birth_date+postcode"}
STRONG_KINDS = (NIR, EMAIL, PHONE)

# A dump row with more name words or dates than this is prose, not a person: the cap
# keeps one pathological row from costing thousands of hashes.
MAX_WORDS = 12
MAX_DATES = 3
_CACHE_LIMIT = 400_000


class RecordTokens(NamedTuple):
    tokens: list   # 64-bit keyed hashes
    kinds: list    # kind code of each token
    slots: list    # name slot of each NAME_DOB token (0 for other kinds)
    fields: frozenset  # kinds of values the record holds (cells.NIR, cells.NAME, ...)
    has_postcode: bool


class Tokenizer:
    """Turns a record's cells into tokens. One per process: it caches cell classifications."""

    def __init__(self, hasher):
        self._hash = hasher
        self._cache: dict[str, C.Cell] = {}

    def classify(self, raw: str) -> C.Cell:
        cell = self._cache.get(raw)
        if cell is None:
            cell = C.classify(raw)
            if len(self._cache) >= _CACHE_LIMIT:
                # Bounded: a 2 GB dump of unique values must not grow the cache without end.
                self._cache.clear()
            self._cache[raw] = cell
        return cell

    def record(self, raw_cells, name_slots=None) -> RecordTokens:
        """Tokens of one record.

        name_slots (registration only): for each cell, the base slot of its name words,
        or -1 to use no name words from it (a city, a doctor). None means every name cell
        counts (scanning: the registry side decides which words are names).
        """
        ids = []
        dates = []
        postcodes = []
        words = []
        fields = set()
        classify = self.classify
        for position, raw in enumerate(raw_cells):
            cell = classify(raw)
            kind = cell.kind
            if kind == C.OTHER:
                continue
            fields.add(kind)
            if kind == C.NAME:
                base = 0 if name_slots is None else name_slots[position]
                if base >= 0:
                    for piece_no, piece in enumerate(cell.value):
                        slot = base + min(piece_no, 3)
                        for word in piece:
                            words.append((word, slot))
            elif kind == C.DATE:
                dates.append(cell.value)
            elif kind == C.POSTCODE:
                postcodes.append(cell.value)
            elif kind in (C.NIR, C.EMAIL, C.PHONE):
                ids.append((kind, cell.value))
            for found_kind, value in cell.found:
                fields.add(found_kind)
                if found_kind == C.DATE:
                    dates.append(value)
                else:
                    ids.append((found_kind, value))
        hash_ = self._hash
        tokens, kinds, slots = [], [], []
        for kind, value in ids:
            code = NIR if kind == C.NIR else EMAIL if kind == C.EMAIL else PHONE
            tokens.append(hash_(f"{kind[0]}\x1f{value}"))
            kinds.append(code)
            slots.append(0)
        if dates:
            dates = list(dict.fromkeys(dates))[:MAX_DATES]
            seen_words = set()
            for word, slot in words[:MAX_WORDS]:
                if (word, slot) in seen_words:
                    continue
                seen_words.add((word, slot))
                for date in dates:
                    tokens.append(hash_(f"w\x1f{date}\x1f{word}"))
                    kinds.append(NAME_DOB)
                    slots.append(slot)
            for postcode in dict.fromkeys(postcodes):
                for date in dates:
                    tokens.append(hash_(f"d\x1f{date}\x1f{postcode}"))
                    kinds.append(DOB_POSTCODE)
                    slots.append(0)
        return RecordTokens(tokens, kinds, slots, frozenset(fields), bool(postcodes))
