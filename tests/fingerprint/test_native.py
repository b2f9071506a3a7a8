"""The C tokenizer (matchers/fingerprint/_tokenize.c) against its Python reference.

Tokens are format v1: a C loop that hashed one value differently would orphan every
registered dataset, so the two must agree token for token on every input: the synthetic leaks in every format, random cells, and each normalizer.
"""

import csv
import io
import random
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from world.synth.generate import generate
from leakwatch.matchers.extract import open_documents
from leakwatch.matchers.fingerprint import DeploymentKey
from leakwatch.matchers.fingerprint.profile import profile_columns
from leakwatch.matchers.fingerprint.tokens import EMAIL, NIR, PHONE, SAMPLE, TYPED_SHARE, Tokenizer, native_available
from leakwatch.matchers.normalize import normalize_email, normalize_nir, normalize_phone

KEY = DeploymentKey(bytes(range(32)))


def pair():
    hasher = KEY.hasher()
    native, reference = Tokenizer(hasher), Tokenizer(hasher, native=False)
    assert native.native and not reference.native
    return native, reference


def assert_same(native, reference, rows, name_slots=None, event_dates=()):
    """Same tokens for each record, in the same order; records of different blocks of rows may
    interleave differently (the C loop reads a block of rows at a time)."""
    got = native.batch(rows, name_slots, event_dates)
    expected = reference.batch(rows, name_slots, event_dates)
    assert np.all(got.owners[1:] >= got.owners[:-1]), "the C tokens come in record order"
    mine, theirs = np.argsort(got.owners, kind="stable"), np.argsort(expected.owners, kind="stable")
    for field in ("tokens", "owners", "kinds", "slots"):
        assert np.array_equal(getattr(got, field)[mine], getattr(expected, field)[theirs]), field
    for field in ("has_postcode", "field_bits"):
        assert np.array_equal(getattr(got, field), getattr(expected, field)), field
    return got


def test_the_extension_is_built_by_the_install():
    # `pip install -e .` compiles it (libb2 from Debian's libb2-dev); a silent fallback
    # to Python would make every scan four times slower.
    assert native_available()


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    generate(out, rows=150, institutions=20)
    return out


def test_every_synthetic_leak_gives_the_same_tokens(synth):
    native, reference = pair()
    files = sorted(p for p in synth.rglob("*") if p.is_file() and p.suffix != ".json")
    assert len(files) > 15
    tokens = 0
    for path in files:
        for doc in open_documents(path):
            assert not doc.error, (path, doc.error)
            rows = list(doc.records())
            for start in range(0, len(rows), 500):
                batch = rows[start:start + 500]
                tokens += len(assert_same(native, reference, batch).tokens)
                # Registration's way too: name words only from the profiled name columns.
                if len({len(r) for r in batch}) == 1 and len(batch[0]) > 1:
                    profile = profile_columns(batch, reference)
                    assert_same(native, reference, batch, profile.name_slots, profile.event_dates)
    assert tokens > 10_000


def test_a_lab_table_with_every_kind_of_column(synth):
    native, reference = pair()
    rows = [r for doc in open_documents(synth / "institutions" / "labo-01.csv") for r in doc.records()]
    got = assert_same(native, reference, rows)
    assert set(np.unique(got.kinds).tolist()) == {1, 2, 3, 4, 5}  # every kind of token


# Cells a dump can hold, ASCII or not: identifiers in every spelling, dates, names, prose.
_ALPHABET = string.ascii_letters + string.digits + " .-_/()+@'<>\"\t" + "éèÉçßœ\u00a0١²ⅷ"
cells = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=30),
    st.sampled_from(["1 61 12 75 123 456 78", "161127512345678", "2 80 02 2A 123 456 10", "0610012046",
                     "+33 6 10 01 20 46", "06 10 01 20 46", "0033 (0)6 10 01 20 46", "Jean.Dupont@Example.FR",
                     "<a@b.co>", "5 décembre 1961", "05/12/1961", "1961-12-05", "75011", "Jean-Pierre LE GALL",
                     "Dr Martin", "séropositif HIV", "5.12.61", "12-31-1961", "31/02/1961", "29/02/2000",
                     "1900-02-29", "00/00/0000", "1/1/1850", "05 12 1961", "19611205", "05/12/1961 10:30", "appel au 06.10.01.20.46 ou a@b.fr le 05/12/1961", "O+", ""]),
)
rows_strategy = st.lists(st.lists(cells, min_size=0, max_size=6), min_size=1, max_size=300)  # > one block


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_strategy, st.sampled_from([None, [0, 1, -1, 2, 0, -1], [-1] * 6]),
       st.sampled_from([(), (1,), (0, 2, 5)]))
