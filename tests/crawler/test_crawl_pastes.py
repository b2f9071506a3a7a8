"""Paste sites: the archive listing and the scraping API, end to end against the fixture paste site."""

import base64

from crawl_job import source_yaml, sources_yaml

from leakwatch.matchers.registry import CrawlState


def _visible(content, site="paste"):
    return {i["key"]: i["text"].encode(i["charset"]) for i in content[site]["items"] if not i["hidden"]}


def _bodies(items):
    return {i["key"]: base64.b64decode(i["body_b64"]) for i in items}


def _paths(entries, site="paste"):
    return [e["path"] for e in entries if e["site"] == site]


def test_listing_and_api_crawls_get_every_visible_paste_byte_for_byte(sites, crawl):
    url = sites.urls["paste"]
    run = crawl(sources_yaml(source_yaml("pastes", "paste_listing", url, concurrency=4),
                             source_yaml("pastes-api", "paste_api", url, concurrency=4)),
                ["pastes", "pastes-api"])
    assert run.returncode == 0, run.results
    expected = _visible(sites.content)
    assert len(expected) == 52
    for name in ("pastes", "pastes-api"):
        result = run.results[name]
        assert result["ok"] and result["reason"] == "finished", result
        items = run.of(name)
        assert _bodies(items) == expected  # the exact bytes, latin-1 pastes included
        assert len(items) == len(expected)  # each once
        assert all(i["kind"] == "paste" and i["url"].endswith("/p/" + i["key"]) for i in items)
    listed = {i["key"]: i for i in run.of("pastes")}
    some = next(i for i in sites.content["paste"]["items"] if not i["hidden"])
    assert listed[some["key"]]["author"] == some["user"] and listed[some["key"]]["title"] == some["title"]
    assert listed[some["key"]]["posted_at"].startswith("20")
    assert run.results["pastes-api"]["stats"]["leakwatch/items/paste"] == 52


def test_logs_carry_urls_and_keys_but_no_dump_content(sites, crawl):
    run = crawl(sources_yaml(source_yaml("pastes", "paste_listing", sites.urls["paste"], concurrency=4)), ["pastes"])
    assert run.returncode == 0
    assert "/raw/" in run.log  # DEBUG level: every URL is there
    for body in _visible(sites.content).values():
        longest = max(body.decode("latin-1").splitlines(), key=len)
        assert longest not in run.log


def test_second_run_fetches_only_pastes_not_committed(sites, crawl, redis_client, namespace):
    source = sources_yaml(source_yaml("pastes", "paste_listing", sites.urls["paste"], concurrency=4))
    first = crawl(source, ["pastes"])
    assert len(first.of("pastes")) == 52
    state = CrawlState(redis_client, "pastes", namespace)
    for item in first.of("pastes"):  # what the scan pipeline does once a sighting is stored
        state.commit(item["key"], "s-test")
    seen = len(sites.access_log())
    assert sites.publish("paste", 2) == 54

    second = crawl(source, ["pastes"])
    assert second.returncode == 0
    hidden = sorted((i for i in sites.content["paste"]["items"] if i["hidden"]), key=lambda i: i["date"])
    published = {i["key"]: i["text"].encode(i["charset"]) for i in hidden[:2]}
    paths = _paths(sites.access_log()[seen:])
    fetched = {p.rsplit("/", 1)[1] for p in paths if p.startswith(("/p/", "/raw/"))}
    assert fetched == set(published)  # the new pastes, and no committed one again
    assert _bodies(second.of("pastes")) == published
    # Newest first: page 1 had the new pastes, page 2 only old ones, so page 3 was never asked for.
    assert "/archive?page=2" in paths and "/archive?page=3" not in paths
    assert second.results["pastes"]["stats"]["leakwatch/skipped_done"] >= 20
