"""The lab-scale world has what makes real registries hard, its dumps' truth is what their files
hold, and bench.lab_scale reports every figure for every dump (against a real redis-server)."""

import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from world.synth.labdumps import SCENARIOS, build_dumps
from world.synth.labworld import COLUMNS, HEADERS, VALIDATION, build_world, write_lab_table
from world.synth.people import nir_key

SEED = 7
# Big enough for a lab to sample several patients a day and to hold twins and families; small
# enough to build in about two seconds.
SIZE = 20_000
STRANGERS = 4_000
NIR = re.compile(r"\b[12] ?\d\d ?\d\d ?(?:\d\d|2A|2B) ?\d{3} ?\d{3} ?\d\d\b")   # plain or spaced; Corsica
DATE = re.compile(r"^(\d{2}[/.-]\d{2}[/.-]\d{4}|\d{4}-\d{2}-\d{2}|\d{8})( \d{2}:\d{2})?$")


@pytest.fixture(scope="module")
def world():
    return build_world(SIZE, SEED, STRANGERS)


@pytest.fixture(scope="module")
def registered(world):
    return world.registered(SIZE)


@pytest.fixture(scope="module")
def tables(world, registered, tmp_path_factory):
    """Every lab's table as written, read back: {lab: (header, rows)}."""
    out = tmp_path_factory.mktemp("labs")
    read = {}
    for lab in world.labs:
        path = write_lab_table(out / f"{lab.name}.csv", registered[lab.name], lab.style)
        text = path.read_bytes().decode(lab.style.encoding)
        head, *rows = csv.reader(io.StringIO(text, newline=""), delimiter=lab.style.delimiter)
        read[lab.name] = (head, rows)
    return read


def _column(lab, head, rows, name):
    j = head.index(HEADERS[lab.style.headers][name])
    return [r[j] for r in rows]


def test_sizes_are_uneven_and_registries_nested(world):
    sizes = world.lab_sizes(SIZE)
    assert len(sizes) == 30 and sum(sizes) == SIZE and max(sizes) > 4 * min(sizes)
    small = world.registered(2_000)
    assert sum(map(len, small.values())) == 2_000
    for name, patients in world.registered(SIZE).items():
        assert patients[:len(small[name])] == small[name]


def test_tables_have_16_columns_two_or_three_dates_and_vary_by_lab(world, tables):
    widths, date_columns, delimiters, encodings, formats = set(), Counter(), set(), set(), set()
    trailing = 0
    for lab in world.labs:
        head, rows = tables[lab.name]
        assert len(rows) == world.lab_sizes(SIZE)[lab.index]
        if lab.style.trailing_delimiter:  # each line ends with the delimiter: an empty last column
            assert head[-1] == "" and all(r[-1] == "" for r in rows)
            trailing += 1
        widths.add(len(head) - lab.style.trailing_delimiter)
        dated = sum(1 for j in range(len(head)) if sum(bool(DATE.match(r[j])) for r in rows) > 0.9 * len(rows))
        date_columns[dated] += 1
        delimiters.add(lab.style.delimiter)
        encodings.add(lab.style.encoding)
        births = [d for d in _column(lab, head, rows, "date_naissance") if d]
        formats.add("iso" if births[0][4] == "-" else "dmy" if births[0][2] in "/.-" else "compact")
    assert widths == {16, 17} and 0 < trailing < len(world.labs)
    assert set(date_columns) == {2, 3}          # birth and sampling dates; some labs add validation
    assert len(delimiters) >= 3 and "latin-1" in encodings and {"iso", "dmy"} <= formats   # '05/12/1961', '1961-12-05'
    assert any(VALIDATION in lab.style.order for lab in world.labs)


def test_towns_doctors_and_clustered_postcodes(world, tables):
    for lab in world.labs:
        head, rows = tables[lab.name]
        postcodes = Counter(_column(lab, head, rows, "code_postal"))
        postcodes.pop("", None)
        # A few dozen postcodes hold nearly all of a lab's patients.
        assert sum(n for _, n in postcodes.most_common(46)) >= 0.9 * sum(postcodes.values()), lab.name
        doctors = {d for d in _column(lab, head, rows, "medecin") if d}
        assert 10 <= len(doctors) <= 30
        assert all(d.startswith("Dr ") for d in doctors) or all(len(d.split()) >= 2 for d in doctors)
        assert len(set(_column(lab, head, rows, "ville"))) > 5
    # Labs of one department share towns.
    towns = [{c.name for c, _ in lab.region} for lab in world.labs]
    assert any(towns[i] & towns[j] for i in range(30) for j in range(i + 1, 30))
    styles = {lab.doctors[0].startswith("Dr ") for lab in world.labs}
    assert styles == {True, False}