def test_random_rows_give_the_same_tokens(rows, name_slots, event_dates):
    native, reference = pair()
    assert_same(native, reference, rows, name_slots, event_dates)


def test_event_date_columns_give_no_combinations():
    native, reference = pair()
    rows = [["Jean", "Martin", "05/12/1961", "03/02/2021", "75011"]] * 3
    for tokenizer in (native, reference):
        both = tokenizer.batch(rows, [0, 4, -1, -1, -1])
        births_only = tokenizer.batch(rows, [0, 4, -1, -1, -1], (3,))
        # Two words and a postcode, each with two dates, against the same with the birth date only.
        assert len(both.tokens) == 2 * len(births_only.tokens) == 2 * 3 * 3
        assert set(births_only.tokens.tolist()) < set(both.tokens.tolist())
        assert np.array_equal(both.field_bits, births_only.field_bits)  # still noted as dates


@settings(max_examples=200, deadline=None)
@given(st.lists(cells, min_size=8, max_size=8), st.sampled_from(["161127512345678", "06 10 01 20 46", "a.b@c.fr"]))
def test_typed_columns_with_strays_give_the_same_tokens(strays, typical):
    # A column typed from its sample (NIR, phone, e-mail) whose later values are typos or
    # values of another kind: the strays go through classification, as in Python.
    native, reference = pair()
    rows = [[typical, "Martin", "05/12/1961"] for _ in range(64)] + [[s, "Martin", "05/12/1961"] for s in strays]
    assert_same(native, reference, rows)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(cells, st.integers(min_value=1, max_value=40)), max_size=60))
def test_a_columns_commonest_kind_is_found_in_c_as_in_the_profile(values):
    # Every kind, ties, early stops and dates read to the end: the profile's own function
    # (profile._commonest_kind) is the reference.
    from collections import Counter

    from leakwatch.matchers.fingerprint.profile import _commonest_kind

    native, reference = pair()
    counts = Counter()
    for value, count in values:
        counts[value] += count
    assert native.commonest_kind(counts) == _commonest_kind(counts, reference.classify)
    assert native.commonest_kind(counts) == _commonest_kind(counts, native.classify)  # its cache, now warm


def test_every_column_of_the_synthetic_tables_has_the_same_commonest_kind_in_c(synth):
    from collections import Counter

    from leakwatch.matchers.fingerprint.profile import sample_columns, _commonest_kind

    native, reference = pair()
    found = Counter()
    for path in sorted((synth / "institutions").iterdir()):
        rows = [r for doc in open_documents(path) for r in doc.records()]
        for column in sample_columns(rows):
            counts = Counter(column)
            got = native.commonest_kind(counts)
            assert got == _commonest_kind(counts, reference.classify)
            found[got[0]] += 1
    assert len(found) >= 5  # dates, names, postcodes, identifiers...


def _near_identifiers(rng):
    digits = "".join(rng.choice(string.digits) for _ in range(rng.randint(8, 17)))
    seps = " .-_/()+"
    noisy = "".join(ch + (rng.choice(seps) if rng.random() < 0.3 else "") for ch in digits)
    if rng.random() < 0.3:
        noisy = noisy[:5] + rng.choice(["2A", "2B", "2a"]) + noisy[7:]
    local = "".join(rng.choice(string.ascii_letters + "._%+-'") for _ in range(rng.randint(0, 6)))
    domain = ".".join("".join(rng.choice(string.ascii_letters + "-0") for _ in range(rng.randint(0, 5)))
                      for _ in range(rng.randint(1, 3)))
    email = rng.choice(["", " ", "<", "'", "\t"]) + local + rng.choice(["@", "@@", ""]) + domain + rng.choice(["", ">", " "])
    return [rng.choice(["", "0", "00", "+", "+33", "0033"]) + noisy, email]


def test_normalizers_agree_on_near_identifiers():
    batcher = Tokenizer(KEY.hasher())._native
    rng = random.Random(5)
    python = {NIR: normalize_nir, EMAIL: normalize_email, PHONE: normalize_phone}
    valid = 0
    for _ in range(30_000):
        for text in _near_identifiers(rng):
            for code, normalize in python.items():
                expected = normalize(text)
                assert batcher.normalize(code, text) == expected, (code, text)
                valid += expected is not None
    # The generator reaches valid values of each kind, not only rejects.
    assert valid > 1000


