"""Matching rules on small hand-made tables, against a real Redis registry."""

import numpy as np
import pytest

from leakwatch.matchers.fingerprint import DeploymentKey, Fingerprint, Tokenizer, fingerprint_records
from leakwatch.matchers.match import IndexCache, Scanner
from leakwatch.matchers.normalize import nir_key
from leakwatch.matchers.registry import RedisRegistry, RegistryError


def nir(body):
    return body + f"{nir_key(body):02d}"


HEADER = ["nir", "nom", "prenom", "date_naissance", "code_postal", "ville", "telephone", "email", "medecin", "groupe"]
PEOPLE = [
    [nir("1611275123456"), "Dupont", "Jean-Pierre", "1961-12-05", "75012", "Paris", "0610012046", "jp.dupont@mail.fr", "Dr Martin", "A+"],
    [nir("2700569001002"), "Martin", "Hélène", "1970-05-17", "69003", "Lyon", "0472001122", "", "Dr Bernard", "O-"],
    [nir("1850213055033"), "N'Diaye", "Moussa", "1985-02-02", "13005", "Marseille", "0699887766", "moussa@ex.org", "Dr Martin", "B+"],
    [nir("2921133001044"), "Le Gall", "Zoé", "1992-11-30", "29200", "Brest", "", "zoe.legall@ex.fr", "Dr Petit", "AB+"],
]


@pytest.fixture
def key():
    return DeploymentKey.generate()


@pytest.fixture
def registry(redis_client, namespace):
    return RedisRegistry(redis_client, namespace)


def register(registry, key, institution, rows, dataset="patients", canaries=()):
    fp = fingerprint_records(iter(rows), key, dataset, canaries)
    return registry.register(institution, dataset, fp, key_id=key.key_id)


def scan(registry, key, rows):
    outcome = Scanner(IndexCache(registry).get(), Tokenizer(key.hasher())).scan(iter(rows))
    return {(m.institution, m.dataset): m.as_dict() for m in outcome.matches}


def test_exact_copy_matches_every_record_with_fields(registry, key):
    register(registry, key, "labo-a", PEOPLE)
    found = scan(registry, key, PEOPLE)
    match = found[("labo-a", "patients")]
    assert match["records"] == 4
    assert {"nir", "phone", "name", "date", "postcode"} <= set(match["fields"])
    assert "nir" in match["matched_on"]


def test_reformatted_and_reordered_columns_still_match(registry, key):
    register(registry, key, "labo-a", PEOPLE)
    p = PEOPLE[0]
    leak = [["+33 6 10 01 20 46", "5 décembre 1961", "JEAN-PIERRE DUPONT", p[0][:1] + " " + p[0][1:7] + " " + p[0][7:]]]
    assert scan(registry, key, leak)[("labo-a", "patients")]["records"] == 1


def test_names_birth_date_and_postcode_only_match_without_identifiers(registry, key):
    register(registry, key, "labo-a", PEOPLE)
    leak = [["Helene MARTIN", "17/05/1970", "69003"]]
    assert scan(registry, key, leak)[("labo-a", "patients")]["records"] == 1


def test_namesake_born_same_day_living_elsewhere_does_not_count(registry, key):
    register(registry, key, "labo-a", PEOPLE)
    leak = [["Hélène", "Martin", "17/05/1970", "33000"]]
    assert scan(registry, key, leak) == {}


def test_name_and_birth_date_alone_is_weak_evidence_only(registry, key):
    register(registry, key, "labo-a", PEOPLE)
    leak = [["Hélène", "Martin", "17/05/1970"]]
    assert scan(registry, key, leak) == {}  # weak alone does not make a match


def test_city_and_postcode_shared_with_a_stranger_do_not_make_a_name_match(registry, key):
    # Many rows per postcode so the profile can tell the city column from names.
    rows = [[nir(f"1{60 + i % 30:02d}0175{100 + i:03d}001"), f"Nom{chr(97 + i % 26)}x{i}", f"Pre{chr(97 + i % 20)}n",
             f"19{60 + i % 30}-01-{1 + i % 28:02d}", "75012", "Paris", "", "", "", ""] for i in range(60)]
    rows = [[c if not c.startswith(("Nom", "Pre")) else c.replace("0", "o").replace("1", "i") for c in r] for r in rows]
    register(registry, key, "labo-a", rows)
    target = rows[5]
    stranger = [["Someone", target[1], target[3], "75012", "Paris"]]  # same last name, dob, postcode, city
    assert scan(registry, key, stranger) == {}