def test_many_patients_share_a_sampling_day_and_strangers_the_same_days(world, registered):
    biggest = max(world.labs, key=lambda lab: len(registered[lab.name]))
    days = Counter(p.date_prelevement for p in registered[biggest.name])
    assert len(days) <= 450 and max(days.values()) >= 8
    for s in world.strangers:
        assert s.date_prelevement in world.labs[s.lab].days
    assert all("2018-06-01" <= d <= "2021-02-19" for d in days)


def test_names_have_a_head_and_a_long_tail(world, registered):
    biggest = max(registered.values(), key=len)
    counts = Counter(p.nom for p in biggest)
    assert sum(1 for n in counts.values() if n <= 3) >= 0.8 * len(counts)
    everyone = Counter(p.nom for ps in registered.values() for p in ps)
    assert everyone.most_common(1)[0][1] >= 40 and len(everyone) > 0.5 * SIZE
    born = Counter((p.prenom, p.date_naissance[:3]) for ps in registered.values() for p in ps)
    assert born[("Monique", "193")] + born[("Monique", "194")] > born[("Monique", "200")] + born[("Monique", "201")]


def test_namesakes_twins_and_families(world, registered):
    people = [p for ps in registered.values() for p in ps]
    names = Counter((p.prenom, p.nom) for p in people)
    assert sum(1 for n in names.values() if n > 1) > 20                   # namesakes by themselves
    by_home = Counter((p.nom, p.date_naissance, p.adresse, p.code_postal) for p in people)
    twins = [k for k, n in by_home.items() if n == 2]
    assert twins                                                           # registered twins
    for t in world.relatives["twin"]:
        other = world.person(t.of)
        assert (t.nom, t.date_naissance, t.adresse, t.code_postal) == (other.nom, other.date_naissance,
                                                                        other.adresse, other.code_postal)
        assert t.prenom != other.prenom and t.nir != other.nir
    families = world.relatives["family"]
    assert len(families) > 100
    assert all(f.telephone == world.person(f.of).telephone and f.nir != world.person(f.of).nir for f in families)
    phones = Counter(p.telephone for p in people)
    assert any(n > 1 for n in phones.values())                             # registered people sharing a line


def test_nirs_are_valid_and_strangers_are_nobody_registered(world):
    registered = {p.nir for ps in world.registered(SIZE).values() for p in ps}
    assert len(registered) == SIZE
    others = [s.nir for s in world.strangers] + [r.nir for rs in world.relatives.values() for r in rs]
    assert not registered & set(others) and len(set(others)) == len(others)
    for p in list(world.strangers[:500]) + world.patients[0][:500]:
        nir = p.nir
        assert nir_key(nir[:13]) == nir[13:]
        assert nir[0] == ("1" if p.sexe == "M" else "2") and nir[1:5] == p.date_naissance[2:4] + p.date_naissance[5:7]
    assert any(p.nir[5:7] in ("2A", "2B") for p in world.people)
    assert any(p.nir[5:7] == "99" for p in world.people)


def test_missing_values_in_every_column(world, registered):
    people = [p for ps in registered.values() for p in ps]
    for column in COLUMNS:
        empty = sum(1 for p in people if not p.cells()[column])
        assert 0 < empty < 0.7 * len(people), column


def _identify(rows, registered, owner):
    """{lab: distinct patients} of dump rows (a dict per row, as DUMP_STYLE writes them):
    by NIR, else by first name, surname and birth date (the cells a lab's export left empty)."""
    by_nir = {p.nir: p for p in registered}
    by_name = {(p.prenom, p.nom.upper(), p.date_naissance): p for p in registered}
    found = {}
    for r in rows:
        d, m, y = r["Date de naissance"].split("/") if r["Date de naissance"] else ("", "", "")
        p = by_nir.get(r["N° SS"]) if r["N° SS"] else by_name.get((r["Prénom"], r["Nom"], f"{y}-{m}-{d}"))
        if p is not None:
            found.setdefault(owner(p), set()).add(p.pid)
    return {lab: len(pids) for lab, pids in sorted(found.items())}