def test_valid_nirs_phones_and_emails_normalize_alike():
    from world.synth.people import nir_key

    batcher = Tokenizer(KEY.hasher())._native
    rng = random.Random(9)
    for _ in range(5000):
        body = f"{rng.choice('12')}{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{rng.choice(['75', '2A', '2B', '13'])}" \
               f"{rng.randint(0, 999):03d}{rng.randint(0, 999):03d}"
        nir = body + nir_key(body)
        for text in (nir, " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]]), body):
            assert batcher.normalize(NIR, text) == normalize_nir(text) is not None
        phone = f"0{rng.randint(1, 9)}{rng.randint(0, 99_999_999):08d}"
        for text in (phone, ".".join(phone[i:i + 2] for i in range(0, 10, 2)), "+33 " + phone[1:]):
            assert batcher.normalize(PHONE, text) == normalize_phone(text) is not None
        email = f" First.Last{rng.randint(0, 99)}@Mail-{rng.randint(0, 9)}.example.FR "
        assert batcher.normalize(EMAIL, email) == normalize_email(email) is not None


def test_numeric_dates_normalize_alike():
    import re

    from leakwatch.matchers.normalize import normalize_date

    batcher = Tokenizer(KEY.hasher())._native
    numeric = re.compile(r"\d{1,4}[/\-. ]\d{1,2}[/\-. ]\d{1,4}")
    rng = random.Random(3)
    read = 0
    for _ in range(50_000):
        y, m, d = rng.randint(1840, 2110), rng.randint(0, 13), rng.randint(0, 32)
        year = str(y) if rng.random() < 0.7 else str(y % 100).zfill(rng.randint(1, 2))
        m, d = (str(v).zfill(rng.randint(1, 2)) for v in (m, d))
        parts = rng.choice([[d, m, year], [m, d, year], [str(y), m, d]])
        text = rng.choice("/-. ").join(parts)
        if rng.random() < 0.2:  # and near misses
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice("0123456789/-. x") + text[at + 1:]
        mine = batcher.normalize(0, text)
        if mine is not None or numeric.fullmatch(text):
            # The C reader knows the numeric form only, and knows it exactly.
            assert mine == normalize_date(text), text
            read += mine is not None
    assert read > 500


def _dated(rng) -> str:
    """A date as exports write it: eight digits, or numeric with a time of day, and near misses."""
    y, m, d = rng.randint(1840, 2110), rng.randint(0, 13), rng.randint(0, 32)
    if rng.random() < 0.4:
        parts = rng.choice([(f"{y:04d}", f"{m:02d}", f"{d:02d}"), (f"{d:02d}", f"{m:02d}", f"{y:04d}")])
        text = "".join(parts)
    else:
        year = str(y) if rng.random() < 0.8 else str(y % 100).zfill(2)
        parts = rng.choice([[f"{d:02d}", f"{m:02d}", year], [str(y), f"{m:02d}", f"{d:02d}"]])
        text = rng.choice("/-. ").join(parts)
        seconds = rng.choice(["", f":{rng.randint(0, 59):02d}", f":{rng.randint(0, 59):02d}.{rng.randint(0, 999999)}"])
        zone = rng.choice(["", "", "Z", "z", "+02:00", "-0530", "+2", "+02:0"])
        text += rng.choice([" ", "T", "t", "  "]) + f"{rng.randint(0, 29)}:{rng.randint(0, 59):02d}" + seconds + zone
    for _ in range(rng.choice([0, 0, 0, 1, 2])):  # near misses
        at = rng.randrange(len(text))
        text = text[:at] + rng.choice("0123456789/-. :Tz+x") + text[at + 1:]
    return text.strip()  # as classify gives it to the normalizers


def test_compact_dates_and_dates_with_a_time_normalize_alike():
    from leakwatch.matchers.normalize import normalize_date

    batcher = Tokenizer(KEY.hasher())._native
    rng = random.Random(5)
    read = compact = timed = 0
    for _ in range(60_000):
        text = _dated(rng)
        mine = batcher.normalize(0, text)
        assert mine is None or mine == normalize_date(text), text
        if mine is not None:
            read += 1
            compact += text.isdigit()
            timed += ":" in text
    # Where Python reads one of these forms, so does C: it never hands such a date back.
    for _ in range(20_000):
        text = _dated(rng)
        if normalize_date(text) is not None and (text.isdigit() or ":" in text):
            assert batcher.normalize(0, text) == normalize_date(text), text
    assert read > 10_000 and compact > 3_000 and timed > 3_000


def test_addresses_and_postcodes_are_classified_in_c_as_in_python():
    """Text that starts with a digit (an address) and postcodes: classify's answer, read in C."""
    from leakwatch.matchers.fingerprint import cells as C

    batcher = Tokenizer(KEY.hasher())._native
    rng = random.Random(17)
    words = ["rue", "Avenue", "de la", "VIH", "hiv", "diabete", "cancer", "Dr", "bis", "8 mai 1945", "Verdun",
             "allee", "chemin", "x", "CEDEX", "tel", "bp", "apt", "\t", "  ", ",", "-", "'", "0", "12", "2A"]
    answered = {}
    for _ in range(40_000):
        head = rng.choice([str(rng.randint(0, 99999)), f"{rng.randint(0, 999)}", rng.choice("+(") + str(rng.randint(0, 9))])
        text = " ".join([head] + rng.choices(words, k=rng.randint(0, 6)))
        if rng.random() < 0.1:
            text = rng.choice([" ", "\t", ""]) + text + rng.choice([" ", "\x1f", ""])
        quick = batcher.quick_cell(text)
        if quick is not None:
            assert quick == C.classify(text) and type(quick) is C.Cell, text
            answered[quick.kind] = answered.get(quick.kind, 0) + 1
    assert answered.get(C.TEXT, 0) > 5_000 and answered.get(C.POSTCODE, 0) > 100, answered


def test_quick_cells_are_the_cells_classify_gives():
    """Tokenizer.classify asks the C reader first: where it answers, it answers as cells.classify."""
    from leakwatch.matchers.fingerprint import cells as C

    batcher = Tokenizer(KEY.hasher())._native
    rng = random.Random(11)
    answered = 0
    for _ in range(20_000):
        date = f"{rng.randint(1, 31):02d}{rng.choice('/-. ')}{rng.randint(1, 12):02d}/{rng.randint(1900, 2020)}"
        for text in _near_identifiers(rng) + [date, _dated(rng), "Dupont", "75011", ""]:
            quick = batcher.quick_cell(text)
            if quick is not None:
                assert quick == C.classify(text) and type(quick) is C.Cell, text
                answered += 1
    assert answered > 20_000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(list("0123456789 .-/@") + ["é", "à", "ÿ", "²", "rue", "allée", "٣", "Ⅻ", "①"]),
                         min_size=0, max_size=30).map("".join), min_size=8, max_size=8))