def test_merged_dump_is_attributed_to_each_institution_with_counts(registry, key):
    register(registry, key, "labo-a", PEOPLE[:2])
    register(registry, key, "labo-b", PEOPLE[2:])
    found = scan(registry, key, [PEOPLE[0], PEOPLE[2], PEOPLE[3], ["chatter line with nothing in it"]])
    assert found[("labo-a", "patients")]["records"] == 1
    assert found[("labo-b", "patients")]["records"] == 2


def test_duplicate_rows_count_once(registry, key):
    register(registry, key, "labo-a", PEOPLE)
    assert scan(registry, key, [PEOPLE[1]] * 5)[("labo-a", "patients")]["records"] == 1


def test_identifiers_inside_prose_are_found(registry, key):
    register(registry, key, "labo-a", PEOPLE)
    found = scan(registry, key, [["selling db, sample: moussa@ex.org and call 06 99 88 77 66 for more"]])
    assert found[("labo-a", "patients")]["records"] == 1


def test_canary_hit_is_reported_apart_from_records(registry, key):
    canary = [[nir("1750175999001"), "Canari", "Camille", "1975-01-01", "75001", "Paris", "0600000001", "camille.canari@ex.fr", "", ""]]
    register(registry, key, "labo-a", PEOPLE, canaries=canary)
    match = scan(registry, key, [["camille.canari@ex.fr", "hunter2"]])[("labo-a", "patients")]
    assert match["canaries"] == 1 and match["records"] == 0


def test_common_values_only_match_nothing(registry, key):
    register(registry, key, "labo-a", PEOPLE)
    assert scan(registry, key, [["Paris", "A+", "Jean", "1961"], ["Lyon", "O-", "Hélène", "1970"]]) == {}


def test_reregistering_replaces_atomically(registry, key):
    register(registry, key, "labo-a", PEOPLE)
    register(registry, key, "labo-a", PEOPLE[:1])
    (meta,) = registry.datasets()
    assert meta["rows"] == 1
    assert scan(registry, key, PEOPLE)[("labo-a", "patients")]["records"] == 1
    # The old generation's arrays are gone, not left behind.
    keys = [k.decode() for k in registry.client.scan_iter(f"{registry.namespace}:ds:*tokens*")]
    assert len(keys) == 1


def test_remove_unregisters_all_datasets_of_an_institution(registry, key):
    register(registry, key, "labo-a", PEOPLE, dataset="one")
    register(registry, key, "labo-a", PEOPLE, dataset="two")
    assert sorted(registry.remove("labo-a")) == ["labo-a/one", "labo-a/two"]
    assert registry.datasets() == []
    assert scan(registry, key, PEOPLE) == {}


def test_fingerprint_of_another_key_is_refused(registry, key):
    fp = fingerprint_records(iter(PEOPLE), DeploymentKey.generate(), "patients")
    with pytest.raises(RegistryError, match="key"):
        registry.register("labo-a", "patients", fp, key_id=key.key_id)


def test_fingerprint_file_round_trip_keeps_tokens_and_holds_no_raw_value(tmp_path, key):
    fp = fingerprint_records(iter(PEOPLE), key, "patients")
    path = tmp_path / "p.lwfp"
    fp.save(path)
    again = Fingerprint.load(path)
    assert np.array_equal(again.tokens, fp.tokens) and again.rows == 4
    blob = path.read_bytes()
    import zipfile

    with zipfile.ZipFile(path) as archive:
        blob += b"".join(archive.read(n) for n in archive.namelist())
    for row in PEOPLE:
        for value in row:
            if len(value) >= 4:
                assert value.encode() not in blob and value.lower().encode() not in blob
    assert b"+33610012046" not in blob and b"1961-12-05" not in blob


