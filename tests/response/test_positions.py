"""The registered records a match found are stored as their positions in the fingerprint file."""

import numpy as np

from leakwatch.matchers.registry.positions import MatchPositions


def test_a_match_keeps_the_positions_of_the_registered_records_it_found(lab):
    stored = lab.runtime.queue.positions.read(lab.matches["leak"])
    assert stored["confirmed"] == lab.leaked
    assert stored["rows"] == len(lab.rows) == 120
    # The canary in the leak was the first of the two planted (canaries follow the table's rows).
    assert stored["canaries"] == [0]
    assert stored["skipped_confirmed"] == stored["skipped_weak"] == 0
    # Which of the institution's files these numbers refer to: the registered fingerprint's creation time.
    (meta,) = lab.runtime.registry.datasets()
    assert stored["fingerprint_created_at"] == meta["fingerprint_created_at"] != ""
    match = lab.runtime.queue.get(lab.matches["leak"])
    assert match["records"] == len(stored["confirmed"])


def test_positions_are_not_in_the_sighting_or_the_scan_report(lab):
    sighting = lab.runtime.sightings.get(lab.matches["leak"].split("-")[0])
    for found in sighting["matches"]:
        assert "positions" not in found and "weak_positions" not in found


def test_a_bound_on_positions_reports_what_it_left_out(redis_client, namespace):
    store = MatchPositions(redis_client, namespace, max_positions=3)
    store.write("s1-a-b", np.array([9, 1, 5, 7, 3]), np.array([2, 4]), rows=10)
    stored = store.read("s1-a-b")
    assert stored["confirmed"] == [1, 3, 5] and stored["skipped_confirmed"] == 2
    assert stored["weak"] == [2, 4] and stored["skipped_weak"] == 0


def test_positions_cost_four_bytes_a_record(redis_client, namespace):
    store = MatchPositions(redis_client, namespace)
    store.write("s2-a-b", np.arange(100_000), (), rows=100_000)
    assert len(redis_client.hget(store.key("s2-a-b"), "confirmed")) == 400_000
    assert store.read("s2-a-b")["confirmed"][-1] == 99_999


def test_records_seen_with_weak_evidence_are_kept_apart(lab, tmp_path):
    """A name and birth date whose postcode and phone disagree (a namesake, or somebody who moved)
    is a few bits short of a confirmation: weak, listed apart."""
    strong, weak = lab.leaked[:5], [i for i in range(len(lab.rows)) if i not in lab.leaked][:10]
    path = tmp_path / "mixed.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("nir;nom;prenom;date_naissance;telephone;code_postal\n")
        for i in strong:
            r = lab.rows[i]
            f.write(f"{r['nir']};{r['nom']};{r['prenom']};{r['date_naissance']};{r['telephone']};{r['code_postal']}\n")
        for i in weak:
            r = lab.rows[i]
            f.write(f";{r['nom']};{r['prenom']};{r['date_naissance']};06{90000000 + i:08d};{'97' if r['code_postal'][:2] != '97' else '01'}{r['code_postal'][2:]}\n")
    report = lab.runtime.dump_scanner.scan_path(path, name="mixed.csv")
    (found,) = [m for m in report.matches if m["institution"] == "labo-07"]
    stored = lab.runtime.queue.positions.read(f"{report.sighting_id}-labo-07-patients")
    assert stored["confirmed"] == sorted(strong)
    assert stored["weak"] and set(stored["weak"]) <= set(weak)
    assert len(stored["weak"]) == found["records_high"] - found["records"]