def test_free_text_with_accents_is_read_for_identifiers_as_in_python(texts):
    # A text column (addresses): Latin-1 cells are searched for identifiers in C, others in
    # Python; Latin-1 has no digit beyond ASCII, so both must find the same.
    native, reference = pair()
    addresses = ["12 allée des Érables", "3 rue de la Gare", "8 place Saint-Étienne", "1 chemin du Moulin"] * 16
    rows = [[a, "Martin", "05/12/1961"] for a in addresses] + [[t, "Martin", "05/12/1961"] for t in texts]
    assert_same(native, reference, rows)


@given(st.text(alphabet=st.sampled_from(list("0123456789 abc-+@.") + ["²", "٣", "é", "\u0660"]), max_size=60))
def test_digits_are_counted_as_str_isdigit_counts_them(text):
    from leakwatch.matchers.fingerprint.cells import _count_digits

    assert _count_digits(text) == sum(ch.isdigit() for ch in text)


_NAME_WORDS = ["Martin", "DESMARTEINE", "Jean", "paul", "Le", "de", "la", "Dr", "docteur", "Pr", "prof", "maître",
               "N'Diaye", "Hélène", "van", "Apos", "Oneg", "seropositif", "VIH", "diabète", "A", "x", "Me"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_NAME_WORDS + list(" -'.")), min_size=1, max_size=9).map("".join),
       st.sampled_from(["", " ", "  ", "\t"]))
def test_quick_name_cells_are_the_cells_classify_gives(text, pad):
    """ASCII names are classified in C too: titles, health words, particles, blood groups and
    odd spacing must come out as cells.classify makes them, or be left to it."""
    from leakwatch.matchers.fingerprint import cells as C

    batcher = Tokenizer(KEY.hasher())._native
    text = pad + text + pad
    quick = batcher.quick_cell(text)
    if quick is not None:
        assert quick == C.classify(text) and type(quick) is C.Cell


