"""The synthetic data generator: valid NIRs, determinism, and ground truth that matches the
files, re-read here independently of the code that wrote them."""

import csv
import gzip
import hashlib
import json
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest

from world.synth import (COLUMNS, build_scenarios, format_date, format_nir, format_phone, make_big_paste,
                         make_institutions, make_lab_file, make_namesakes, make_strangers, nir_key,
                         repost_of, typo)

SEED = 7
# Small on purpose (tests stay fast): 20 labs is the least merged_20 needs to be itself.
N_INST, ROWS, HAYSTACK = 20, 300, 2000


@pytest.fixture(scope="module")
def institutions():
    return make_institutions(N_INST, rows=ROWS, seed=SEED)


@pytest.fixture(scope="module")
def registered(institutions):
    return [r for inst in institutions for r in inst.rows]


@pytest.fixture(scope="module")
def owner(institutions):
    """Every unique value of a registered person -> (institution, NIR)."""
    index = {}
    for inst in institutions:
        for r in inst.rows:
            for value in (r["nir"], r["email"], digits(r["telephone"])):
                if value:
                    index[value] = (inst.name, r["nir"])
            index[(plain(r["nom"]), plain(r["prenom"]), r["date_naissance"])] = (inst.name, r["nir"])
    return index


@pytest.fixture(scope="module")
def leaks(tmp_path_factory, institutions):
    out = tmp_path_factory.mktemp("leaks")
    return {s.name: s for s in build_scenarios(out, institutions, SEED, needle_strangers=HAYSTACK)}


# --- independent readers ---------------------------------------------------------------------

def digits(s):
    return re.sub(r"\D", "", s)


def plain(s):
    """Upper case without accents or whitespace noise: how the tests compare names."""
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return " ".join(s.upper().split())


def phone10(s):
    d = digits(s)
    return "0" + d[-9:] if len(d) >= 9 else d


MONTHS = {m: i + 1 for i, m in enumerate(["JANVIER", "FEVRIER", "MARS", "AVRIL", "MAI", "JUIN", "JUILLET",
                                          "AOUT", "SEPTEMBRE", "OCTOBRE", "NOVEMBRE", "DECEMBRE"])}


def iso_date(s):
    """Any of the leak date formats -> YYYY-MM-DD."""
    s = plain(s)
    if m := re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", s):
        return s
    if m := re.fullmatch(r"(\d\d)[/-](\d\d)[/-](\d{4})", s):
        return f"{m[3]}-{m[2]}-{m[1]}"
    if m := re.fullmatch(r"(\d{1,2}) ([A-Z]+)\.? (\d{4})", s):
        month = next(v for k, v in MONTHS.items() if k.startswith(m[2]))
        return f"{m[3]}-{month:02d}-{int(m[1]):02d}"
    raise AssertionError(f"unexpected date {s!r}")


# sex, year, month, department (2A/2B for Corsica), commune, order, key; optional separators
NIR_RE = re.compile(r"(?<![\d.])[12](?:[ .]{0,2}\d\d){2}[ .]{0,2}(?:\d\d|2A|2B)[ .]{0,2}\d{3}[ .]{0,2}\d{3}"
                    r"[ .]{0,2}\d\d(?![\d.])")


def nirs_in(text):
    return {re.sub(r"[ .]", "", m) for m in NIR_RE.findall(text)}


def read_csv(path, encoding="utf-8", delimiter=","):
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.reader(f, delimiter=delimiter))


def counts(people):
    """{institution: distinct people} from an iterable of (institution, nir) or None."""
    out = {}
    for hit in set(p for p in people if p):
        out[hit[0]] = out.get(hit[0], 0) + 1
    return out


# --- NIR -------------------------------------------------------------------------------------

def test_nir_key_matches_the_published_example():
    # The example NIR of the French Wikipedia article: 2 55 08 14 168 025 38.
    assert nir_key("2550814168025") == "38"


