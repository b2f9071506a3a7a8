"""The evidence model: Fellegi-Sunter scores, a threshold from the registry's size, and the
roles of columns, on tables registered in a real Redis."""

import itertools
import random

import numpy as np
import pytest

from leakwatch.matchers.fingerprint import DeploymentKey, Tokenizer, fingerprint_records
from leakwatch.matchers.fingerprint import cells as C
from leakwatch.matchers.fingerprint.fpfile import FLAG_NIR, FLAG_PHONE, FLAG_POSTCODE, FLAG_TWO_NAMES
from leakwatch.matchers.fingerprint.tokens import DOB_POSTCODE, FIELD_BIT, NAME_DOB, NIR, PHONE
from leakwatch.matchers.match import IndexCache, Scanner
from leakwatch.matchers.match import evidence
from leakwatch.matchers.match.scanner import DatasetMatch
from leakwatch.matchers.normalize import nir_key
from leakwatch.matchers.registry import RedisRegistry

SYLLABLES = ["ber", "gau", "lau", "mar", "pel", "rou", "tes", "vil", "char", "mon", "del", "four", "gil", "bou",
             "ca", "di", "fo", "ju", "ke", "no"]
DAYS = [f"2025-{m:02d}-{d:02d}" for m in range(1, 13) for d in (2, 9, 16, 23)]
PLACES = ["75011", "75012", "93100", "94300", "75020"]


def word(r):
    return "".join(r.choice(SYLLABLES) for _ in range(3)).capitalize()


def nir(r, sex="1"):
    body = f"{sex}{r.randint(30, 99):02d}{r.randint(1, 12):02d}75{r.randint(100, 999)}{r.randint(100, 999)}"
    return body + f"{nir_key(body):02d}"