def test_surnames_of_the_synthetic_world_are_classified_in_c_as_in_python():
    from world.synth.labnames import tail_surname
    from world.synth.pools import FEMALE_FIRST, LAST, MALE_FIRST, SURNAME_TAIL
    from leakwatch.matchers.fingerprint import cells as C

    batcher = Tokenizer(KEY.hasher())._native
    firsts = [name if isinstance(name, str) else name[0] for name in FEMALE_FIRST + MALE_FIRST]
    lasts = [name if isinstance(name, str) else name[0] for name in LAST] + SURNAME_TAIL
    names = [tail_surname(rank) for rank in range(3000)] + lasts + firsts
    names += [f"{first} {last.upper()}" for first, last in zip(firsts * 20, lasts)]
    answered = 0
    for name in names:
        quick = batcher.quick_cell(name)
        if quick is not None:
            assert quick == C.classify(name), name
            answered += 1
    assert answered > 0.8 * len(names)


_LATIN1 = [chr(c) for c in range(0x80, 0x100)]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_NAME_WORDS + _LATIN1 + list(" -'.\t") + ["rue", "allée", "12", "3", "1945"]),
                min_size=1, max_size=9).map("".join),
       st.sampled_from(["", " ", "\xa0", "\x85", "12 ", "4 bis "]))
def test_latin1_names_and_addresses_are_the_cells_classify_gives(text, head):
    """Accented names ('Hélène') and addresses ('12 allée des Érables') are classified in C:
    every Latin-1 character, white space beyond ASCII included, must come out as
    cells.classify makes it, or be left to it."""
    from leakwatch.matchers.fingerprint import cells as C

    batcher = Tokenizer(KEY.hasher())._native
    text = head + text
    quick = batcher.quick_cell(text)
    if quick is not None:
        assert quick == C.classify(text) and type(quick) is C.Cell


def test_accented_names_and_addresses_are_answered_in_c():
    from leakwatch.matchers.fingerprint import cells as C

    batcher = Tokenizer(KEY.hasher())._native
    values = ["Hélène", "LEFÈVRE", "Françoise Müller", "Ægir Ørsted", "Großmann", "12 allée des Érables",
              "8 place Saint-Étienne", "145 chemin de la Forêt prolongée n°"]
    cells = {value: batcher.quick_cell(value) for value in values}
    for value, cell in cells.items():
        assert cell is None or cell == C.classify(value), value
    assert all(cells[v] is not None for v in values[:7]), [v for v in values[:7] if cells[v] is None]
    assert cells[values[-1]] is None  # '°' is not folded here: Python reads it


def test_health_words_and_titles_are_found_in_c_where_the_regexes_find_them():
    """The C tests for health words and titles (no Python regex) against cells' own regexes,
    through quick_cell: each stem and title after and before every kind of character."""
    from leakwatch.matchers.fingerprint import cells as C

    batcher = Tokenizer(KEY.hasher())._native
    around = ["", " ", "-", "'", "x", "_", "9", "é", "Martin ", " Martin", "12 rue ", "."]
    compared = declined = 0
    for word in C.HEALTH_STEMS + C.TITLES:
        for before in around:
            for after in around:
                for text in (before + word + after, before + word.upper() + after, "Jean " + before + word + after):
                    quick = batcher.quick_cell(text)
                    expected = C.classify(text)
                    if quick is None:
                        declined += 1
                        # declined, never wrong: a health note or a doctor is Python's to make
                    else:
                        assert quick == expected, text
                        compared += 1
                    if expected.kind in (C.HEALTH, C.DOCTOR):
                        assert quick is None, text
    assert compared > 1000 and declined > 1000


@pytest.mark.parametrize("date", ["05-DEC-61", "05-JANV.-61", "05-FÉVR.-1961", "5-SEPT-61", "12-juil-1961",
                                  "1er mai 1961", "5th December 1961"])
def test_dates_with_their_month_in_words_give_the_tokens_python_gives(date):
    """C answers a cell that starts with a digit and holds letters as text (an address) unless it
    may be a date with its month in words: that one Python reads, as its reference does."""
    from leakwatch.matchers.fingerprint import cells as C

    assert C.classify(date).kind == C.DATE
    native, reference = pair()
    rows = [["Dupont", "Jean", date, "75012", "12 rue des Lilas"] for _ in range(8)]
    got = assert_same(native, reference, rows)
    assert len(got.tokens) == 8 * 3  # two name words and the postcode, each with the birth date
    assert_same(native, reference, _spans_of(rows))
    quick = native._native.quick_cell(date)
    assert quick is None or quick == C.classify(date)


