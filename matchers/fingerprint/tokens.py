"""Tokens: the identifying values and combinations of records, hashed under the deployment key.

Format v1 token texts (kind code in brackets):
  [1] NIR           'n' US <13-character NIR body>
  [2] EMAIL         'e' US <address>
  [3] PHONE         'p' US <E.164 number>
  [4] NAME_DOB      'w' US <ISO date> US <name word>   one per name word and date
  [5] DOB_POSTCODE  'd' US <ISO date> US <postcode>    one per date and postcode
(US = \\x1f). A common value alone (a city, a first name, a blood group) is never a token:
only combinations with a date are, and a name matches only when words of two
different name fields of the same registered record match with the same date.

Records are tokenized a batch at a time and column by column: in a table every value of
a column is of one kind, so the kind is decided once per column from a sample and each
value goes straight to its normalizer. Columns of mixed kinds (prose lines, a 'contact'
column) fall back to classifying every value.

The loop over a batch runs in C (_tokenize.c) when the extension is built, as it is by
`pip install`; `Tokenizer._batch_python` is the reference it must agree with, token for
token (tests/fingerprint/test_native.py), and what runs where the extension is missing.
"""

import re
from array import array
from collections import Counter
from typing import NamedTuple

import numpy as np

from ..extract.readers.spans import CellSpans
from ..normalize import normalize_email, normalize_nir, normalize_phone
from ..normalize.names import PARTICLES
from . import cells as C
from .keyed import PERSON

try:
    from . import _tokenize
except ImportError:  # not built (no compiler at install time): the Python reference runs
    _tokenize = None

NIR, EMAIL, PHONE, NAME_DOB, DOB_POSTCODE = 1, 2, 3, 4, 5
KIND_NAMES = {NIR: "nir", EMAIL: "email", PHONE: "phone", NAME_DOB: "name+birth_date", DOB_POSTCODE: "birth_date+postcode"}
_STRONG = {C.NIR: (NIR, "n\x1f", normalize_nir), C.EMAIL: (EMAIL, "e\x1f", normalize_email),
           C.PHONE: (PHONE, "p\x1f", normalize_phone)}

# Kinds of fields reported for matches, as bits of a per-record integer.
FIELD_KINDS = (C.NIR, C.EMAIL, C.PHONE, C.DATE, C.POSTCODE, C.NAME, C.DOCTOR, C.BLOOD, C.HEALTH, C.TEXT)
FIELD_BIT = {kind: 1 << n for n, kind in enumerate(FIELD_KINDS)}
_FIELD_BIT_OF = {NIR: FIELD_BIT[C.NIR], EMAIL: FIELD_BIT[C.EMAIL], PHONE: FIELD_BIT[C.PHONE]}
_FIELD_BIT_OF_KIND = {**FIELD_BIT, C.OTHER: 0}
_WORK = frozenset((C.NAME, C.DATE, C.POSTCODE, C.NIR, C.EMAIL, C.PHONE))
_MAY_HOLD_ID = re.compile(r"@|\d{4}|\d[\d .\-/]{7,}").search
_PLAIN_TEXT = C.Cell(C.TEXT)
_NOTHING = C.Cell(C.OTHER)

# A dump row with more name words or dates than this is prose, not a person: the cap
# keeps one pathological row from costing thousands of hashes.
MAX_WORDS = 12
MAX_DATES = 3
TYPED_SHARE = 0.8     # share of a column's sample of one kind for the column to be typed
SAMPLE = 64
_CACHE_LIMIT = 500_000
_CACHE_MAX_CHARS = 40  # names, dates, cities repeat; long text rarely does


class TokenBatch(NamedTuple):
    tokens: np.ndarray        # uint64 keyed hashes
    owners: np.ndarray        # uint32 record of each token (position in the batch)
    kinds: np.ndarray         # uint8 kind code of each token
    slots: np.ndarray         # uint8 name slot of each NAME_DOB token (0 for other kinds)
    has_postcode: np.ndarray  # bool per record
    field_bits: np.ndarray    # uint16 per record: FIELD_BIT of each kind of value it holds


