"""The excerpt a sighting keeps is row numbers and kinds of fields: nothing of a value's
characters, lengths or domains survives, through the real scan path and a real Redis."""

import csv
import io
import random
import re

import pytest

from leakwatch.matchers.fingerprint import DeploymentKey, Tokenizer, fingerprint_records
from leakwatch.matchers.fingerprint import cells as C
from leakwatch.matchers.match import DumpScanner, IndexCache
from leakwatch.matchers.match.excerpt import MAX_CELLS, predates, row_kinds
from leakwatch.matchers.normalize import nir_key
from leakwatch.matchers.registry import RedisRegistry, SightingStore

KINDS = {C.NIR, C.EMAIL, C.PHONE, C.DATE, C.POSTCODE, C.NAME, C.DOCTOR, C.BLOOD, C.HEALTH, C.TEXT, C.OTHER}
NOTES = ["séropositif HIV", "tumeur au cerveau", "diabète de type 1", "grossesse 12 SA"]
HEADER = ["nir", "nom", "prenom", "naissance", "code_postal", "telephone", "note", "email"]
LINE = re.compile(r"row (\d+): (.+)")


def patient(r, n):
    body = f"2{r.randint(30, 99):02d}{r.randint(1, 12):02d}75{r.randint(100, 999)}{r.randint(100, 999)}"
    surname = "".join(r.choice(["ber", "gau", "mar", "pel", "rou", "vil", "char"]) for _ in range(3)).capitalize()
    return [body + f"{nir_key(body):02d}", surname, r.choice(["Zoé", "Quentin", "Yannick"]),
            f"{r.randint(1930, 2005)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}", r.choice(["75011", "93100"]),
            f"06{r.randint(10_000_000, 99_999_999)}", NOTES[n % len(NOTES)], f"{surname.lower()}{n}@hopital-nord.fr"]


@pytest.fixture
def scanned(redis_client, namespace):
    r = random.Random(16)
    rows = [patient(r, n) for n in range(300)]
    key = DeploymentKey.generate()
    registry = RedisRegistry(redis_client, namespace)
    registry.register("labo-a", "patients", fingerprint_records(iter(rows), key, "patients"), key_id=key.key_id)
    leak = rows[:40]
    text = io.StringIO()
    csv.writer(text).writerows([HEADER, *leak])
    scanner = DumpScanner(IndexCache(registry), Tokenizer(key.hasher()), SightingStore(redis_client, namespace))
    report = scanner.scan_bytes(text.getvalue().encode(), name="leak.csv")
    stored = scanner.sightings.get(report.sighting_id, with_matches=False)
    return leak, report.as_dict(), stored


def test_excerpt_is_row_numbers_and_kinds_of_fields_only(scanned):
    leak, report, stored = scanned
    (match,) = report["matches"]
    assert report["excerpt"] and stored["excerpt"] == "\n".join(report["excerpt"])
    for line in report["excerpt"]:
        row, kinds = LINE.fullmatch(line).groups()
        assert int(row) in match["evidence_rows"], "the row number is where the evidence is"
        parsed = kinds.split(" | ")
        assert set(parsed) <= KINDS, line                      # every word a kind name of the code
        assert parsed == ["nir", "name", "name", "date", "postcode", "phone", "health_note", "email"]
    assert not predates(stored["excerpt"])


def test_excerpt_holds_no_first_letter_digit_length_or_domain_of_a_value(scanned):
    leak, report, _ = scanned
    text = "\n".join(report["excerpt"])
    shown_rows = {int(LINE.fullmatch(line).group(1)) for line in report["excerpt"]}
    without_kinds = re.sub("|".join(sorted(KINDS, key=len, reverse=True)), "", re.sub(r"^row \d+: ", "", text, flags=re.M))
    assert set(without_kinds) <= set(" |\n"), without_kinds  # nothing else is left
    digits = set(re.findall(r"\d", text))
    assert digits <= set("".join(map(str, shown_rows)))       # the row numbers are the only digits
    for row in leak:
        for value in row:
            assert value not in text
        assert row[0][:1] + "•" not in text and "•" not in text  # no NIR sex digit, no masked shape
        assert "hopital-nord" not in text and "@" not in text   # no e-mail domain
        assert "HIV" not in text and "séro" not in text


def test_an_excerpt_stored_by_an_earlier_release_is_recognised_as_the_older_redaction():
    assert predates("2•••••••••••••• | Z•• | s•••••••••• •••\n1• •••••••• | t@hopital-nord.fr")
    assert not predates("row 3: nir | name | text(email,phone)\nrow 9: name | … 4 more cells")
    assert not predates("")


def test_a_wide_row_is_described_up_to_a_bound_and_says_how_many_cells_are_left():
    kinds = row_kinds(["Dupont"] * (MAX_CELLS + 5))
    assert kinds.count("name") == MAX_CELLS and kinds.endswith("… 5 more cells")
    assert row_kinds(["a@b.fr appelez le 0610012046"]) == "text(email,phone)"


def test_a_row_is_described_alike_with_a_scans_cached_classify():
    # A scan describes its matched rows with its tokenizer's classify (cached, in C): the same
    # Cells as cells.classify, so the same line.
    from leakwatch.matchers.fingerprint import DeploymentKey
    from leakwatch.matchers.fingerprint.tokens import Tokenizer

    tokenizer = Tokenizer(DeploymentKey(bytes(range(32))).hasher())
    rows = [["1 61 12 75 123 456 03", "DUPONT", "Hélène", "05/12/1961", "12 rue du 8 Mai 1945", "75011", "O+",
             "Dr Martin", "séropositif HIV", "a@b.fr appelez le 0610012046", "", "  ", "06 10 01 20 46", "x" * 300],
            ["Zoé", "née le 5 décembre 1961", "Jean-Pierre LE GALL", "+33 6 10 01 20 46", "Jean.Dupont@Example.FR"]]
    for row in rows * 2:  # twice: the second time from the tokenizer's cache
        assert row_kinds(row, tokenizer.classify) == row_kinds(row)
    assert row_kinds(rows[0], tokenizer.classify).startswith("nir | name | name | date | text(date) | postcode")