def test_a_postcode_with_its_commune_in_one_cell_gives_the_tokens_python_gives():
    from leakwatch.matchers.fingerprint import cells as C

    places = ["75012 PARIS", "13005, Marseille", "38400 Saint-Martin-d'Hères", "75012 PARIS CEDEX 12",
              "69003 LYON 3E ARRONDISSEMENT", "10000 UI", ""]
    assert [C.classify(p).value for p in places[:4]] == ["75012", "13005", "38400", "75012"]
    native, reference = pair()
    rows = [["Dupont", "Jean", "05/12/1961", place] for place in places * 4]
    got = assert_same(native, reference, rows)
    assert int(np.sum(got.has_postcode)) == 4 * 4
    assert_same(native, reference, _spans_of(rows))
    assert_same(native, reference, [[row[3]] for row in rows])  # a column of places alone


# ---------- records read from a block's bytes (extract/readers/spans.py) ----------

def _spans_of(rows, encoding="utf-8", errors=None):
    from leakwatch.matchers.extract.encoding import UTF8_FALLBACK
    from leakwatch.matchers.extract.readers.spans import CellSpans

    errors = errors or (UTF8_FALLBACK if encoding == "utf-8" else "replace")
    # Written as a CSV writer writes them: a cell with a quote is quoted, its quotes doubled
    # (such a record is made by the csv module, the others are cut in C).
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    data = out.getvalue().encode(encoding, errors="replace")
    spans = CellSpans.cut(data, encoding, errors, ";", 10_000, 1_000)
    assert spans is not None
    return spans


_plain_cells = cells.map(lambda c: c.replace(";", ",").replace("\n", " ").replace("\r", " ").replace("\x00", ""))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_plain_cells, min_size=1, max_size=6), min_size=1, max_size=300),
       st.sampled_from(["utf-8", "cp1252", "latin-1"]), st.sampled_from([None, [0, 1, -1, 2, 0, -1]]),
       st.sampled_from([(), (2,)]))
def test_cells_read_from_bytes_give_the_tokens_of_their_records(rows, encoding, name_slots, event_dates):
    native, reference = pair()
    spans = _spans_of([[c for c in row if c or True] for row in rows], encoding)
    assert_same(native, reference, spans, name_slots, event_dates)
    # Again, the cells now in the cache of cells by bytes.
    assert_same(native, reference, spans, name_slots, event_dates)


def _python_column_kinds(tokenizer, spans):
    """Tokenizer._column_kind of each column's sample, as tokens.py took it before column_kinds."""
    return [tokenizer._column_kind(spans.column(j, SAMPLE * 4, SAMPLE)) for j in range(spans.width)]


def _c_column_kinds(tokenizer, spans):
    return tokenizer._native.column_kinds(spans.data, spans.encoding or "", spans.errors or "", spans.rows,
                                          spans.bounds, spans.made, SAMPLE * 4, SAMPLE, TYPED_SHARE,
                                          tokenizer._cache, tokenizer.classify)


_typed_cells = st.one_of(cells, st.sampled_from(["", " ", "05/12/1961", "a.b@c.fr", "06 10 01 20 46", "161127512345678",
                                                 "12 rue du 8 Mai 1945", '"quoted" text', "Zo\xe9", "\u00a0"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_typed_cells.map(lambda c: c.replace(";", ",")), min_size=1, max_size=5), min_size=1,
                max_size=320),
       st.integers(0, 3), st.sampled_from(["utf-8", "cp1252", "latin-1"]))
def test_columns_are_planned_in_c_from_the_samples_python_takes(rows, typed, encoding):
    # A column of one kind (typed of them: a NIR, e-mail, phone or date column) among random
    # ones, short rows, empty cells and quoted records made by the csv module: batch()'s plans
    # come from C's samples and kinds, which must be those of CellSpans.column and _column_kind.
    column = [["161127512345678"], ["a.b@c.fr"], ["06 10 01 20 46"], ["05/12/1961"]][typed]
    rows = [row + column if n % 9 else row for n, row in enumerate(rows)]
    spans = _spans_of(rows, encoding)
    native = Tokenizer(KEY.hasher())
    expected = _python_column_kinds(native, spans)
    assert _c_column_kinds(native, spans) == expected
    assert _c_column_kinds(native, spans) == expected  # again, from the cache of cells by bytes


