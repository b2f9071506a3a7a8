"""The role of each column of a table, decided from the whole column's values.

The same profile runs when an institution fingerprints its table and when a dump is
scanned, so both sides make comparable tokens. A header may be missing or lie; values
do not:
- a date column is a **birth date** when its dates span decades, an **event date** (a
  sampling, validation or admission day) when they cluster in a few recent years and
  repeat across rows: many patients of one lab are sampled on the same days. Only birth
  dates are combined with names and postcodes;
- a name-like column is a **patient name** unless it is a city (the postcode determines
  it), a doctor ('Dr Someone'), a category (a dozen values), notes (several words,
  repeated) or a small set repeated over many rows (a doctor, an exam, a town written
  without its postcode). Only patient names give name words.
"""

from collections import Counter
from typing import NamedTuple

from ..extract.header import header_words
from . import cells as C

MIN_NAME_DISTINCT = 13     # sex, blood group, yes/no columns have fewer distinct values
CITY_MIN_ROWS_PER_POSTCODE = 3  # below that every column looks determined by the postcode
CITY_DEPENDENCY = 0.9
TOWN_MIN_REPEATED = 5  # towns seen three times or more before the town -> postcode test says anything
# A file merging institutions across a country: a city has several postcodes (Paris, Toulouse) and
# a village's name is several villages' (Varennes), so neither postcode -> town nor town ->
# postcode holds, but a town keeps to its area (a postcode's first AREA_CHARS characters, the
# French département), where a first name or surname that repeats is spread over the areas.
# Only said of a table spanning several areas: in one region's table every column keeps to it.
AREA_CHARS = 2
AREA_AGREEMENT = 0.75
AREA_MAX_SHARE = 0.5  # the table's commonest area holds at most this share of its rows
MERGED_NAME_DISTINCT = 0.5  # share of distinct values below which a multi-word column is notes
# A small set used again and again (a lab's 20 doctors, 40 exams, its towns) is not people's
# names: few distinct values (at most REPEATED_SPREAD x sqrt(rows)) and next to none seen
# once. The first names of a few hundred people already hold many seen once, and more
# distinct values than that as the table grows.
REPEATED_MIN_ROWS = 100
REPEATED_SPREAD = 3
REPEATED_MAX_SINGLETONS = 0.02
# Date roles. Below DATE_MIN_VALUES dated cells a column keeps the birth-date role (a short
# canary table proves nothing about its dates).
DATE_MIN_VALUES = 30
BIRTH_MIN_IQR_YEARS = 8       # the middle half of a lab's patients' birth years spans decades
BIRTH_MAX_RECENT_SHARE = 0.5  # few patients were born in the column's last ten years
RECENT_YEARS = 10
EVENT_MAX_IQR_YEARS = 3       # sampling days of an export: the middle half within a few years
EVENT_MAX_DISTINCT = 0.5      # ... and repeated: many patients a day
BIRTH, EVENT = C.DATE, "event_date"
# Column names that say what a name-like column holds (accents folded, words split).
_PERSON_WORDS = frozenset("nom noms prenom prenoms name names first last firstname lastname surname given "
                          "family fullname maiden naissance patient patients".split())
_OTHER_WORDS = frozenset("examen exam exams acte actes test tests analyse analyses mutuelle insurer insurance "
                         "organisme assureur medecin doctor prescripteur praticien ville city commune town "
                         "commentaire comment comments notes observations remarque service etablissement "
                         "laboratoire lab".split())


class ColumnProfile(NamedTuple):
    name_slots: list   # per column: base slot of its name words, or -1
    labels: list       # per column: kind of field ('nir', 'name', 'city', 'doctor', 'event_date', ...)

    @property
    def fields(self) -> list:
        return sorted({label for label in self.labels if label != C.OTHER})

    @property
    def event_dates(self) -> tuple:
        """Columns whose dates are events, not birth dates: their dates make no tokens."""
        return tuple(j for j, label in enumerate(self.labels) if label == EVENT)


def column_counts(columns: list) -> list:
    """Each column's Counter of cells, from a sample's `sample_columns`."""
    return [Counter(column) for column in columns]