def fields_of(bits: int) -> list:
    return [kind for kind in FIELD_KINDS if bits & FIELD_BIT[kind]]


# What the C loop does with a column, by the column's kind (tokens._column_kind).
_PLAN = {C.NIR: NIR, C.EMAIL: EMAIL, C.PHONE: PHONE, C.TEXT: 9}
_EVENT_PLAN = 8  # a column of event dates (sampling, validation): its dates give no combination
_NATIVE_KINDS = (C.OTHER, C.NIR, C.EMAIL, C.PHONE, C.DATE, C.POSTCODE, C.NAME, C.DOCTOR, C.BLOOD, C.HEALTH, C.TEXT)


def native_available() -> bool:
    return _tokenize is not None


class Tokenizer:
    """Turns batches of records into tokens. One per process: it caches cell classifications."""

    def __init__(self, hasher, native: bool = True):
        self._hasher = hasher
        self._cache: dict[str, C.Cell] = {}
        self._native = None
        self.commonest_kind = None
        if native and _tokenize is not None:
            self._native = _tokenize.Batcher(
                hasher.secret, PERSON, _NATIVE_KINDS, tuple(_FIELD_BIT_OF_KIND[k] for k in _NATIVE_KINDS),
                C.classify, _MAY_HOLD_ID, _PLAIN_TEXT, _NOTHING, (normalize_nir, normalize_email, normalize_phone),
                C.Cell)
            self._native.set_names(PARTICLES, C.HEALTH_STEMS, C.TITLES)
            self._native.set_cache(self._cache, _CACHE_MAX_CHARS, _CACHE_LIMIT)
            self.classify = self._native.classify  # the method below, in C
            # profile._commonest_kind in C, for registration's profile (None: use the reference)
            self.commonest_kind = self._native.commonest_kind

    @property
    def native(self) -> bool:
        return self._native is not None

    def classify(self, raw: str) -> C.Cell:
        """The cell of a value, cached. With the extension, the instance's `classify` is
        Batcher.classify, which does this in C (tests/fingerprint/test_native.py compares them)."""
        cell = self._cache.get(raw)
        if cell is None:
            cell = (self._native is not None and type(raw) is str and self._native.quick_cell(raw)) or C.classify(raw)
            if len(raw) <= _CACHE_MAX_CHARS:
                if len(self._cache) >= _CACHE_LIMIT:
                    # Bounded: a 2 GB dump of unique values must not grow the cache without end.
                    self._cache.clear()
                self._cache[raw] = cell
        return cell

    def batch(self, rows: list, name_slots=None, event_dates=()) -> TokenBatch:
        """Tokens of a batch of records (lists of cells).

        name_slots: for each column, the base slot of its name words, or -1 to take no name
        words from it (a city, a doctor). None: every name cell counts (prose, ragged rows).
        event_dates: columns whose dates are events (a sampling or validation day), not
        birth dates: they are noted as dates but combined with nothing (see profile.py).
        """
        if self._native is None:
            return self._batch_python(rows, name_slots, event_dates)
        spans = isinstance(rows, CellSpans)
        if spans:
            # _column_kind of each column's sample (CellSpans.column), sampled and classified in C
            kinds = self._native.column_kinds(rows.data, rows.encoding or "", rows.errors or "", rows.rows, rows.bounds,
                                              rows.made, SAMPLE * 4, SAMPLE, TYPED_SHARE, self._cache, self.classify)
            width = len(kinds)
            plans = [_PLAN.get(kind, 0) for kind in kinds]
        else:
            rows = rows if type(rows) is list else list(rows)
            width = max(map(len, rows), default=0)
            head = rows[: SAMPLE * 4]
            plans = [_PLAN.get(self._column_kind([row[j] for row in head if j < len(row)]), 0) for j in range(width)]
        for j in event_dates:
            if j < width and plans[j] == 0:
                plans[j] = _EVENT_PLAN
        slots = [0] * width if name_slots is None else list(name_slots)
        try:
            if spans:
                digests, owners, kinds, token_slots, has_postcode, field_bits = self._native.batch_spans(
                    rows.data, rows.encoding or "", rows.errors or "", rows.rows, rows.bounds, rows.made, plans,
                    slots, self._cache, self.classify)
            else:
                digests, owners, kinds, token_slots, has_postcode, field_bits = self._native.batch(
                    rows, plans, slots, self._cache, self.classify)
        except TypeError:  # a cell that is not a str: the reference says what is wrong with it
            return self._batch_python(rows, name_slots, event_dates)
        return TokenBatch(
            np.frombuffer(digests, dtype="<u8").astype(np.uint64, copy=False),
            np.frombuffer(owners, dtype=np.uint32),
            np.frombuffer(kinds, dtype=np.uint8),
            np.frombuffer(token_slots, dtype=np.uint8),
            np.frombuffer(has_postcode, dtype=bool),
            np.frombuffer(field_bits, dtype=np.uint16),
        )

    def _batch_python(self, rows: list, name_slots=None, event_dates=()) -> TokenBatch:
        """`batch` in Python: the reference the C loop agrees with."""
        rows = rows if isinstance(rows, list) else list(rows)
        n = len(rows)
        widths = set(map(len, rows))
        width = max(widths, default=0)
        new_state = self._hasher.new_state
        digests = bytearray()
        owners, kinds, slots = array("I"), array("B"), array("B")
        dates = [None] * n       # per record: list of ISO dates
        postcodes = [None] * n
        words = [None] * n       # per record: list of (word, slot)
        field_bits = [0] * n
        cached = self._cache.get
        classify = self.classify
        for j in range(width):
            if len(widths) == 1:
                column = [row[j] for row in rows]
            else:
                column = [row[j] if j < len(row) else "" for row in rows]
            base = 0 if name_slots is None else (name_slots[j] if j < len(name_slots) else -1)
            column_kind = self._column_kind(column)
            strong = _STRONG.get(column_kind)
            if strong is not None:
                code, prefix, normalize = strong
                valid, strays = [], []
                for i, value in enumerate(column):
                    if value:
                        normalized = normalize(value)
                        if normalized is not None:
                            state = new_state()
                            state.update((prefix + normalized).encode())
                            digests += state.digest()
                            valid.append(i)
                        else:
                            strays.append(i)  # a typo, or a stray value of another kind
                owners.extend(valid)
                kinds.extend(bytes([code]) * len(valid))
                slots.extend(bytes(len(valid)))
                bit = _FIELD_BIT_OF[code]
                for i in valid:
                    field_bits[i] |= bit
                work = [(i, classify(column[i])) for i in strays]
            elif column_kind is C.TEXT:
                # Free text of its own per record (an address): not worth caching, and only
                # worth reading when it could hold an identifier.
                cells = [C.classify(value) if _MAY_HOLD_ID(value) else _PLAIN_TEXT if value else _NOTHING
                         for value in column]
                field_bits = [bits | _FIELD_BIT_OF_KIND[cell.kind] for bits, cell in zip(field_bits, cells)]
                work = [(i, cell) for i, cell in enumerate(cells) if cell.kind in _WORK or cell.found]
            else:
                cells = [cached(value) or classify(value) for value in column]
                field_bits = [bits | _FIELD_BIT_OF_KIND[cell.kind] for bits, cell in zip(field_bits, cells)]
                # Only cells that give tokens need more work: a city, a date, a postcode, an
                # identifier, or free text holding one. A blood group or an address does not.
                work = [(i, cell) for i, cell in enumerate(cells) if cell.kind in _WORK or cell.found]
                if j in event_dates:
                    work = [(i, cell) for i, cell in work if cell.kind is not C.DATE]
            for i, cell in work:
                kind = cell.kind
                if kind is C.NAME:
                    if base >= 0:
                        record_words = words[i]
                        if record_words is None:
                            record_words = words[i] = []
                        if base:
                            record_words.extend((word, base + piece) for word, piece in cell.value)
                        else:
                            record_words.extend(cell.value)
                elif kind is C.DATE:
                    if dates[i] is None:
                        dates[i] = [cell.value]
                    else:
                        dates[i].append(cell.value)
                elif kind is C.POSTCODE:
                    if postcodes[i] is None:
                        postcodes[i] = [cell.value]
                    else:
                        postcodes[i].append(cell.value)
                elif kind in _STRONG:
                    field_bits[i] |= FIELD_BIT[kind]
                    code, prefix, _ = _STRONG[kind]
                    state = new_state()
                    state.update((prefix + cell.value).encode())
                    digests += state.digest()
                    owners.append(i)
                    kinds.append(code)
                    slots.append(0)
                for found_kind, value in cell.found:
                    field_bits[i] |= FIELD_BIT[found_kind]
                    if found_kind is C.DATE:
                        if dates[i] is None:
                            dates[i] = [value]
                        else:
                            dates[i].append(value)
                    else:
                        code, prefix, _ = _STRONG[found_kind]
                        state = new_state()
                        state.update((prefix + value).encode())
                        digests += state.digest()
                        owners.append(i)
                        kinds.append(code)
                        slots.append(0)
        # Combinations with the birth date, built in comprehensions (the hot loop of a scan).
        dated = [i for i in range(n) if dates[i] is not None]
        for i in dated:
            if len(dates[i]) > 1:
                dates[i] = list(dict.fromkeys(dates[i]))[:MAX_DATES]
            if words[i] is not None and len(words[i]) > MAX_WORDS:
                words[i] = words[i][:MAX_WORDS]
        # One keyed state per record and date, copied for each word: cheaper than hashing
        # each combination's text from scratch (measured 1.6x on three words).
        combo_digests, combo_owners, combo_slots = [], [], []
        places = 0
        for i in dated:
            record_words = words[i]
            record_postcodes = postcodes[i]
            for date in dates[i]:
                if record_words:
                    state = new_state()
                    state.update(f"w\x1f{date}\x1f".encode())
                    copy = state.copy
                    for word, slot in record_words:
                        word_state = copy()
                        word_state.update(word.encode())
                        combo_digests.append(word_state.digest())
                        combo_owners.append(i)
                        combo_slots.append(slot)
                if record_postcodes:
                    for postcode in record_postcodes:
                        state = new_state()
                        state.update(f"d\x1f{date}\x1f{postcode}".encode())
                        combo_digests.append(state.digest())
                        combo_owners.append(i)
                        combo_slots.append(256)  # marks a postcode combination
                        places += 1
        digests += b"".join(combo_digests)
        owners.extend(combo_owners)
        kinds.extend(bytes([DOB_POSTCODE if slot == 256 else NAME_DOB for slot in combo_slots]))
        slots.extend(bytes([0 if slot == 256 else slot for slot in combo_slots]))
        has_postcode = np.fromiter((bool(p) for p in postcodes), dtype=bool, count=n)
        return TokenBatch(
            np.frombuffer(bytes(digests), dtype="<u8").astype(np.uint64, copy=False),
            np.frombuffer(owners, dtype=np.uint32) if owners else np.empty(0, np.uint32),
            np.frombuffer(kinds, dtype=np.uint8) if kinds else np.empty(0, np.uint8),
            np.frombuffer(slots, dtype=np.uint8) if slots else np.empty(0, np.uint8),
            has_postcode,
            np.array(field_bits, dtype=np.uint16),
        )

    def _column_kind(self, column) -> str | None:
        """The kind of a column if its sample is nearly all of one kind."""
        sample = [value for value in column[: SAMPLE * 4] if value][:SAMPLE]
        if len(sample) < 4:
            return None
        counts = Counter(self.classify(value).kind for value in sample)
        kind, count = counts.most_common(1)[0]
        return kind if count >= TYPED_SHARE * len(sample) else None
