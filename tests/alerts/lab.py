"""A small synthetic lab for alert tests: four French patients with valid NIRs and one
canary, registered through the real registry, and leak files scanned the real way."""

import csv

from leakwatch.matchers.fingerprint import fingerprint_records
from leakwatch.matchers.normalize import nir_key


def nir(body):
    return body + f"{nir_key(body):02d}"


HEADER = ["nir", "nom", "prenom", "date_naissance", "code_postal", "ville", "telephone", "email"]
PEOPLE = [
    [nir("1611275123456"), "Dupont", "Jean-Pierre", "1961-12-05", "75012", "Paris", "0610012046", "jp.dupont@mail.fr"],
    [nir("2700569001002"), "Martin", "Hélène", "1970-05-17", "69003", "Lyon", "0472001122", "helene.martin@ex.fr"],
    [nir("1850213055033"), "N'Diaye", "Moussa", "1985-02-02", "13005", "Marseille", "0699887766", "moussa@ex.org"],
    [nir("2921133001044"), "Le Gall", "Zoé", "1992-11-30", "29200", "Brest", "0298001234", "zoe.legall@ex.fr"],
]
CANARY = [nir("1750175999001"), "Rossignol", "Camille", "1975-01-01", "75001", "Paris", "0600000001", "camille.rossignol@ex.fr"]
# Values that would identify someone: none may appear in an alert, a log line or a MISP event.
RAW_VALUES = [v for row in PEOPLE + [CANARY] for i, v in enumerate(row) if HEADER[i] not in ("code_postal", "ville")]

INSTITUTION = "labo-01"
DATASET = "patients"


def register(runtime, institution=INSTITUTION, rows=PEOPLE, canaries=(CANARY,)):
    fp = fingerprint_records(iter(rows), runtime.key, DATASET, canaries)
    return runtime.registry.register(institution, DATASET, fp, key_id=runtime.key.key_id)


def write_leak(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def scan_leak(runtime, tmp_path, rows, name="leak.csv", **sighting):
    """Scan a leak file the way the crawler and `leakwatch scan` do; returns its match."""
    report = runtime.dump_scanner.scan_path(write_leak(tmp_path / name, rows), **sighting)
    assert report.matches, "the leak should match the registered dataset"
    return runtime.queue.get(f"{report.sighting_id}-{INSTITUTION}-{DATASET}")