def profile_columns(sample: list, tokenizer, header=None, counts=None, columns=None) -> ColumnProfile:
    """Profile the columns of a sample of rows (lists of cells, same width). header: the
    column names when the table has some, a hint that never decides alone. counts: the
    sample's column_counts, when the caller has them (registration's weights use them too), and
    columns its sample_columns, which they were counted from."""
    if columns is None:
        columns = sample_columns(sample)
    if counts is None:
        counts = [Counter(column) for column in columns]
    labels, dates = [], {}
    commonest_kind = getattr(tokenizer, "commonest_kind", None)  # in C with the extension
    for column in counts:
        label, dated = commonest_kind(column) if commonest_kind else _commonest_kind(column, tokenizer.classify)
        labels.append(label)
        if label == C.DATE:
            dates[len(labels) - 1] = dated
    postcode_col = next((j for j, label in enumerate(labels) if label == C.POSTCODE), None)
    _date_roles(dates, labels)
    lowered = _Lowered(sample, columns)
    name_slots = []
    next_slot = 0
    for j, label in enumerate(labels):
        if label != C.NAME:
            name_slots.append(-1)
            continue
        values = Counter()
        for value, count in counts[j].items():
            value = value.strip()
            if value:
                values[value] += count
        named = header[j] if header is not None and j < len(header) else None
        role = _name_column_role(values, lowered, j, postcode_col, named)
        labels[j] = role
        if role == C.NAME and next_slot < 64:
            name_slots.append(next_slot * 4)
            next_slot += 1
        else:
            name_slots.append(-1)
    return ColumnProfile(name_slots, labels)


def sample_columns(sample: list) -> list:
    """The sample's columns, each the cells its rows hold (a short row holds none of the last)."""
    widths = set(map(len, sample))
    if len(widths) <= 1:
        return list(zip(*sample))
    return [[row[j] for row in sample if j < len(row)] for j in range(max(widths))]


def _commonest_kind(counts: Counter, classify) -> tuple:
    """(the commonest kind of a column's cells, its dates as [ISO date, ...] when that kind is
    a date) from the column's distinct values and their counts, in order of first appearance.

    Each distinct value is classified once (a lab's postcodes, towns and exams repeat). The
    scan stops once no kind can catch up with the leader: a column of addresses or phone
    numbers is decided halfway through. A date column is read to the end, since its dates
    decide its role. Ties go to the kind seen first, as Counter.most_common does."""
    kinds = Counter()
    dated = []
    remaining = counts.total()
    for value, count in counts.items():
        remaining -= count
        cell = classify(value)
        kind = cell.kind
        if kind == C.OTHER:
            continue
        leading = kinds[kind] = kinds[kind] + count
        if kind == C.DATE:
            dated.extend([cell.value] * count)
        elif leading > remaining and leading > _runner_up(kinds, kind) + remaining:  # the first test is cheap
            return kind, None
    return (kinds.most_common(1)[0][0] if kinds else C.OTHER), dated


def _runner_up(kinds: Counter, leader: str) -> int:
    return max((count for kind, count in kinds.items() if kind != leader), default=0)


def _header_says(name) -> str | None:
    """'person' for a column named as a person's name, 'other' for a column named as something
    else name-like (an exam, an insurer, a doctor, a town, notes), None when it tells nothing."""
    if not name:
        return None
    words = set(header_words(name))
    if words & _OTHER_WORDS:
        return "other"
    if words & _PERSON_WORDS:
        return "person"
    return None


def _name_column_role(values: Counter, lowered, column, postcode_col, header=None) -> str:
    """values: the column's non-empty values, stripped, and their counts."""
    if not values:
        return C.OTHER
    rows = values.total()
    distinct = len(values)
    said = _header_says(header)
    # Only a large table can show that a column has few values; a ten-row canary
    # table of names has few distinct values too.
    if said == "person" and distinct >= MIN_NAME_DISTINCT:
        return C.NAME  # "prenom": a small pool of first names is still the patients' names
    if rows >= 50 and distinct < MIN_NAME_DISTINCT:
        return "category"
    multi_piece = sum(count for value, count in values.items() if " " in value)
    if rows >= 50 and multi_piece >= 0.5 * rows and distinct < MERGED_NAME_DISTINCT * rows:
        # Several words a value, often repeated: short notes ('patient anxieux'), not
        # 'Prénom NOM' (nearly every person's full name is their own).
        return C.TEXT
    if postcode_col is not None and (_determined_by(lowered, column, postcode_col)
                                     or _has_its_own_postcode(lowered, column, postcode_col)
                                     or _keeps_to_its_area(lowered, column, postcode_col)):
        return "city"
    if rows >= REPEATED_MIN_ROWS and distinct <= REPEATED_SPREAD * rows ** 0.5:
        seen_once = sum(1 for count in values.values() if count == 1)
        # Named as an exam, an insurer, a doctor...: values that repeat are enough to believe it.
        if seen_once <= REPEATED_MAX_SINGLETONS * rows or said == "other":
            return "repeated"
    return C.NAME


