"""Telegram public channels through the fixture preview (t.me/s markup and paging), end to end."""

import base64
import json
import time
from urllib.parse import urlsplit

from crawl_job import source_yaml, sources_yaml
from registered import leakwatch, queued, register_institutions, start_leakwatch

from leakwatch.matchers.registry import CrawlState, SightingStore


def telegram_sources(url, **extra) -> str:
    return sources_yaml(source_yaml("tg", "telegram", url, telegram={"channels": ["frleaks", "dbmarket"]}, **extra))


def messages(sites, channel, hidden=False):
    return [m for m in sites.content["telegram"]["channels"][channel]["messages"] if hidden or not m["hidden"]]


def test_every_message_is_an_item_with_its_author_date_and_documents_named(sites, crawl):
    run = crawl(telegram_sources(sites.urls["telegram"]), ["tg"], {"COLLECT_COMMIT": True})
    assert run.results["tg"]["ok"], run.results["tg"]
    posts = {i["key"]: i for i in run.of("tg") if i["kind"] == "post"}
    expected = {f"{c}/{m['id']}" for c in ("frleaks", "dbmarket") for m in messages(sites, c)}
    assert set(posts) == expected
    # A reply's body is its own text, not the quote of the message it answers.
    reply = next(m for m in messages(sites, "frleaks") if m.get("reply_to"))
    assert base64.b64decode(posts[f"frleaks/{reply['id']}"]["body_b64"]).decode() == reply["text"].strip("\n")
    sample = posts["frleaks/3"]
    assert sample["author"] == "FR Leaks" and sample["posted_at"].startswith("2021-02-")
    # The app-only document is named, with its size, and not fetched; the reachable one is fetched.
    assert posts["dbmarket/3"]["title"] == "t.me/dbmarket · documents: full_db.7z (1.9 GB)"
    docs = [i for i in run.of("tg") if i["kind"] == "attachment"]
    assert [d["key"] for d in docs] == ["dbmarket/6/0"] and docs[0]["filename"] == "patients_export.csv.gz"
    assert run.results["tg"]["stats"]["leakwatch/telegram/documents_app_only"] == 1
    # frleaks: 45 messages, 20 a page: three pages, the older ones through ?before=
    pages = [e["path"] for e in sites.access_log() if e["path"].startswith("/s/frleaks")]
    assert pages == ["/s/frleaks", "/s/frleaks?before=26", "/s/frleaks?before=6"]


def test_next_run_reads_only_newer_messages_and_stops_paging(sites, crawl, redis_client, namespace):
    first = crawl(telegram_sources(sites.urls["telegram"]), ["tg"], {"COLLECT_COMMIT": True})
    assert first.results["tg"]["ok"]
    state = CrawlState(redis_client, "tg", namespace)
    assert state.cursor("telegram:frleaks") == "45" and state.cursor("telegram:dbmarket") == "8"
    sites.publish("telegram", 2)
    before = len(sites.access_log())
    second = crawl(telegram_sources(sites.urls["telegram"]), ["tg"], {"COLLECT_COMMIT": True})
    assert sorted(i["key"] for i in second.of("tg")) == ["frleaks/46", "frleaks/47"]
    fetched = [e["path"] for e in sites.access_log()[before:]]
    assert sorted(fetched) == ["/s/dbmarket", "/s/frleaks"]  # one page each: the cursor is on it
    assert state.cursor("telegram:frleaks") == "47"


def test_planted_leaks_are_matched_and_the_cursor_survives_a_killed_run(sites, tmp_path, redis_url, namespace):
    # A delay makes the first run slow enough to be killed with part of a channel committed.
    text = telegram_sources(sites.urls["telegram"], delay=0.4)
    env, client = register_institutions(tmp_path, redis_url, namespace, text)
    state = CrawlState(client, "tg", namespace)
    items = state.keys()[0]
    first = start_leakwatch(env, "crawl", "tg")
    deadline = time.monotonic() + 90
    while client.hlen(items) < 5 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    first.kill()  # SIGKILL: no cleanup at all
    first.communicate()
    killed_at = len(sites.access_log())
    committed = {k.decode() for k in client.hkeys(items)}
    assert 0 < len(committed) < 53, "the kill did not land mid-crawl"
    assert state.cursor("telegram:frleaks") is None, "a killed walk moved the cursor"

    result = leakwatch(env, "crawl", "tg", "--json", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert state.cursor("telegram:frleaks") == "45" and state.cursor("telegram:dbmarket") == "8"
    assert client.hlen(items) == 45 + 8 + 1  # every message, and the reachable document
    again = [e["path"] for e in sites.access_log()[killed_at:] if e["path"].startswith("/file/")]
    assert not ("dbmarket/6/0" in committed and again), "a committed document was fetched again"

    truth = {path: t for path, t in sites.content["truth"].items() if t["site"] == "telegram"}
    found = {urlsplit(m["url"]).path: m for m in queued(client, namespace)}
    for path, expected in truth.items():
        if expected["hidden"]:
            assert path not in found
            continue
        assert found[path]["institution"] == expected["institution"]
        assert abs(int(found[path]["records"]) - expected["records"]) <= 0.1 * expected["records"]
    assert set(found) == {p for p, t in truth.items() if not t["hidden"]}, "a match outside the planted leaks"
    store = SightingStore(client, namespace)
    doc = store.get(state.sighting_of("dbmarket/6/0"), with_matches=False)
    assert doc["title"].startswith("t.me/dbmarket · documents: patients_export.csv.gz (")

    # The hidden leak appears: the next run reads only it (and the message before it), and matches it.
    sites.publish("telegram", 2)
    third = leakwatch(env, "crawl", "tg", "--json", timeout=300)
    assert third.returncode == 0, third.stderr[-3000:]
    (outcome,) = json.loads(third.stdout)["sources"]
    assert outcome["new_sightings"] == 2
    found = {urlsplit(m["url"]).path: m for m in queued(client, namespace)}
    hidden = next(p for p, t in truth.items() if t["hidden"])
    assert found[hidden]["institution"] == truth[hidden]["institution"]