def test_dumps_truth_is_what_the_files_hold(world, tmp_path):
    size = 5_000
    owner = world.owner(size)
    registered = [p for ps in world.registered(size).values() for p in ps]
    by_nir = {p.nir: owner(p) for p in registered}
    dumps = {d.name: d for d in build_dumps(world, size, tmp_path)}
    assert list(dumps) == SCENARIOS
    for d in dumps.values():
        if d.path.suffix == ".zip":
            with zipfile.ZipFile(d.path) as z:
                raw = z.read(next(n for n in z.namelist() if n.endswith(".csv")))
        else:
            raw = d.path.read_bytes()
        if d.name in ("merged_20", "archive_one_lab"):
            # Their own layouts: counted by NIR, which a few rows lack.
            text = raw.decode("latin-1")
            nirs = {m.replace(" ", "") for m in NIR.findall(text)}
            found = Counter(by_nir[n] for n in nirs if n in by_nir)
            assert set(found) == set(d.truth), d.name
            assert all(0 <= d.truth[lab] - n <= max(2, 0.1 * d.truth[lab]) for lab, n in found.items()), d.name
        elif d.name != "needle_name_dob_postcode_day":
            rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline=""), delimiter=";"))
            assert len(rows) == d.rows and _identify(rows, registered, owner) == d.truth, d.name
    assert list(dumps["needle_all_columns"].truth.values()) == [25]
    assert dumps["needle_all_columns"].stranger_rows == min(20_000, max(0, STRANGERS - 20_000))
    assert dumps["strangers_only"].truth == {} and dumps["strangers_only"].rows == min(20_000, STRANGERS)
    assert len(dumps["merged_20"].truth) == 20
    with pytest.raises(UnicodeDecodeError):
        dumps["merged_20"].path.read_bytes().decode("utf-8")
    # Namesakes: a registered patient's first name, surname and birth date, another postcode.
    registered = {(p.prenom, p.nom.upper(), p.date_naissance): p for ps in world.registered(size).values()
                  for p in ps}
    namesakes = dumps["hard_namesakes"]
    rows = list(csv.reader(io.StringIO(namesakes.path.read_text(encoding="utf-8")), delimiter=";"))
    assert rows[0][:3] == ["N° SS", "Nom", "Prénom"] and len(rows) - 1 == namesakes.rows > 100
    for r in rows[1:]:
        d, m, y = r[3].split("/")
        patient = registered[(r[2], r[1], f"{y}-{m}-{d}")]
        assert patient.code_postal != r[7] and patient.nir != r[0]
    for kind in ("hard_twins", "hard_family_phone", "disagreeing_ids"):
        assert dumps[kind].truth == {} and dumps[kind].rows > 0


def test_bench_reports_every_figure(tmp_path, redis_url, namespace):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "bench.lab_scale", "--sizes", "2000", "--out", str(out), "--json",
                           "--redis-url", redis_url, "--namespace", namespace],
                          capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["sizes"] == [2000] and len(report["runs"]) == 1
    run = report["runs"][0]
    assert run["registered"] >= 2000 and run["timings"]["register_records_per_s"] > 0
    assert list(run["scenarios"]) == SCENARIOS
    for name, s in run["scenarios"].items():
        for key in ("precision", "recall", "count_error_median", "count_error_max", "records", "records_low",
                    "records_high", "false_pairs", "false_records", "false_pairs_per_10k",
                    "false_records_per_10k", "false_matched_on", "stranger_rows", "truth"):
            assert key in s, (name, key)
        assert 0 <= s["precision"] <= 1 and 0 <= s["recall"] <= 1
    s = run["scenarios"]["needle_all_columns"]
    assert list(s["truth"].values()) == [25] and s["stranger_rows"] == 20_000 and s["pairs"] == 1
    assert run["scenarios"]["strangers_only"]["truth"] == {}
    assert run["total"]["stranger_rows"] > 60_000
    text = (out / "report.txt").read_text(encoding="utf-8").splitlines()
    assert text[0].split()[:3] == ["size", "scenario", "rows"]
    assert sum(1 for line in text if line.split()[:1] == ["2000"]) == len(SCENARIOS) + 1     # and the total
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["runs"][0]["size"] == 2000
    truth = json.loads((out / "size-2000" / "truth.json").read_text(encoding="utf-8"))
    assert set(truth) == set(SCENARIOS)
