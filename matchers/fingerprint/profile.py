"""Which columns of an institution's own table are person names, decided from the values.

Registration is the one place where a table is known to be whole and clean, so columns
can be told apart there: a city column is one the postcode column determines; a doctor
column is 'Dr Someone'; a column of a dozen values is a category. Only true name columns
give name words to the registry, so a stranger who shares a city and a birth date with a
registered patient cannot pass for a namesake.
"""

from collections import Counter, defaultdict
from typing import NamedTuple

from . import cells as C

MIN_NAME_DISTINCT = 13     # sex, blood group, yes/no columns have fewer distinct values
CITY_MIN_ROWS_PER_POSTCODE = 3  # below that every column looks determined by the postcode
CITY_DEPENDENCY = 0.9
MERGED_NAME_DISTINCT = 0.5  # share of distinct values below which a multi-word column is notes


class ColumnProfile(NamedTuple):
    name_slots: list   # per column: base slot of its name words, or -1
    labels: list       # per column: kind of field ('nir', 'name', 'city', 'doctor', ...)

    @property
    def fields(self) -> list:
        return sorted({label for label in self.labels if label != C.OTHER})


def profile_columns(sample: list, tokenizer) -> ColumnProfile:
    """Profile the columns of a sample of rows (lists of cells, same width)."""
    width = max((len(row) for row in sample), default=0)
    classified = [[tokenizer.classify(row[j]) if j < len(row) else C._EMPTY for row in sample] for j in range(width)]
    labels = []
    for column in classified:
        kinds = Counter(cell.kind for cell in column if cell.kind != C.OTHER)
        labels.append(kinds.most_common(1)[0][0] if kinds else C.OTHER)
    postcode_col = next((j for j, label in enumerate(labels) if label == C.POSTCODE), None)
    name_slots = []
    next_slot = 0
    for j, label in enumerate(labels):
        if label != C.NAME:
            name_slots.append(-1)
            continue
        values = [row[j].strip() for row in sample if j < len(row) and row[j].strip()]
        role = _name_column_role(values, sample, j, postcode_col)
        labels[j] = role
        if role == C.NAME and next_slot < 64:
            name_slots.append(next_slot * 4)
            next_slot += 1
        else:
            name_slots.append(-1)
    return ColumnProfile(name_slots, labels)


def _name_column_role(values, sample, column, postcode_col) -> str:
    if not values:
        return C.OTHER
    distinct = len(set(values))
    # Only a large table can show that a column has few values; a ten-row canary
    # table of names has few distinct values too.
    if len(values) >= 50 and distinct < MIN_NAME_DISTINCT:
        return "category"
    multi_piece = sum(" " in v.strip() for v in values)
    if len(values) >= 50 and multi_piece >= 0.5 * len(values) and distinct < MERGED_NAME_DISTINCT * len(values):
        # Several words a value, often repeated: short notes ('patient anxieux'), not
        # 'Prénom NOM' (nearly every person's full name is their own).
        return C.TEXT
    if postcode_col is not None and _determined_by(sample, column, postcode_col):
        return "city"
    return C.NAME


def _determined_by(sample, column, key_column) -> bool:
    by_key = defaultdict(Counter)
    for row in sample:
        if len(row) > max(column, key_column) and row[key_column].strip() and row[column].strip():
            by_key[row[key_column].strip()][row[column].strip().lower()] += 1
    rows = sum(sum(counter.values()) for counter in by_key.values())
    if not by_key or rows / len(by_key) < CITY_MIN_ROWS_PER_POSTCODE:
        return False
    agreeing = sum(counter.most_common(1)[0][1] for counter in by_key.values())
    return agreeing / rows >= CITY_DEPENDENCY
