"""Column roles from the whole column, and the weights a table gives its agreements.

Pure functions: no peer needed.
"""

import random

import numpy as np
import pytest

from leakwatch.matchers.fingerprint import DeploymentKey, Fingerprint, Tokenizer, fingerprint_records
from leakwatch.matchers.fingerprint.fpfile import (
    FLAG_EMAIL,
    FLAG_NIR,
    FLAG_PHONE,
    FLAG_POSTCODE,
    FLAG_TWO_NAMES,
    FingerprintFileError,
)
from leakwatch.matchers.fingerprint.profile import EVENT, profile_columns
from leakwatch.matchers.fingerprint.weights import CAPS, DEFAULTS, coincidence
from leakwatch.matchers.normalize import nir_key

KEY = DeploymentKey(bytes(range(32)))
rng = random.Random(5)
SYLLABLES = ["ber", "gau", "lau", "mar", "pel", "rou", "tes", "vil", "char", "mon", "del", "four", "gil", "bou"]


def surname(r):
    return "".join(r.choice(SYLLABLES) for _ in range(3)).capitalize()


def lab_rows(n, seed=1):
    """A lab export: birth dates over decades, sampling days of the last two years repeated
    across patients, five postcodes, a town column, 20 doctors without title, 40 exams."""
    r = random.Random(seed)
    days = [f"2024-{m:02d}-{d:02d}" for m in range(1, 13) for d in (3, 10, 17, 24)] + \
           [f"2025-{m:02d}-{d:02d}" for m in range(1, 13) for d in (5, 12, 19, 26)]
    doctors = [f"{surname(r)} {r.choice(['Anne', 'Paul', 'Marc', 'Lise'])}" for _ in range(20)]
    exams = [f"Examen{chr(65 + i % 26)}{'x' * (i // 26)}" for i in range(40)]
    places = [("75011", "Paris"), ("75012", "Paris"), ("93100", "Montreuil"), ("94300", "Vincennes"), ("75020", "Paris")]
    rows = []
    for i in range(n):
        body = f"{r.choice('12')}{r.randint(30, 99):02d}{r.randint(1, 12):02d}75{r.randint(100, 999)}{r.randint(100, 999)}"
        postcode, town = r.choice(places)
        rows.append([body + f"{nir_key(body):02d}", surname(r), r.choice(["Jean", "Marie", "Luc", "Anne", "Paul", "Léa"] +
                     [surname(r) for _ in range(3)]), f"{r.randint(1930, 2010)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
                     postcode, town, r.choice(doctors), r.choice(exams), r.choice(days),
                     r.choice(days)])
    return rows


def test_sampling_and_validation_days_are_event_dates_birth_dates_are_not():
    profile = profile_columns(lab_rows(2000), Tokenizer(KEY.hasher()))
    assert profile.labels[3] == "date"
    assert profile.labels[8] == profile.labels[9] == EVENT
    assert profile.event_dates == (8, 9)


def test_a_lone_date_column_keeps_the_birth_role_unless_it_is_plainly_event_days():
    tokenizer = Tokenizer(KEY.hasher())
    kids = [[surname(rng), f"{rng.choice([2019, 2020, 2021])}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"]
            for _ in range(300)]
    assert profile_columns(kids, tokenizer).event_dates == ()  # a pediatric lab's birth dates
    days = [[surname(rng), f"2025-03-{rng.randint(1, 9):02d}"] for _ in range(300)]
    assert profile_columns(days, tokenizer).event_dates == (1,)


def test_doctors_exams_and_towns_give_no_name_words_patients_do():
    profile = profile_columns(lab_rows(2000), Tokenizer(KEY.hasher()))
    assert profile.labels[1] == profile.labels[2] == "name"
    assert profile.name_slots[1] >= 0 and profile.name_slots[2] >= 0
    for j in (5, 6, 7):  # town, doctor (full names, repeated), exam
        assert profile.name_slots[j] == -1, (j, profile.labels[j])


def test_weights_follow_the_tables_own_rarity():
    fp = fingerprint_records(iter(lab_rows(3000)), KEY, "patients")
    w = fp.weights
    # Five postcodes: about log2(5) bits; a birth date over 80 years: about 14.8.
    assert 1.8 < w["postcode"] < 2.8
    assert 14.0 < w["birth_date"] <= CAPS["birth_date"]
    surname_bits, first_bits = w["names"]["0"], w["names"]["4"]
    assert surname_bits > first_bits + 3  # surnames of three syllables are rare, first names are not
    assert fp.version == 2


def test_coincidence_is_the_chance_two_records_agree():
    assert coincidence({"a": 50, "b": 50}) == pytest.approx(49 / 99)
    assert coincidence({str(i): 1 for i in range(100)}) == 1 / 200  # floored: 100 rows cannot show more
    assert coincidence({"a": 3}) is None  # too few values: the default applies


def test_records_carry_what_they_hold_so_a_disagreement_can_be_weighed():
    body = "1611275123456"
    rows = [[body + f"{nir_key(body):02d}", "Dupont", "Jean", "05/12/1961", "75012", "0610012046", "j@d.fr"],
            ["", "Martin", "", "06/12/1961", "", "", ""]]
    flags = fingerprint_records(iter(rows), KEY, "patients").flags
    assert flags[0] & (FLAG_NIR | FLAG_EMAIL | FLAG_PHONE | FLAG_POSTCODE | FLAG_TWO_NAMES) == \
        FLAG_NIR | FLAG_EMAIL | FLAG_PHONE | FLAG_POSTCODE | FLAG_TWO_NAMES
    assert flags[1] & (FLAG_NIR | FLAG_EMAIL | FLAG_PHONE | FLAG_POSTCODE | FLAG_TWO_NAMES) == 0