def test_a_typed_column_is_planned_as_python_plans_it():
    # One kind in four fifths of the sample types the column; a column sampled short of four
    # non-empty cells, or with too many of another kind, is not typed.
    native = Tokenizer(KEY.hasher())
    phones = [f"06 10 01 {n:02d} 46" for n in range(80)]
    rows = [[phones[n], "x" if n % 6 == 0 else f"0{n % 9 + 1}/05/1961", "" if n > 2 else "a.b@c.fr",
             "Zoé" if n % 2 else "05/12/1961"] for n in range(80)]
    spans = _spans_of(rows)
    assert _c_column_kinds(native, spans) == ["phone", "date", None, None] == _python_column_kinds(native, spans)
    text = "".join(";".join(r) + "\n" for r in rows)
    from leakwatch.matchers.extract import ExtractLimits
    from leakwatch.matchers.extract.readers.text import text_spans
    from leakwatch.matchers.extract.readers.spans import CellSpans

    found = text_spans(text, ExtractLimits(), lambda header: None)
    if found is not None:  # the same records as spans of a str
        from_text = CellSpans(text, None, None, *found)
        assert _c_column_kinds(native, from_text) == _python_column_kinds(native, from_text)


def test_the_same_bytes_in_another_encoding_are_read_again():
    native, reference = pair()
    rows = [["Zoé", "MÜLLER", "05/12/1961", "75011", "Dr Martin €"]] * 40
    for encoding in ("cp1252", "latin-1", "cp1252"):
        data = "".join(";".join(r) + "\n" for r in rows).encode("cp1252")  # the same bytes each time
        from leakwatch.matchers.extract.readers.spans import CellSpans

        spans = CellSpans.cut(data, encoding, "replace", ";", 10_000, 100)
        assert_same(native, reference, spans)
        assert list(spans)[0][0] == data.split(b";")[0].decode(encoding)


def test_bytes_that_do_not_decode_are_read_as_their_records_are():
    native, reference = pair()
    rows = [[b"Zo\xe9", b"M\xc3\xbcller", b"05/12/1961", b"\xc3", b"07 77 46 08 02", b"a\xff@b.fr"]] * 30
    data = b"".join(b";".join(r) + b"\n" for r in rows)
    from leakwatch.matchers.extract.encoding import UTF8_FALLBACK
    from leakwatch.matchers.extract.readers.spans import CellSpans

    spans = CellSpans.cut(data, "utf-8", UTF8_FALLBACK, ";", 10_000, 100)
    assert spans[0][:2] == ["Zoé", "Müller"]
    assert_same(native, reference, spans)


def test_the_cache_of_cells_by_bytes_is_bounded_and_stays_right_when_emptied():
    # More distinct short cells than the cache holds (SPAN_CACHE_LIMIT, _tokenize.c): emptied on
    # the way, the tokens are those of the same records read as str.
    native = Tokenizer(KEY.hasher())
    def word(n):  # a distinct name for each n
        return "Nom" + "".join(string.ascii_lowercase[n // 26 ** k % 26] for k in range(4))

    rows = [[word(n), word(n % 977), f"{1 + n % 28:02d}/{1 + n % 12:02d}/19{50 + n % 50}"] for n in range(300_000)]
    spans = _spans_of(rows)
    got, expected = native.batch(spans, [0, 1, -1]), Tokenizer(KEY.hasher()).batch(rows, [0, 1, -1])
    assert len(got.tokens) == 2 * 300_000
    assert np.array_equal(np.sort(got.tokens), np.sort(expected.tokens))


def test_offsets_outside_the_block_are_refused():
    native = Tokenizer(KEY.hasher())
    import struct

    bad = [(struct.pack("=2I", 0, 1), struct.pack("=2I", 0, 99)),   # a cell past the data's end
           (struct.pack("=2I", 0, 2), struct.pack("=2I", 0, 1)),    # more cells than bounds
           (struct.pack("=3I", 0, 1, 0), struct.pack("=2I", 0, 1))]  # records going backwards
    for rows, bounds in bad:
        with pytest.raises(ValueError, match="offsets"):
            native._native.batch_spans(b"abc\n", "utf-8", "strict", rows, bounds, None, [0], [0], {}, native.classify)
    one = (struct.pack("=2I", 0, 1), struct.pack("=2I", 0, 1))
    for made in ([["a"], None], [["a"]], [[1]], ["a"]):  # not a list per record, a record with spans too, not str
        with pytest.raises(ValueError, match="offsets"):
            native._native.batch_spans("abc", "", "", *one, made, [0], [0], {}, native.classify)


def test_classify_in_c_gives_the_cells_of_the_python_method_and_keeps_its_bounds():
    from leakwatch.matchers.fingerprint import tokens

    native, reference = pair()
    assert type(native.classify).__name__ == "builtin_function_or_method"
    rng = random.Random(7)
    values = ["Jean", "05/12/1961", "75011", "06 10 01 20 46", "a@b.fr", "Dr Martin", "séropositif HIV", "O+", "",
              "x" * 41, "Hélène", "12 rue du 8 mai 1945", "١٢٣٤٥", "\u00a0Jean\u00a0"]
    values += ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 45))) for _ in range(3000)]

    class Text(str):
        pass

    for value in values + [Text("Jean"), Text("05/12/1961")]:
        assert native.classify(value) == reference.classify(value) == tokens.C.classify(value), value
    assert native._cache.keys() == reference._cache.keys()  # the same values cached: short ones only
    assert all(len(v) <= tokens._CACHE_MAX_CHARS for v in native._cache)
    with pytest.raises(TypeError):
        native.classify(["not", "hashable"])


