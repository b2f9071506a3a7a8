"""The queue of leaks on real scans in a real Redis: a dump and its reposts are one leak,
a whole leak is triaged at once, a repost of a handled leak is no new work unless it
brings new institutions or more records."""

import csv
import random

import pytest

from world.synth.people import COLUMNS, make_institutions, make_strangers
from leakwatch.review import TriageError
from leakwatch.runtime import Runtime
from leakwatch.settings import Settings
from leakwatch.matchers.fingerprint import fingerprint_records


@pytest.fixture(scope="module")
def people():
    labs = make_institutions(3, rows=120, seed="leak-queue")
    return labs, make_strangers(30, "leak-queue", exclude=labs)


@pytest.fixture
def runtime(tmp_path, redis_url, namespace, people):
    config = tmp_path / "none.yaml"
    config.write_text("{}\n")
    runtime = Runtime(Settings.load({"redis_url": redis_url, "namespace": namespace, "home": str(tmp_path / "home")},
                                    environ={}, config_path=config))
    for lab in people[0]:
        fp = fingerprint_records(iter([[r[c] for c in COLUMNS] for r in lab.rows]), runtime.key, "patients")
        runtime.registry.register(lab.name, "patients", fp, key_id=runtime.key.key_id)
    return runtime


def scan(runtime, tmp_path, name, rows, source="paste-site", url=None, seed=1, delimiter=";"):
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter=delimiter)
        out.writerow(COLUMNS)
        out.writerows([r[c] for c in COLUMNS] for r in rows)
    return runtime.dump_scanner.scan_path(path, name=name, source=source, url=url)


@pytest.fixture
def merged(runtime, tmp_path, people):
    """A dump of two labs (90 of labo-01's patients, 40 of labo-02's) and a shuffled repost of it on a forum."""
    labs, strangers = people
    rows = labs[0].rows[:90] + labs[1].rows[:40] + strangers[:20]
    first = scan(runtime, tmp_path, "merged.csv", rows, url="http://paste.test/raw/aa1")
    repost = scan(runtime, tmp_path, "labs-2021.txt", rows, source="forum", url="http://forum.test/t/9", seed=2,
                  delimiter="|")
    return rows, first, repost


def test_a_dump_and_its_repost_are_one_leak_with_every_institution(runtime, merged):
    _, first, repost = merged
    assert len(runtime.queue.open()) == 4                          # two labs, two sightings
    leaks, total = runtime.leaks.list()
    assert total == 1
    (leak,) = leaks
    assert leak["id"] == first.sighting_id and leak["state"] == "new"
    assert leak["institutions"] == ["labo-01", "labo-02"]
    assert [s["id"] for s in leak["sightings"]] == [first.sighting_id, repost.sighting_id]
    assert leak["sources"] == ["forum", "paste-site"]
    parts = {p["institution"]: p for p in leak["parts"]}
    assert parts["labo-01"]["records"] == 90 and parts["labo-02"]["records"] == 40
    assert parts["labo-01"]["records_low"] <= 90 <= parts["labo-01"]["records_high"]
    assert leak["records"] == 130 and len(parts["labo-01"]["matches"]) == 2
    assert leak["first_seen"] <= leak["latest_seen"]


def test_confirming_a_whole_leak_confirms_one_match_per_institution_and_alerts_once_each(runtime, merged):
    _, first, repost = merged
    leak = runtime.leaks.decide(first.sighting_id, "confirmed", "alice", note="merged lab file")
    assert leak["state"] == "confirmed" and runtime.queue.open() == []
    states = {m["id"]: m["state"] for m in runtime.queue.list(states=("confirmed", "duplicate"), limit=10)[0]}
    assert sorted(states.values()) == ["confirmed", "confirmed", "duplicate", "duplicate"]
    for part in leak["parts"]:
        assert [m["state"] for m in part["matches"]].count("confirmed") == 1
    alerts = [a for a in runtime.redis.lrange(runtime.queue.alerts_key, 0, -1) if b'"confirmed"' in a]
    assert len(alerts) == 2                                        # one per institution, not per sighting
    entries = [e for e in runtime.audit.recent(20) if e["action"] == "leak:confirmed"]
    assert entries[0]["actor"] == "alice" and entries[0]["detail"]["leak"] == first.sighting_id
    assert entries[0]["detail"]["note"] == "merged lab file"


def test_one_institution_of_a_leak_is_decided_apart(runtime, merged):
    _, first, _ = merged
    leak = runtime.leaks.decide(first.sighting_id, "false_positive", "bob", institution="labo-02", note="test rows")
    parts = {p["institution"]: p["state"] for p in leak["parts"]}
    assert parts == {"labo-01": "new", "labo-02": "dismissed"}
    assert leak["state"] == "new"
    assert {m["institution"] for m in runtime.queue.open()} == {"labo-01"}
    with pytest.raises(TriageError):
        runtime.leaks.decide(first.sighting_id, "confirmed", "bob", institution="labo-03")