def test_a_version_1_file_is_read_with_default_weights_and_flags_from_its_tokens(tmp_path):
    fp = fingerprint_records(iter(lab_rows(100)), KEY, "patients")
    old = Fingerprint(**{**fp.__dict__, "version": 1, "weights": None,
                         "flags": np.zeros(len(fp.flags), np.uint8)})
    old.save(tmp_path / "v1.lwfp")
    loaded = Fingerprint.load(tmp_path / "v1.lwfp")
    assert loaded.version == 1 and loaded.weights is None
    assert np.all(loaded.flags & FLAG_NIR)  # every row of the table has a NIR
    assert DEFAULTS["birth_date"] < CAPS["birth_date"]


def test_a_future_version_is_refused_with_what_to_do(tmp_path):
    fp = fingerprint_records(iter(lab_rows(30)), KEY, "patients")
    Fingerprint(**{**fp.__dict__, "version": 3}).save(tmp_path / "v3.lwfp")
    with pytest.raises(FingerprintFileError, match="fingerprint the table again"):
        Fingerprint.load(tmp_path / "v3.lwfp")


def test_weights_that_are_not_numbers_of_bits_are_refused(tmp_path):
    fp = fingerprint_records(iter(lab_rows(30)), KEY, "patients")
    Fingerprint(**{**fp.__dict__, "weights": {"birth_date": "x", "postcode": 1, "names": {}}}).save(tmp_path / "w.lwfp")
    with pytest.raises(FingerprintFileError, match="weights"):
        Fingerprint.load(tmp_path / "w.lwfp")


def test_towns_sharing_a_postcode_are_towns_first_names_spread_over_postcodes_are_names():
    r = random.Random(3)
    # Rural postcodes: three communes each, every commune with its own single postcode.
    communes = {pc: [f"Saint-{surname(r)}" for _ in range(3)] for pc in ("89100", "89200", "89300", "89400", "89500", "89600")}
    first = ["Jean", "Marie", "Luc", "Anne", "Paul", "Rose", "Marc", "Lise", "Yves", "Eve"] + \
        [surname(r) for _ in range(40)]
    rows = []
    for _ in range(600):
        pc = r.choice(list(communes))
        rows.append([surname(r), r.choice(first), pc, r.choice(communes[pc])])
    profile = profile_columns(rows, Tokenizer(KEY.hasher()), ["nom", "prenom", "cp", "commune"])
    assert profile.labels[3] == "city" and profile.name_slots[3] == -1
    assert profile.labels[1] == "name" and profile.name_slots[1] >= 0


def merged_rows(r, n, departements=24):
    """A file merging labs across the country: each lab's patients in its own département, where
    rural postcodes are shared by three communes each, a city has three postcodes, and two villages
    bear names that villages of other départements bear too; first names and surnames from one
    national pool. Neither postcode -> town nor town -> postcode holds in it."""
    homonyms = [f"Varennes-{surname(r)}" for _ in range(3)]
    places = []
    for d in range(departements):
        dep = f"{10 + 3 * d:02d}"
        towns = [(f"{dep}{100 * (k % 2 + 1):03d}", f"Saint-{surname(r)}") for k in range(6)]
        city = f"Ville-{surname(r)}"
        towns += [(f"{dep}00{k}", city) for k in range(1, 4)]
        towns += [(f"{dep}{900 + k}", homonyms[(d + k) % 3]) for k in range(2)]
        places.append(towns)
    first = ["Jean", "Marie", "Luc", "Anne", "Paul", "Rose", "Marc", "Lise", "Yves", "Eve"] + \
        [surname(r) for _ in range(200)]
    rows = []
    for _ in range(n):
        postcode, town = r.choice(r.choice(places))
        rows.append([surname(r), r.choice(first), postcode, town])
    return rows


def test_towns_of_labs_across_the_country_keep_to_their_area_names_do_not():
    rows = merged_rows(random.Random(6), 2000)
    tokenizer = Tokenizer(KEY.hasher())
    for header in (None, ["nom", "prenom", "cp", "ville"]):
        profile = profile_columns(rows, tokenizer, header)
        assert profile.labels[3] == "city" and profile.name_slots[3] == -1
        assert profile.labels[:2] == ["name", "name"] and min(profile.name_slots[:2]) >= 0
    # One region's table: every column keeps to its area, which then tells nothing; the first
    # names are still names there.
    one_region = merged_rows(random.Random(7), 800, departements=1)
    assert profile_columns(one_region, tokenizer).labels[:2] == ["name", "name"]


def test_a_header_helps_tell_a_small_pool_of_first_names_from_a_list_of_exams():
    r = random.Random(4)
    first = ["Jean", "Marie", "Luc", "Anne", "Paul", "Rose", "Marc", "Lise", "Yves", "Eve"] + \
        [surname(r) for _ in range(30)]
    exams = [f"Examen{chr(65 + i)}" for i in range(26)] + [f"Dosage{chr(65 + i)}" for i in range(20)]
    rows = [[surname(r), r.choice(first), r.choice(exams[:40]) if r.random() < 0.97 else r.choice(exams[40:])]
            for _ in range(800)]
    tokenizer = Tokenizer(KEY.hasher())
    # Without a header both look alike: a few dozen values, repeated.
    blind = profile_columns(rows, tokenizer)
    named = profile_columns(rows, tokenizer, ["Nom", "Prénom", "Examen"])
    assert named.labels == ["name", "name", "repeated"]
    assert named.name_slots[1] >= 0 and named.name_slots[2] == -1
    assert blind.labels[0] == "name"  # values alone still decide where they can (surnames)