def test_every_nir_has_a_valid_key_and_agrees_with_sex_and_birth_date(registered):
    for r in registered:
        nir = r["nir"]
        assert len(nir) == 15, nir
        dep = {"2A": "19", "2B": "18"}.get(nir[5:7], nir[5:7])
        number = int(nir[:5] + dep + nir[7:13])
        assert (number + int(nir[13:])) % 97 == 0, nir       # key = 97 - number mod 97
        assert nir[0] == ("1" if r["sexe"] == "M" else "2")
        assert nir[1:5] == r["date_naissance"][2:4] + r["date_naissance"][5:7]


def test_nirs_include_corsica_overseas_and_abroad(registered):
    places = {r["nir"][5:7] for r in registered}
    assert {"2A", "2B", "97", "99"} <= places


# --- the institutions' tables ----------------------------------------------------------------

def test_unique_values_are_unique_across_institutions(registered):
    for col in ("nir", "telephone"):
        assert len({r[col] for r in registered}) == len(registered), col
    emails = [r["email"] for r in registered if r["email"]]
    assert len(set(emails)) == len(emails)
    assert 0.65 < len(emails) / len(registered) < 0.75       # about 70 % gave an e-mail
    assert len({(r["prenom"], r["nom"], r["date_naissance"]) for r in registered}) == len(registered)


def test_tables_look_french(registered):
    assert list(registered[0]) == COLUMNS
    firsts, lasts = {r["prenom"] for r in registered}, {r["nom"] for r in registered}
    assert {"Hélène", "Jean-Pierre"} & firsts and "Marie" in firsts
    assert {"N'Diaye", "Le Gall", "Dupont-Martin"} & lasts and "Martin" in lasts
    for r in registered:
        assert re.fullmatch(r"0[1-79]( \d\d){4}", r["telephone"]), r["telephone"]
        assert re.fullmatch(r"\d{5}", r["code_postal"])
        assert r["medecin"].startswith("Dr ")
    blood = [r["groupe_sanguin"] for r in registered]
    assert sorted(set(blood), key=blood.count)[-2:] in (["O+", "A+"], ["A+", "O+"])     # French frequencies
    assert any("séropositif" in r["notes"] for r in registered)
    assert sum(not r["notes"] for r in registered) > len(registered) / 2
    for r in registered:         # latin-1 leaks must be able to hold every value
        "".join(r.values()).encode("latin-1")


def test_labs_draw_mostly_from_their_own_department(institutions):
    for inst in institutions:
        prefix = "20" if inst.department in ("2A", "2B") else inst.department[:2]
        local = sum(r["code_postal"].startswith(prefix) for r in inst.rows)
        assert local / len(inst.rows) > 0.7, inst.name


def test_same_seed_same_people_other_seed_other_people():
    a, b = make_institutions(3, rows=50, seed=1), make_institutions(3, rows=50, seed=1)
    assert [i.rows for i in a] == [i.rows for i in b]
    assert make_institutions(3, rows=50, seed=2)[0].rows != a[0].rows


# --- strangers and namesakes -----------------------------------------------------------------

def test_strangers_share_common_values_but_no_identifier(institutions, registered):
    strangers = make_strangers(3000, SEED, exclude=institutions)
    taken = {r[c] for r in registered for c in ("nir", "telephone", "email") if r[c]}
    ids = {(r["prenom"], r["nom"], r["date_naissance"]) for r in registered}
    for s in strangers:
        assert not {s["nir"], s["telephone"], s["email"]} & taken
        assert (s["prenom"], s["nom"], s["date_naissance"]) not in ids
    # Hard negatives: the same common names, cities and blood groups as registered people.
    for col in ("nom", "prenom", "ville", "groupe_sanguin"):
        assert {s[col] for s in strangers} & {r[col] for r in registered}, col
    # The commonest surname of the head: hard negatives need strangers who share it.
    assert sum(s["nom"] == "Martin" for s in strangers) > 15