def test_a_repost_of_a_handled_leak_lands_in_its_spread_not_in_the_queue(runtime, merged, tmp_path):
    rows, first, _ = merged
    runtime.leaks.decide(first.sighting_id, "confirmed", "alice")
    again = scan(runtime, tmp_path, "again.csv", rows, source="telegram", seed=3)
    leaks, total = runtime.leaks.list()
    assert total == 0                                              # no new work
    leak = runtime.leaks.get(first.sighting_id)
    assert leak["state"] == "confirmed" and again.sighting_id in [s["id"] for s in leak["sightings"]]
    assert "telegram" in leak["sources"]
    repeated = runtime.queue.get(f"{again.sighting_id}-labo-01-patients")
    assert repeated["state"] == "duplicate" and repeated["decided_by"] == "leakwatch"


def test_a_repost_with_a_new_institution_brings_the_leak_back_saying_why(runtime, merged, tmp_path, people):
    rows, first, _ = merged
    runtime.leaks.decide(first.sighting_id, "confirmed", "alice")
    bigger = scan(runtime, tmp_path, "bigger.csv", rows + people[0][2].rows[:15], seed=4)
    (leak,), total = runtime.leaks.list()
    assert total == 1 and leak["id"] == first.sighting_id
    assert f"{bigger.sighting_id} brings a new institution: labo-03/patients" in leak["reason"]
    assert {m["institution"] for m in runtime.queue.open()} == {"labo-03"}   # the known labs stay handled
    runtime.leaks.decide(first.sighting_id, "confirmed", "alice")
    assert runtime.leaks.get(first.sighting_id)["reason"] == ""


def test_a_repost_with_more_records_brings_the_leak_back(runtime, merged, tmp_path, people):
    rows, first, _ = merged
    runtime.leaks.decide(first.sighting_id, "confirmed", "alice")
    more = scan(runtime, tmp_path, "more.csv", rows + people[0][1].rows[40:55], seed=5)
    (leak,), _ = runtime.leaks.list()
    assert f"{more.sighting_id} holds 55 records of labo-02/patients (was 40)" in leak["reason"]
    leak = runtime.leaks.decide(first.sighting_id, "confirmed", "alice")
    confirmed = [m for p in leak["parts"] for m in p["matches"] if m["state"] == "confirmed"]
    assert f"{more.sighting_id}-labo-02-patients" in [m["id"] for m in confirmed]   # the institution hears the new count


def test_a_decision_on_a_single_match_moves_its_leak(runtime, merged):
    _, first, repost = merged
    for match in runtime.queue.open():
        runtime.triage.decide(match["id"], "false_positive", "carol")
    (leak,), total = runtime.leaks.list(states=("dismissed",))
    assert total == 1 and leak["id"] == first.sighting_id
    assert runtime.leaks.list()[1] == 0


def test_filters_and_text_search_find_leaks_by_source_url_and_institution(runtime, merged, tmp_path, people):
    labs, strangers = people
    other = scan(runtime, tmp_path, "lab3.csv", labs[2].rows[:30] + strangers[20:], source="telegram",
                 url="http://t.test/c/77")
    everything = ("new", "confirmed", "dismissed")
    assert runtime.leaks.list(states=everything)[1] == 2
    assert [x["id"] for x in runtime.leaks.list(institution="labo-03")[0]] == [other.sighting_id]
    assert [x["id"] for x in runtime.leaks.list(source="forum")[0]] == [merged[1].sighting_id]
    assert [x["id"] for x in runtime.leaks.list(text="T.TEST/C")[0]] == [other.sighting_id]
    assert [x["id"] for x in runtime.leaks.list(text="labs-2021")[0]] == [merged[1].sighting_id]
    assert [x["id"] for x in runtime.leaks.list(text="labo-02")[0]] == [merged[1].sighting_id]
    latest = max(x["latest_seen"] for x in runtime.leaks.list()[0])
    assert runtime.leaks.list(seen_from=latest + 1)[1] == 0
    assert runtime.leaks.list(seen_to=latest)[1] == 2


def test_text_search_never_looks_into_dump_contents(runtime, merged, people):
    labs, _ = people
    patient = next(r for r in labs[0].rows[:90] if r["email"])
    for value in (patient["nom"], patient["email"], patient["nir"]):
        assert runtime.leaks.list(text=value)[1] == 0
    leak = runtime.leaks.get(merged[1].sighting_id)
    assert patient["email"] not in repr(leak) and patient["nir"] not in repr(leak)


def test_while_another_process_files_a_reader_shows_what_is_stored_and_nothing_is_lost(runtime, merged):
    from leakwatch.review import LeakQueue
    from leakwatch.matchers.registry.lock import SourceLock

    other = SourceLock(runtime.redis, "leak-queue:sync", runtime.settings.namespace)
    assert other.acquire()
    impatient = LeakQueue(runtime.leaks.store, runtime.queue, runtime.sightings, runtime.triage, lock_wait_seconds=0.2)
    assert impatient.list() == ([], 0)                 # nothing filed yet: the other process holds the lock
    other.release()
    (leak,), total = impatient.list()
    assert total == 1 and len(leak["sightings"]) == 2


def test_a_dismissed_leak_can_be_confirmed_after_all(runtime, merged):
    _, first, _ = merged
    runtime.leaks.decide(first.sighting_id, "false_positive", "bob", note="looked like test data")
    leak = runtime.leaks.decide(first.sighting_id, "confirmed", "alice", note="it was not")
    assert leak["state"] == "confirmed"
    for part in leak["parts"]:
        assert sorted(m["state"] for m in part["matches"]) == ["confirmed", "duplicate"]