def patient(r):
    """nir, nom, prenom, date_naissance, code_postal, telephone, date_prelevement"""
    return [nir(r), word(r), word(r), f"{r.randint(1930, 2005)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            r.choice(PLACES), f"06{r.randint(10_000_000, 99_999_999)}", r.choice(DAYS)]


@pytest.fixture(scope="module")
def key():
    return DeploymentKey.generate()


@pytest.fixture
def lab(redis_client, namespace, key):
    r = random.Random(11)
    rows = [patient(r) for _ in range(2000)]
    registry = RedisRegistry(redis_client, namespace)
    registry.register("labo-a", "patients", fingerprint_records(iter(rows), key, "patients"), key_id=key.key_id)
    return registry, rows, r


def scan(registry, key, rows):
    outcome = Scanner(IndexCache(registry).get(), Tokenizer(key.hasher())).scan(iter(rows))
    return {m.institution: m.as_dict() for m in outcome.matches}


def test_names_birth_date_and_postcode_confirm_when_the_names_are_rare(lab, key):
    registry, rows, _ = lab
    leak = [[p[1], p[2], p[3], p[4]] for p in rows[:25]]
    assert scan(registry, key, leak)["labo-a"]["records"] == 25


def test_disagreeing_identifiers_speak_against_names_and_birth_date(lab, key):
    registry, rows, r = lab
    # The registered patients' names, birth dates and postcodes, with another person's valid
    # NIR, e-mail address and phone number: somebody else (a namesake, or a made-up row).
    leak = [[nir(r), p[1], p[2], p[3], p[4], f"07{r.randint(10_000_000, 99_999_999)}", f"x{n}@example.org"]
            for n, p in enumerate(rows[:25])]
    assert scan(registry, key, leak) == {}


def test_strangers_sampled_the_same_days_in_the_same_postcodes_match_nothing(lab, key):
    registry, rows, r = lab
    # Each stranger shares a registered patient's surname, postcode and sampling day.
    strangers = [[nir(r), p[1], word(r), f"{r.randint(1930, 2005)}-01-01", p[4], "", p[6]] for p in rows[:500]]
    strangers += [patient(r) for _ in range(500)]
    assert scan(registry, key, strangers) == {}


def test_a_merged_copy_with_a_sampling_date_keeps_exact_counts(lab, key):
    registry, rows, _ = lab
    assert scan(registry, key, rows[:300])["labo-a"]["records"] == 300


def test_the_threshold_keeps_chance_confirmations_under_the_bound_at_any_size():
    previous = 0
    for registered in (10_000, 100_000, 500_000, 2_000_000):
        bar = evidence.threshold(registered)
        assert bar > previous
        previous = bar
        expected = evidence.ROWS * registered * 2.0 ** -bar
        assert expected <= evidence.CHANCE_PER_10K_ROWS + 1e-12


def _score(kinds, dump_fields, flags, name_bits=0.0, name_fields=0, birth=14.5, postcode=4.0, has_postcode=False):
    mask = sum(1 << k for k in kinds)
    bits = sum(FIELD_BIT[f] for f in dump_fields)
    return float(evidence.scores([mask], [name_bits], [name_fields], [bits], [has_postcode], [flags], [birth],
                                 [postcode])[0])


def test_a_phone_alone_is_not_enough_in_a_large_registry_with_a_birth_date_it_is():
    bar = evidence.threshold(500_000)
    assert _score([PHONE], [C.PHONE], FLAG_PHONE) < bar
    assert _score([PHONE, NAME_DOB], [C.PHONE, C.NAME, C.DATE], FLAG_PHONE, name_bits=7.0, name_fields=1) >= \
        evidence.threshold(100_000)
    assert _score([NIR], [C.NIR], FLAG_NIR) >= evidence.threshold(50_000_000)


def test_each_disagreeing_identifier_lowers_the_score():
    agree = _score([NAME_DOB, DOB_POSTCODE], [C.NAME, C.DATE, C.POSTCODE], FLAG_POSTCODE | FLAG_TWO_NAMES,
                   name_bits=20.0, name_fields=2, has_postcode=True)
    other_nir = _score([NAME_DOB, DOB_POSTCODE], [C.NAME, C.DATE, C.POSTCODE, C.NIR],
                       FLAG_POSTCODE | FLAG_TWO_NAMES | FLAG_NIR, name_bits=20.0, name_fields=2, has_postcode=True)
    moved = _score([NAME_DOB], [C.NAME, C.DATE, C.POSTCODE], FLAG_POSTCODE | FLAG_TWO_NAMES,
                   name_bits=20.0, name_fields=2, has_postcode=True)
    assert other_nir == pytest.approx(agree + evidence.DISAGREE_BITS[NIR])
    assert moved == pytest.approx(agree - 4.0 + evidence.DISAGREE_BITS["postcode"])


def test_a_huge_dump_reports_the_records_chance_could_explain_in_its_range():
    assert evidence.chance_allowance(evidence.chance_records(20_000, 500_000, 16_000)) == 0
    chance = evidence.chance_allowance(evidence.chance_records(20_000_000, 500_000, 16_000))
    assert chance >= 1
    match = DatasetMatch("labo-a", "patients", records=40, weak=5, canaries=0, fields=[], matched_on=[], chance=chance)
    d = match.as_dict()
    assert d["records_low"] == 40 - chance and d["records_high"] == 45 and d["records"] == 40
    assert np.isclose(evidence.chance_records(10_000, 1_000, 1_000), evidence.CHANCE_PER_10K_ROWS)


def test_twins_sharing_a_landline_are_not_one_person(lab, key):
    registry, rows, r = lab
    twins = []
    for p in rows[:40]:
        # Same birth date, surname, postcode and home phone; their own first name, NIR and e-mail.
        twins.append([nir(r), p[1], word(r), p[3], p[4], p[5], f"twin{len(twins)}@example.org"])
    assert scan(registry, key, twins) == {}
    # The registered patients themselves, with the same columns, are all found.
    assert scan(registry, key, [[p[0], p[1], p[2], p[3], p[4], p[5]] for p in rows[:40]])["labo-a"]["records"] == 40


def test_a_phone_with_a_first_name_and_birth_date_confirms_a_twin_does_not():
    bar = evidence.threshold(500_000)
    kinds = [1 << PHONE | 1 << NAME_DOB | 1 << DOB_POSTCODE]
    both = dict(dump_bits=[FIELD_BIT[C.PHONE] | FIELD_BIT[C.NAME] | FIELD_BIT[C.DATE]], dump_has_postcode=[True],
                registered_flags=[FLAG_PHONE | FLAG_POSTCODE | FLAG_TWO_NAMES], birth_bits=[14.8], postcode_bits=[3.0])
    same_person = evidence.scores(kinds, [17.0], [2], name_max=[10.0], **both)[0]
    assert same_person >= bar
    # Neither the surname nor the postcode counted twice; the birth date as household members share it.
    assert same_person == pytest.approx(28 + evidence.HOUSEHOLD_BIRTH_BITS + 7.0)
    twin = evidence.scores(kinds, [10.0], [1], name_max=[10.0], **both)[0]  # another first name
    assert twin < bar  # weak at most: the range may hold it, the count does not


def test_two_nir_matches_in_a_huge_dump_are_reported_whole(lab, key):
    registry, rows, _ = lab
    # 300,000 rows: chance alone could confirm a few records by names and dates at this size,
    # but not by a NIR: the two NIR matches stay whole in records_low.
    filler = ([f"row{i}", "nothing here"] for i in range(300_000))
    leak = [[rows[0][0], "x"], [rows[1][0], "y"]]
    outcome = Scanner(IndexCache(registry).get(), Tokenizer(key.hasher())).scan(
        itertools.chain(leak, filler))
    (match,) = [m.as_dict() for m in outcome.matches]
    assert (match["records"], match["records_low"]) == (2, 2)
    assert evidence.chance_allowance(evidence.chance_records(300_002, 2000, 2000)) >= 2
