"""Triage, audit log, accounts, tokens and the spread timeline, on real matches in a real Redis."""

import json
import random

import pytest

from leakwatch.accounts import AccountError, AnalystStore, InstitutionTokens, LoginThrottle
from leakwatch.review import TriageError, spread_timeline
from leakwatch.runtime import Runtime
from leakwatch.settings import Settings
from leakwatch.matchers.normalize import nir_key


def nir(body):
    return body + f"{nir_key(body):02d}"


HEADER = "nir,nom,prenom,date_naissance,code_postal,ville,telephone,email\n"
ROWS = [
    f"{nir('1611275123456')},Dupont,Jean-Pierre,1961-12-05,75012,Paris,0610012046,jp.dupont@mail.fr",
    f"{nir('2700569001002')},Martin,Hélène,1970-05-17,69003,Lyon,0472001122,helene.m@ex.fr",
    f"{nir('1850213055033')},N'Diaye,Moussa,1985-02-02,13005,Marseille,0699887766,moussa@ex.org",
    f"{nir('2921133001044')},Le Gall,Zoé,1992-11-30,29200,Brest,0298001122,zoe.legall@ex.fr",
]


@pytest.fixture
def runtime(tmp_path, redis_url, namespace):
    return Runtime(Settings.load({"redis_url": redis_url, "namespace": namespace, "home": str(tmp_path / "home")},
                                 environ={}, config_path=_empty_config(tmp_path)))


def _empty_config(tmp_path):
    path = tmp_path / "none.yaml"
    path.write_text("{}\n")
    return path


def register(runtime, institution, rows, canaries=()):
    from leakwatch.matchers.fingerprint import fingerprint_records

    records = [r.split(",") for r in [HEADER.strip()] + rows]
    fp = fingerprint_records(iter(records), runtime.key, "patients", canaries)
    runtime.registry.register(institution, "patients", fp, key_id=runtime.key.key_id)


def scan(runtime, tmp_path, name, text, source=None, url=None):
    path = tmp_path / name
    path.write_text(text)
    return runtime.dump_scanner.scan_path(path, name=name, source=source, url=url).as_dict()


@pytest.fixture
def matched(runtime, tmp_path):
    register(runtime, "labo-a", ROWS)
    report = scan(runtime, tmp_path, "leak.csv", HEADER + "\n".join(ROWS) + "\n", source="paste-site",
                  url="http://paste.example/raw/1")
    (match,) = runtime.queue.open()
    return runtime, match, report


def test_decisions_move_the_match_between_states_and_are_audited(matched):
    runtime, match, _ = matched
    assert match["state"] == "new" and runtime.queue.counts()["new"] == 1
    runtime.triage.decide(match["id"], "confirmed", "alice", note="real leak")
    assert runtime.queue.get(match["id"])["state"] == "confirmed"
    assert runtime.queue.counts() == {"new": 0, "confirmed": 1, "false_positive": 0, "duplicate": 0}
    assert runtime.queue.open() == []
    runtime.triage.decide(match["id"], "new", "bob")
    assert [m["id"] for m in runtime.queue.open()] == [match["id"]]
    audit = runtime.audit.for_match(match["id"])
    assert [(e["actor"], e["action"], e["detail"]["from"]) for e in audit] == [
        ("alice", "state:confirmed", "new"), ("bob", "state:new", "confirmed")]
    assert audit[0]["detail"]["note"] == "real leak"
    assert runtime.audit.recent(1)[0]["actor"] == "bob"


def test_confirming_alerts_once(matched):
    runtime, match, _ = matched
    key = runtime.queue.alerts_key
    assert runtime.redis.llen(key) == 0  # no canary: nothing until an analyst decides
    runtime.triage.decide(match["id"], "confirmed", "alice")
    runtime.triage.decide(match["id"], "confirmed", "alice")
    events = [json.loads(e) for e in runtime.redis.lrange(key, 0, -1)]
    assert [(e["event"], e["match"]) for e in events] == [("confirmed", match["id"])]


def test_bad_decisions_are_refused(matched):
    runtime, match, _ = matched
    with pytest.raises(TriageError):
        runtime.triage.decide(match["id"], "deleted", "alice")
    with pytest.raises(TriageError):
        runtime.triage.decide("s999-x-y", "confirmed", "alice")
    with pytest.raises(TriageError):
        runtime.triage.decide(match["id"], "duplicate", "alice", duplicate_of="s999-x-y")
    with pytest.raises(TriageError):
        runtime.triage.assign(match["id"], "nobody-here", "alice")
    assert runtime.queue.get(match["id"])["state"] == "new"
    assert runtime.audit.for_match(match["id"]) == []


def test_assign_and_note(matched):
    runtime, match, _ = matched
    runtime.analysts.add("carol", "correct horse battery")
    assert runtime.triage.assign(match["id"], "carol", "alice")["assignee"] == "carol"
    runtime.triage.note(match["id"], "asked the lab", "carol")
    assert [e["action"] for e in runtime.audit.for_match(match["id"])] == ["assign", "note"]