def test_sightings_that_matched_nothing_are_purged_and_matched_ones_kept(redis_client, redis_url, namespace):
    from leakwatch.matchers.fingerprint import TokenSketch
    from leakwatch.matchers.registry import SightingStore

    store = SightingStore(redis_client, namespace)
    sketch = TokenSketch()
    sketch.update(np.arange(0, 4000, dtype=np.uint64) * np.uint64(4))
    old = store.record(name="old-chatter", sha256="a" * 64, rows=3, fmt="text", matches=[], sketch=sketch, seen_at=1000.0)
    kept = store.record(name="old-leak", sha256="b" * 64, rows=3, fmt="csv", sketch=sketch, seen_at=1000.0,
                        matches=[{"institution": "i", "dataset": "d", "records": 1}])
    fresh = store.record(name="new-chatter", sha256="c" * 64, rows=3, fmt="text", matches=[], sketch=sketch)
    assert store.purge(older_than=90 * 86400) == 1
    assert store.get(old["id"]) is None
    assert store.get(kept["id"]) is not None and store.get(fresh["id"]) is not None
    assert old["id"] not in [s["id"] for s in store.similar(sketch, "z" * 64)]


def test_source_lock_is_exclusive_renewable_and_expires(redis_client, namespace):
    from leakwatch.matchers.registry import SourceLock

    first = SourceLock(redis_client, "paste", namespace, ttl=5)
    second = SourceLock(redis_client, "paste", namespace, ttl=5)
    assert first.acquire() and not second.acquire()
    assert first.renew() and not second.renew()
    assert not second.release() and first.release()
    assert second.acquire()
    redis_client.expire(second.key, 1)
    import time

    time.sleep(1.2)
    assert first.acquire()  # an expired holder's lock is free again


def test_match_queue_puts_canaries_first_then_records_by_sensitivity(redis_client, namespace):
    from leakwatch.matchers.registry import MatchQueue

    queue = MatchQueue(redis_client, namespace)
    base = {"dataset": "d", "records_low": 0, "records_high": 0}
    queue.add({"id": "s1"}, {**base, "institution": "cities", "records": 500, "fields": ["postcode"], "canaries": 0})
    queue.add({"id": "s2"}, {**base, "institution": "nirs", "records": 300, "fields": ["nir", "health_note"], "canaries": 0})
    queue.add({"id": "s3"}, {**base, "institution": "canary", "records": 0, "fields": ["email"], "canaries": 1})
    assert [m["institution"] for m in queue.open()] == ["canary", "nirs", "cities"]
    assert queue.count_open() == 3


def test_lock_of_a_killed_holder_on_this_machine_is_taken_over(redis_client, namespace):
    import subprocess
    import sys

    from leakwatch.matchers.registry import SourceLock

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(child.stdout)
    import socket

    redis_client.set(f"{{{namespace}}}:lock:paste", f"{socket.gethostname()}:{dead_pid}:abc", ex=100)
    assert SourceLock(redis_client, "paste", namespace).acquire()
    redis_client.set(f"{{{namespace}}}:lock:forum", "otherhost:1:abc", ex=100)
    assert not SourceLock(redis_client, "forum", namespace).acquire()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_value_that_makes_the_tokenizer_raise_loses_its_record_only(registry, key, monkeypatch, workers):
    # A bug of that kind was '0000000²' (isdigit() but not int()): it failed the whole scan.
    from leakwatch.matchers.fingerprint import cells

    register(registry, key, "labo-a", PEOPLE)
    real = cells.normalize_date

    def buggy(text):
        if "1999" in text:
            raise RuntimeError(f"cannot read {text}")
        return real(text)

    monkeypatch.setattr(cells, "normalize_date", buggy)
    poison = ["Personne", "Inconnue", "3 février 1999", "0611111111"]
    rows = [[p[0], p[1], p[2], p[3]] for p in PEOPLE[:2]] + [poison] + [[p[0], p[1], p[2], p[3]] for p in PEOPLE[2:]]
    batches = [rows] * 2 if workers > 1 else [rows]  # two batches, so the parallel path really runs
    scanner = Scanner(IndexCache(registry).get(), Tokenizer(key.hasher()), batch_records=len(rows), workers=workers)
    outcome = scanner.scan(iter([r for batch in batches for r in batch]))
    (match,) = outcome.matches
    assert match.records == 4 and outcome.rows == 5 * len(batches)
    assert outcome.errors == ["1 record(s) left out: RuntimeError while reading values"] * len(batches)
    assert match.rows == [1, 2, 4, 5, 6, 7, 9, 10][: 4 * len(batches)]  # the left-out records keep their places
    assert not any("1999" in e or "Inconnue" in e for e in outcome.errors)
