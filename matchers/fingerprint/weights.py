"""How much an agreement on a kind of value says, estimated from the registered table itself.

The Fellegi-Sunter model weighs a pair of records by likelihood ratios: an agreement on a
field counts log2(m/u) bits, where u is the chance that two *different* people agree on it
and m (close to 1) the chance that two copies of one person's record do. u is estimated
here, on the institution's premises, from its own table: the chance that two records drawn
at random share the value, sum of p(v)^2 over the column's values (a lab whose patients
live in five postcodes gives its postcode about 2 bits; a birth date spread over eighty
years about 14.5). Only these few numbers per dataset leave the table: no value, nothing
derived from a value's characters.

Agreement weights of identifiers (a NIR, an e-mail, a phone) are not estimated from one
table: they are fixed in matchers/match/evidence.py.
"""

import math
from collections import Counter

from . import cells as C

BIRTH_DATE, POSTCODE, NAMES = "birth_date", "postcode", "names"
# Weights where a table shows too little to estimate (a few canary rows, a format v1
# fingerprint): what a population shows, birth dates over some 80 years (a little under
# log2(80 x 365)), a few hundred postcodes around an institution, a middling name.
DEFAULTS = {BIRTH_DATE: 14.0, POSTCODE: 8.0, "name": 7.0}
# No estimate goes above what the population allows, whatever one table shows: about 100
# birth years of 365 days; about 6,000 French postcodes; the commonest-name mass of French
# surnames (sum p^2 near 1e-4).
CAPS = {BIRTH_DATE: 15.5, POSTCODE: 12.5, "name": 13.0}
MIN_BITS = 0.5
MIN_VALUES = 20  # fewer values than this estimate nothing: the default is kept
DAYS_A_YEAR = 365.25


def coincidence(counts: Counter) -> float | None:
    """The chance that two values drawn without replacement are equal (unbiased), floored at
    1/(2n) so that a small table of distinct values does not claim more than it can show."""
    n = sum(counts.values())
    if n < MIN_VALUES:
        return None
    same = sum(c * (c - 1) for c in counts.values()) / (n * (n - 1))
    return max(same, 1 / (2 * n))


def _bits(u: float | None, kind: str) -> float:
    if u is None:
        return DEFAULTS[kind]
    return round(min(max(-math.log2(u), MIN_BITS), CAPS[kind]), 2)


def default_weights() -> dict:
    """The weights of a table that shows nothing (no rows), and of a version 1 fingerprint."""
    return {BIRTH_DATE: DEFAULTS[BIRTH_DATE], POSTCODE: DEFAULTS[POSTCODE], NAMES: {}}


def estimate(sample: list, profile, classify, counts=None) -> dict:
    """Weights of one table from a sample of its rows: {"birth_date": bits, "postcode": bits,
    "names": {slot: bits}} (slot: the name field a name word's token carries). counts: the
    sample's columns counted (profile.column_counts), when the caller has them."""
    years, postcodes = Counter(), Counter()
    words = {}
    for j, label in enumerate(profile.labels):
        if label not in (C.DATE, C.POSTCODE) and profile.name_slots[j] < 0:
            continue
        # Each distinct value once, weighed by its count: postcodes and names repeat.
        values = counts[j] if counts is not None else Counter(row[j] for row in sample if j < len(row))
        if label == C.DATE:
            for value, count in values.items():
                cell = classify(value)
                if cell.kind == C.DATE:
                    years[cell.value[:4]] += count
        elif label == C.POSTCODE:
            for value, count in values.items():
                cell = classify(value)
                if cell.kind == C.POSTCODE:
                    postcodes[cell.value] += count
        else:
            base = profile.name_slots[j]
            for value, count in values.items():
                if value:
                    # A name cell holds its words and piece numbers already (cells.classify), and
                    # the profile has just classified it: its words are not made again.
                    cell = classify(value)
                    pairs = cell.value if cell.kind == C.NAME else C.name_words(value)
                    for word, piece in pairs:
                        counter = words.get(base + piece)
                        if counter is None:
                            counter = words[base + piece] = Counter()
                        counter[word] += count
    # Two birth dates agree when their years do and then their days do, about 1/365.25.
    same_year = coincidence(years)
    return {
        BIRTH_DATE: _bits(None if same_year is None else same_year / DAYS_A_YEAR, BIRTH_DATE),
        POSTCODE: _bits(coincidence(postcodes), POSTCODE),
        NAMES: {str(slot): _bits(coincidence(counter), "name") for slot, counter in sorted(words.items())},
    }