def _date_roles(dates: dict, labels: list) -> None:
    """Mark the date columns that hold events (labels[j] = EVENT) rather than birth dates.
    dates: {column: its dates} of the date columns."""
    stats = {j: _date_stats(column) for j, column in dates.items() if len(column) >= DATE_MIN_VALUES}
    if not stats:
        return
    birth_like = {j for j, (iqr, recent, _, _) in stats.items()
                  if iqr >= BIRTH_MIN_IQR_YEARS and recent <= BIRTH_MAX_RECENT_SHARE}
    if not birth_like:
        # No column looks like birth dates: the widest one keeps the role (a pediatric lab's
        # birth dates span a few years only) unless it is plainly a column of event days.
        widest = max(stats, key=lambda j: (stats[j][0], -stats[j][3]))
        iqr, _, distinct, _ = stats[widest]
        if not (iqr <= EVENT_MAX_IQR_YEARS and distinct <= EVENT_MAX_DISTINCT):
            birth_like = {widest}
    for j in stats:
        if j not in birth_like:
            labels[j] = EVENT


def _date_stats(dates: list) -> tuple:
    """(interquartile range of the years, share born in the last RECENT_YEARS, share of
    distinct dates, median year) of ISO dates."""
    years = sorted(int(date[:4]) for date in dates)
    n = len(years)
    iqr = years[(3 * n) // 4] - years[n // 4]
    recent = sum(year > years[-1] - RECENT_YEARS for year in years) / n
    return iqr, recent, len(set(dates)) / n, years[n // 2]


def _has_its_own_postcode(lowered, column, postcode_col) -> bool:
    """Whether the column's values that repeat each keep to one postcode: towns, where several
    communes share a postcode (so the postcode does not determine the town) but a commune has
    its own. A first name that repeats is spread over the table's postcodes."""
    postcodes_of = _pairs(lowered, column, postcode_col)
    repeated = [counts for counts in postcodes_of.values() if sum(counts.values()) >= CITY_MIN_ROWS_PER_POSTCODE]
    if len(repeated) < TOWN_MIN_REPEATED or len({pc for c in postcodes_of.values() for pc in c}) < 2:
        return False
    return _agreement(repeated) >= CITY_DEPENDENCY


def _keeps_to_its_area(lowered, column, postcode_col) -> bool:
    """Whether the column's values that repeat each keep to one area, in a table spanning several
    (see AREA_AGREEMENT): the towns of a file merging labs across the country."""
    areas = lowered.areas(postcode_col)
    if areas is None:
        return False
    grouped = _grouped(lowered[column], areas)
    repeated = [counts for counts in grouped.values() if sum(counts.values()) >= CITY_MIN_ROWS_PER_POSTCODE]
    return len(repeated) >= TOWN_MIN_REPEATED and _agreement(repeated) >= AREA_AGREEMENT


def _determined_by(lowered, column, key_column) -> bool:
    by_key = _pairs(lowered, key_column, column)
    rows = sum(sum(counts.values()) for counts in by_key.values())
    if not by_key or rows / len(by_key) < CITY_MIN_ROWS_PER_POSTCODE:
        return False
    return _agreement(list(by_key.values())) >= CITY_DEPENDENCY


class _Lowered:
    """The sample's columns stripped and lower-cased, each made once: every name-like column
    is paired with the postcode column, both ways. A short row's missing cells are ''."""

    def __init__(self, sample, columns):
        self.sample = sample
        self.columns = columns
        self.lowered = {}
        self._areas = {}

    def areas(self, postcode_col):
        """Each row's area (its postcode's first AREA_CHARS characters), or None when the table
        does not span several areas (see AREA_MAX_SHARE)."""
        if postcode_col not in self._areas:
            areas = [postcode[:AREA_CHARS] for postcode in self[postcode_col]]
            counts = Counter(area for area in areas if area)
            spread = counts and counts.most_common(1)[0][1] <= AREA_MAX_SHARE * counts.total()
            self._areas[postcode_col] = areas if spread else None
        return self._areas[postcode_col]

    def __getitem__(self, j):
        lowered = self.lowered.get(j)
        if lowered is None:
            if len(self.columns[j]) == len(self.sample):  # no short row: the column is row by row
                lowered = [value.strip().lower() for value in self.columns[j]]
            else:
                lowered = [row[j].strip().lower() if j < len(row) else "" for row in self.sample]
            self.lowered[j] = lowered
        return lowered


def _pairs(lowered, key_column, value_column) -> dict:
    """{key: {value: count}} over the rows that hold both (values lower-cased)."""
    return _grouped(lowered[key_column], lowered[value_column])


def _grouped(keys, values) -> dict:
    """{key: {value: count}} over the rows where both are non-empty. Plain dicts: a Counter
    per key cost a Python __init__ each, and a registered table's towns have thousands."""
    grouped = {}
    for (key, value), count in Counter(zip(keys, values)).items():
        if key and value:
            counts = grouped.get(key)
            if counts is None:
                grouped[key] = {value: count}
            else:
                counts[value] = count
    return grouped


def _agreement(groups: list) -> float:
    """Share of the rows that hold their key's most common value. groups: {value: count} each."""
    rows = sum(sum(counts.values()) for counts in groups)
    return sum(max(counts.values()) for counts in groups) / rows if rows else 0.0