def test_the_classify_cache_is_emptied_at_its_limit():
    native = Tokenizer(KEY.hasher())
    native._native.set_cache(native._cache, 40, 100)  # the bounds tokens.py gives, made small
    sizes = []
    for n in range(250):
        native.classify(f"Nom{string.ascii_lowercase[n % 26]}{string.ascii_lowercase[n // 26]}")
        sizes.append(len(native._cache))
    assert max(sizes) == 100 and sizes[100] == 1  # full at 100, emptied by the 101st


_TEXT_PIECES = ["Jean", "MARTIN", "05/12/1961", "75011", "06 10 01 20 46", "a.b@c.fr", "161127512345678", "Hélène",
                "J€an", "😀", "ı", "Dr Martin", "séropositif HIV", " ", ";", ";", "|", "\n", "\n", "prose about it"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TEXT_PIECES), min_size=1, max_size=400).map("".join))
def test_free_text_read_as_spans_gives_the_tokens_of_its_records(text):
    from leakwatch.matchers.extract import ExtractLimits
    from leakwatch.matchers.extract.readers.spans import CellSpans
    from leakwatch.matchers.extract.readers.text import text_spans

    native, reference = pair()
    found = text_spans(text, ExtractLimits(), lambda header: None)
    assert found is not None
    spans = CellSpans(text, None, None, *found)
    assert_same(native, reference, spans)
    assert_same(native, reference, spans)  # again, from the cache of cells by their characters


def test_short_text_cells_are_classified_once_then_found_in_the_cache():
    # A combo list's passwords are a column of text, and they repeat ('123456', 'azerty1'):
    # classified once, in the cache after (the same Cell as classify gives).
    native, reference = pair()
    rows = [[f"user{n}@example.org", f"azerty{n % 7}x" if n < 300 else f"pw{n % 5}-2020-99"] for n in range(400)]
    assert native._column_kind([r[1] for r in rows]) == "text"  # from its first rows: no "pw" there
    assert_same(native, reference, rows)
    assert "pw3-2020-99" in native._cache and native._cache["pw3-2020-99"] == reference.classify("pw3-2020-99")


def _cpu_has_avx2() -> bool:
    with open("/proc/cpuinfo") as cpuinfo:
        return any(line.startswith("flags") and " avx2" in line for line in cpuinfo)


def test_tokens_are_hashed_four_at_a_time_where_the_cpu_allows_it():
    # _blake2b_lanes.h: the scan's tokens go through it whenever the CPU runs AVX2 (this
    # machine's and CI's do); a silent fall back to one message at a time would cost a sixth.
    assert Tokenizer(KEY.hasher())._native.lanes == _cpu_has_avx2()


def test_tokens_hashed_in_lanes_are_the_keyed_blake2b_of_their_messages():
    # Messages of every length up to past two blocks, in batches of every size modulo four, long
    # ones (hashed alone, by libb2) among short ones (four at a time): each digest is hashlib's.
    native = Tokenizer(KEY.hasher())._native
    new_state = KEY.hasher().new_state
    rng = random.Random(2021)

    def blake2b(message):
        state = new_state()
        state.update(message)
        return state.digest()

    every_length = [bytes(rng.randrange(256) for _ in range(n)) for n in range(1, 300)]
    assert native.digests(every_length) == b"".join(map(blake2b, every_length))
    for count in (0, 1, 2, 3, 4, 5, 7, 8, 9, 33):
        lengths = [rng.choice([1, 2, 8, 63, 64, 65, 127, 128, 129, 256, 1000]) for _ in range(count)]
        messages = [bytes(rng.randrange(256) for _ in range(n)) for n in lengths]
        assert native.digests(messages) == b"".join(map(blake2b, messages)), lengths