def test_canary_hit_queues_an_alert_at_once_and_goes_first(runtime, tmp_path):
    canary = f"{nir('1990175000111')},Canari,Jeanne,1999-01-01,75001,Paris,0611223344,jeanne.canari@ex.fr"
    register(runtime, "labo-a", ROWS)
    register(runtime, "labo-c", ROWS[:1] + [canary], canaries=[canary.split(",")])
    scan(runtime, tmp_path, "leak.csv", HEADER + "\n".join(ROWS + [canary]) + "\n")
    queue = runtime.queue.open()
    assert queue[0]["institution"] == "labo-c" and queue[0]["canaries"] == 1
    events = [json.loads(e) for e in runtime.redis.lrange(runtime.queue.alerts_key, 0, -1)]
    assert [(e["event"], e["match"]) for e in events] == [("canary", queue[0]["id"])]


def test_queue_filters_and_pages(runtime, tmp_path):
    register(runtime, "labo-a", ROWS[:2])
    register(runtime, "labo-b", ROWS[2:])
    for i in range(6):
        rows = random.Random(i).sample(ROWS, 4)
        scan(runtime, tmp_path, f"leak{i}.csv", HEADER + "\n".join(rows) + "\n", source="forum" if i % 2 else "paste")
    every, total = runtime.queue.list(states=("new",), limit=100)
    assert total == 12 and len(every) == 12
    page, total = runtime.queue.list(limit=5, offset=10)
    assert total == 12 and len(page) == 2
    only_b, total = runtime.queue.list(institution="labo-b", source="forum")
    assert total == 3 and {(m["institution"], m["source"]) for m in only_b} == {("labo-b", "forum")}
    urgencies = [m["urgency"] for m in every]
    assert urgencies == sorted(urgencies, reverse=True)
    runtime.triage.decide(only_b[0]["id"], "false_positive", "alice")
    assert runtime.queue.list(institution="labo-b", source="forum")[1] == 2
    assert runtime.queue.list(states=("false_positive",), institution="labo-b")[1] == 1
    assert runtime.queue.list(states=("false_positive",), institution="labo-a")[1] == 0
    assert runtime.queue.sources() == ["forum", "paste"]


def test_spread_timeline_follows_reposts(matched, tmp_path):
    runtime, match, _ = matched
    # A repost on another site: rows shuffled, fewer columns, another delimiter.
    rows = [r.split(",") for r in ROWS]
    random.Random(3).shuffle(rows)
    repost = "nom;prenom;date;tel;mail\n" + "\n".join(";".join([r[1], r[2], r[3], r[6], r[7]]) for r in rows) + "\n"
    second = scan(runtime, tmp_path, "repost.txt", repost, source="forum", url="http://forum.onion/t/9")
    assert second["similar_sightings"], "the repost is linked to its first sighting"
    scan(runtime, tmp_path, "other.csv", "a,b\n1,2\n3,4\n", source="paste")  # unrelated: not in the spread
    points = spread_timeline(runtime.sightings, match)
    assert [p["source"] for p in points] == ["paste-site", "forum"]
    assert points[0]["first"] and points[0]["this"] and not points[1]["first"]
    assert points[1]["records"] == 4 and points[-1]["at_stake"] == 4 and points[-1]["sources_so_far"] == 2
    assert points[0]["seen_at"] <= points[1]["seen_at"]


def test_analyst_passwords_are_hashed_and_verified(redis_client, namespace):
    store = AnalystStore(redis_client, namespace)
    store.add("alice", "correct horse battery")
    raw = redis_client.hget(f"{{{namespace}}}:analyst:alice", "password").decode()
    assert raw.startswith("$argon2") and "correct horse" not in raw
    assert store.verify("alice", "correct horse battery")
    assert not store.verify("alice", "correct horse batterY")
    assert not store.verify("mallory", "correct horse battery")
    with pytest.raises(AccountError):
        store.add("alice", "another long password")
    with pytest.raises(AccountError):
        store.add("bob", "short")
    with pytest.raises(AccountError):
        store.add("Bob Smith", "long enough password")
    store.add("alice", "another long password", replace=True)
    assert store.verify("alice", "another long password") and store.names() == ["alice"]


def test_login_throttle_blocks_after_repeated_failures(redis_client, namespace):
    throttle = LoginThrottle(redis_client, namespace, max_failures=3, window=60)
    for _ in range(3):
        assert throttle.blocked("alice", "127.0.0.1") == 0
        throttle.failed("alice", "127.0.0.1")
    assert 0 < throttle.blocked("alice", "127.0.0.1") <= 60
    assert throttle.blocked("bob", "127.0.0.1") > 0      # same address
    assert throttle.blocked("alice", "127.0.0.2") > 0    # same name
    assert throttle.blocked("bob", "127.0.0.2") == 0


def test_tokens_resolve_to_their_institution_only(redis_client, namespace):
    tokens = InstitutionTokens(redis_client, namespace)
    a = tokens.issue("labo-a", "sync job")
    b = tokens.issue("labo-b")
    assert tokens.resolve(a["token"]) == "labo-a" and tokens.resolve(b["token"]) == "labo-b"
    assert tokens.resolve(a["token"][:-1] + "x") is None and tokens.resolve("") is None
    stored = b"".join(k for k in redis_client.scan_iter(f"{{{namespace}}}:*"))
    assert a["token"].encode() not in stored
    assert [t["label"] for t in tokens.list("labo-a")] == ["sync job"]
    assert not tokens.revoke("labo-b", a["id"])  # another institution's token
    assert tokens.revoke("labo-a", a["id"]) and tokens.resolve(a["token"]) is None