def test_namesakes_share_name_and_birth_date_but_live_elsewhere(registered):
    people = registered[:200]
    fakes = make_namesakes(people, SEED, exclude=registered)
    for p, f in zip(people, fakes, strict=True):
        assert (f["prenom"], f["nom"], f["date_naissance"], f["sexe"]) == (
            p["prenom"], p["nom"], p["date_naissance"], p["sexe"])
        assert f["code_postal"] != p["code_postal"] and f["ville"] != p["ville"]
        assert f["nir"] != p["nir"] and f["telephone"] != p["telephone"]
        assert not f["email"] or f["email"] != p["email"]


# --- formats and distortions -----------------------------------------------------------------

def test_value_formats():
    assert format_date("1961-12-05", "words") == "5 décembre 1961"
    assert format_date("1961-12-05", "abbr") == "5 dec. 1961"
    assert format_date("1961-12-05", "dmy_slash") == "05/12/1961"
    assert format_phone("06 10 01 20 46", "intl_spaced") == "+33 6 10 01 20 46"
    assert format_phone("06 10 01 20 46", "intl_compact") == "+33610012046"
    assert format_phone("06 10 01 20 46", "dotted") == "06.10.01.20.46"
    assert format_phone("06 10 01 20 46", "intl_00") == "0033 6 10 01 20 46"
    assert format_nir("161127512345678", "spaced") == "1 61 12 75 123 456 78"


def test_typo_always_changes_the_value():
    import random
    rng = random.Random(0)
    for value in ["a", "aa", "Martin", "06 10 01 20 46", "1961-12-05"]:
        for _ in range(50):
            assert typo(value, rng) != value


# --- the leaks: truth re-counted from the files ----------------------------------------------

def test_merged_20_is_latin1_semicolon_and_its_truth_is_the_distinct_nirs(leaks, owner):
    sc = leaks["merged_20"]
    raw = sc.paths[0].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = read_csv(sc.paths[0], "latin-1", ";")
    assert len(rows[0]) >= 8 and "nir" not in rows[0]         # renamed headers
    assert len(sc.truth) == 20 and len(rows) - 1 > sum(sc.truth.values())   # duplicated lines
    assert counts(owner.get(n) for n in nirs_in(raw.decode("latin-1"))) == sc.truth


@pytest.mark.parametrize("name", ["teaser_chatter", "sql_4cols", "needle_25_all_fields", "typos_10pct"])
def test_truth_of_leaks_with_nirs(leaks, owner, name):
    sc = leaks[name]
    text = sc.paths[0].read_text(encoding="utf-8")
    found = counts(owner.get(n) for n in nirs_in(text))
    if name == "typos_10pct":
        # A typo may break a NIR; nearly every person is still identified by an untouched field
        # (one row in a thousand has typos in its NIR, e-mail, phone and name or birth date).
        found = counts(_identify_row(r, owner) for r in read_csv(sc.paths[0])[1:])
        assert set(found) - {None} == set(sc.truth)
        assert all(abs(found[inst] - n) <= max(2, n // 100) for inst, n in sc.truth.items())
        return
    assert found == sc.truth


def _identify_row(r, owner):
    row = dict(zip(COLUMNS, r))
    for key in (row["nir"], row["email"], digits(row["telephone"])):
        if key in owner:
            return owner[key]
    return owner.get((plain(row["nom"]), plain(row["prenom"]), iso_date(row["date_naissance"])))


def test_typos_hit_one_cell_in_ten(leaks, registered):
    by_nir = {r["nir"]: r for r in registered}
    rows = read_csv(leaks["typos_10pct"].paths[0])[1:]
    changed = filled = 0
    for r in rows:
        original = next((by_nir[c] for c in r if c in by_nir), None)
        if original is None:
            continue
        want = [original[c] if c != "date_naissance" else format_date(original[c], "dmy_slash") for c in COLUMNS]
        filled += sum(1 for w in want if w)
        changed += sum(1 for w, got in zip(want, r) if w != got)
    assert 0.07 < changed / filled < 0.13


def test_teaser_is_a_pipe_table_inside_chatter(leaks):
    lines = leaks["teaser_chatter"].paths[0].read_text(encoding="utf-8").splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 202 and lines[0] and not lines[0].startswith("|")
    assert sum(leaks["teaser_chatter"].truth.values()) == 200


def test_sql_dump_has_four_columns_and_escaped_quotes(leaks):
    text = leaks["sql_4cols"].paths[0].read_text(encoding="utf-8")
    assert "CREATE TABLE" in text and "INSERT INTO patients (nir, nom, prenom, ddn) VALUES (" in text
    assert "\\'" in text                     # N\'DIAYE, D\'ALMEIDA
    values = re.findall(r"\('((?:[^'\\]|\\.)*)','((?:[^'\\]|\\.)*)','((?:[^'\\]|\\.)*)','([^']*)'\)", text)
    assert len(values) == sum(leaks["sql_4cols"].truth.values())


def test_jsonl_truth_by_email_or_phone(leaks, owner):
    sc = leaks["jsonl_merged_name_no_nir"]
    records = [json.loads(line) for line in sc.paths[0].read_text(encoding="utf-8").splitlines()]
    assert set(records[0]) == {"name", "birth", "mail", "tel"}
    assert not nirs_in(sc.paths[0].read_text(encoding="utf-8"))
    found = counts(owner.get((r["mail"] or "").lower()) or owner.get(phone10(r["tel"])) for r in records)
    assert found == sc.truth
    assert len(records) > sum(sc.truth.values())          # strangers mixed in
    assert any(re.fullmatch(r"\d{1,2} [a-zé]+ \d{4}", r["birth"]) for r in records)   # dates in words
    assert any(r["tel"].startswith("+33 ") for r in records)


def test_tsv_truth_by_phone(leaks, owner):
    sc = leaks["tsv_name_dob_phone"]
    rows = read_csv(sc.paths[0], delimiter="\t")
    assert all(len(r) == 4 for r in rows) and not re.search(r"[a-z]", rows[0][0])   # no header, upper case
    assert counts(owner.get(r[3]) for r in rows) == sc.truth
    assert counts(owner.get((r[0], r[1], iso_date(r[2]))) for r in rows) == sc.truth


def test_combo_list_truth_by_email(leaks, owner):
    sc = leaks["combo_list"]
    lines = sc.paths[0].read_text(encoding="utf-8").splitlines()
    assert all(re.fullmatch(r"[^:@\s]+@[^:\s]+:\S+", line) for line in lines)
    assert counts(owner.get(line.split(":")[0].lower()) for line in lines) == sc.truth


def test_namesakes_leak_counts_only_the_real_people(leaks, owner, registered):
    sc = leaks["name_dob_postcode_namesakes"]
    rows = read_csv(sc.paths[0])[1:]
    postcode = {(plain(r["nom"]), plain(r["prenom"]), r["date_naissance"]): r["code_postal"] for r in registered}
    real, fakes = [], 0
    for nom, prenom, dob, cp in rows:
        key = (plain(nom), plain(prenom), iso_date(dob))
        assert key in postcode                       # every line has a registered name + birth date
        if postcode[key] == cp:
            real.append(owner[key])
        else:
            fakes += 1
    assert counts(real) == sc.truth
    assert fakes >= 250


def test_csv_gz_in_zip(leaks, owner):
    sc = leaks["csv_gz_in_zip"]
    with zipfile.ZipFile(sc.paths[0]) as z:
        inner = [n for n in z.namelist() if n.endswith(".csv.gz")]
        text = gzip.decompress(z.read(inner[0])).decode("utf-8")
    assert "+33" in text and re.search(r"\d\.\d\d\.\d\d\.", text)     # intl phones, dotted NIRs
    assert counts(owner.get(n) for n in nirs_in(text)) == sc.truth


def test_needle_name_dob_postcode(leaks, owner):
    sc = leaks["needle_25_name_dob_postcode"]
    rows = read_csv(sc.paths[0])
    assert rows[0] == ["nom", "prenom", "date_naissance", "code_postal"] and len(rows) == HAYSTACK + 26
    assert counts(owner.get((plain(r[0]), plain(r[1]), iso_date(r[2]))) for r in rows[1:]) == sc.truth
    assert list(sc.truth.values()) == [25]


@pytest.mark.parametrize("name", ["strangers_only", "common_values_only"])
def test_negatives_hold_no_registered_identifier(leaks, owner, name):
    sc = leaks[name]
    text = sc.paths[0].read_text(encoding="utf-8")
    assert sc.truth == {}
    assert not [n for n in nirs_in(text) if n in owner]
    cells = {c for row in read_csv(sc.paths[0]) for c in row}
    assert not [c for c in cells if c in owner or phone10(c) in owner and len(digits(c)) == 10]


def test_distortions_appear_across_leaks(leaks):
    text = "\n".join(p.read_bytes().decode("utf-8", "replace") for s in leaks.values()
                     for p in s.paths if p.suffix != ".zip")
    assert re.search(r"\b\d{1,2} (?:décembre|DECEMBRE|janvier|JANVIER|mars|MARS)\b", text)   # dates in words
    assert re.search(r"\+33\d{9}|0033 \d", text)
    assert re.search(r"\b[12] \d\d \d\d (?:\d\d|2A|2B) \d{3} \d{3} \d\d\b", text)   # spaced NIR
    assert re.search(r"\b\d\d\.\d\d\.\d\d\.\d\d\.\d\d\b", text)                       # dotted phone
    assert "HELENE" in text or "JEROME" in text or "FRANCOISE" in text               # accents stripped


# --- determinism and the other writers -------------------------------------------------------

def _digest(paths):
    return {Path(p).name: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


def test_same_seed_same_bytes(tmp_path, institutions, leaks):
    again = build_scenarios(tmp_path, institutions, SEED, needle_strangers=HAYSTACK)
    assert _digest(p for s in again for p in s.paths) == _digest(p for s in leaks.values() for p in s.paths)
    assert [s.truth for s in again] == [s.truth for s in leaks.values()]


def test_repost_shuffles_rows_drops_columns_changes_delimiter(tmp_path, leaks):
    source = leaks["needle_25_all_fields"].paths[0]
    out = repost_of(source, SEED, tmp_path / "repost.csv")
    original = read_csv(source)
    sample = out.read_text(encoding="utf-8")[:5000]
    delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    assert delimiter != ","
    repost = read_csv(out, delimiter=delimiter)
    assert len(repost) == len(original) and len(repost[0]) == 7 and set(repost[0]) < set(original[0])
    assert repost[1:50] != [r[:7] for r in original[1:50]]
    assert repost_of(source, SEED, tmp_path / "again.csv").read_bytes() == out.read_bytes()


def test_lab_file_holds_the_people_of_make_institutions(tmp_path):
    path = tmp_path / "lab.csv"
    truth = make_lab_file(path, rows=600, institutions=30, seed=SEED)
    rows = read_csv(path, delimiter=";")
    assert len(rows) == 601 and len(rows[0]) >= 12 and sum(truth.values()) == 600 and len(truth) == 30
    insts = make_institutions(30, rows=20, seed=SEED)
    assert {r[0] for r in rows[1:]} == {r["nir"] for i in insts for r in i.rows}


def test_big_paste_stops_at_the_size_on_a_line_end(tmp_path):
    path = tmp_path / "paste.txt"
    written = make_big_paste(path, 3_000_000, SEED, block_rows=2000)
    data = path.read_bytes()
    assert len(data) == written and 2_900_000 < written <= 3_000_000 and data.endswith(b"\n")
