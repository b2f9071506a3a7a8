"""Ransomware data-leak sites through the fixture leak site (victims, file trees, archives), end to end."""

import base64
import json
import time
from urllib.parse import urlsplit

from crawl_job import source_yaml, sources_yaml
from registered import leakwatch, queued, register_institutions, start_leakwatch

from leakwatch.matchers.registry import CrawlState, SightingStore

BIG = 200_000  # the fixture's backup/full_backup.csv is larger than this; every other file is far smaller


def leak_sources(url, name="leaks", **extra) -> str:
    return sources_yaml(source_yaml(name, "leak_site", url, **extra))


def published(sites) -> dict:
    """URL path of every published file -> its size, as the site serves it."""
    out = {}
    for v in sites.content["leaks"]["victims"]:
        for name, blob in v["files"].items():
            out[f"/files/{v['slug']}/{name}"] = (sites.content_dir / blob).stat().st_size
        if v["archive"]:
            out[f"/download/{v['slug']}.zip"] = (sites.content_dir / v["archive"]).stat().st_size
    return out


def test_each_victim_is_an_item_and_every_published_file_is_fetched_once(sites, crawl):
    run = crawl(leak_sources(sites.urls["leaks"]), ["leaks"], {"COLLECT_COMMIT": True})
    assert run.results["leaks"]["ok"], run.results["leaks"]
    victims = sites.content["leaks"]["victims"]
    posts = {i["key"]: i for i in run.of("leaks") if i["kind"] == "post"}
    assert set(posts) == {f"victim:{v['slug']}" for v in victims}
    lab = next(v for v in victims if v["slug"] == "laboratoire-bioanalyses-rhone")
    assert posts["victim:laboratoire-bioanalyses-rhone"]["title"].startswith(
        "Laboratoire Bioanalyses Rhone (laboratoirebioanalysesrhone.fr) · deadline 2021-")
    assert base64.b64decode(posts[f"victim:{lab['slug']}"]["body_b64"]).decode() == lab["description"]
    files = {urlsplit(i["url"]).path: i for i in run.of("leaks") if i["kind"] == "attachment"}
    assert set(files) == set(published(sites))
    assert all(f["title"] == posts[f"victim:{p.split('/')[2].removesuffix('.zip')}"]["title"]
               for p, f in files.items())
    fetched = [e["path"] for e in sites.access_log() if e["path"].startswith(("/files/", "/download/"))
               and not e["path"].endswith("/")]
    assert sorted(fetched) == sorted(published(sites)), "a file was fetched twice, or not at all"

    again = crawl(leak_sources(sites.urls["leaks"]), ["leaks"], {"COLLECT_COMMIT": True})
    assert again.items == []
    fetched = [e["path"] for e in sites.access_log() if e["path"].startswith(("/files/", "/download/"))
               and not e["path"].endswith("/")]
    assert len(fetched) == len(published(sites)), "a file committed by the first run was fetched again"


def test_files_beyond_the_byte_budgets_are_reported_and_taken_by_a_later_run(sites, crawl):
    sizes = published(sites)
    big = "/files/laboratoire-bioanalyses-rhone/backup/full_backup.csv"
    assert sizes[big] > BIG > max(s for p, s in sizes.items() if p != big)
    run = crawl(leak_sources(sites.urls["leaks"], leak_site={"max_file_bytes": BIG}), ["leaks"],
                {"COLLECT_COMMIT": True})
    stats = run.results["leaks"]["stats"]
    assert stats["leakwatch/budget_skipped/files"] == 1 and stats["leakwatch/budget_skipped/bytes"] == sizes[big]
    assert f"{big} ({sizes[big]} bytes) not fetched: larger than max_file_bytes ({BIG})" in run.log
    assert big not in [e["path"] for e in sites.access_log()], "a file over the budget was downloaded"

    # A run budget of 3 KB: the files that fit are fetched, the others are reported, none is lost.
    small = crawl(leak_sources(sites.urls["leaks"], name="small", leak_site={"max_bytes": 3000}), ["small"],
                  {"COLLECT_COMMIT": True})
    got = [i for i in small.of("small") if i["kind"] == "attachment"]
    skipped = small.results["small"]["stats"]["leakwatch/budget_skipped/files"]
    assert got and sum(len(base64.b64decode(i["body_b64"])) for i in got) <= 3000
    assert len(got) + skipped == len(sizes)
    assert small.log.count("not fetched: ") == skipped  # each named, with the bound that left it out

    # The budget raised: only the file left out is fetched.
    before = len(sites.access_log())
    later = crawl(leak_sources(sites.urls["leaks"]), ["leaks"], {"COLLECT_COMMIT": True})
    assert [urlsplit(i["url"]).path for i in later.of("leaks")] == [big]
    files = [e["path"] for e in sites.access_log()[before:] if not e["path"].endswith("/")
             and e["path"].startswith(("/files/", "/download/"))]
    assert files == [big]


def test_js_built_list_is_read_through_chromium_and_not_without_it(sites, crawl):
    url = sites.urls["leaks"]
    run = crawl(sources_yaml(source_yaml("app", "leak_site", url, browser=True, leak_site={"path": "/app"}),
                             source_yaml("app-plain", "leak_site", url, leak_site={"path": "/app"})),
                ["app", "app-plain"], {"COLLECT_COMMIT": True})
    assert run.results["app"]["ok"], run.results["app"]
    victims = {f"victim:{v['slug']}" for v in sites.content["leaks"]["victims"]}
    assert {i["key"] for i in run.of("app") if i["kind"] == "post"} == victims
    assert {urlsplit(i["url"]).path for i in run.of("app") if i["kind"] == "attachment"} == set(published(sites))
    assert run.of("app-plain") == []
    assert run.results["app-plain"]["stats"]["leakwatch/leak_site/listing_empty"] == 1
    assert run.results["app"]["stats"]["playwright/page_count"] > 0


def test_planted_leaks_are_matched_with_victims_kept_and_a_killed_run_is_resumed(sites, tmp_path, redis_url,
                                                                                   namespace):
    text = leak_sources(sites.urls["leaks"], delay=0.3)
    env, client = register_institutions(tmp_path, redis_url, namespace, text)
    state = CrawlState(client, "leaks", namespace)
    items = state.keys()[0]
    first = start_leakwatch(env, "crawl", "leaks")
    deadline = time.monotonic() + 120
    while (sum(k.startswith(b"file:") for k in client.hkeys(items)) < 3 and time.monotonic() < deadline
           and first.poll() is None):
        time.sleep(0.05)
    first.kill()  # SIGKILL: no cleanup at all
    first.communicate()
    killed_at = len(sites.access_log())
    committed = {k.decode().removeprefix("file:") for k in client.hkeys(items) if k.startswith(b"file:")}
    assert 3 <= len(committed) < len(published(sites)), "the kill did not land mid-crawl"

    result = leakwatch(env, "crawl", "leaks", "--json", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    (outcome,) = json.loads(result.stdout)["sources"]
    assert outcome["status"] == "ok" and outcome["budget_skipped"] == 0
    after = [e["path"] for e in sites.access_log()[killed_at:]]
    assert not committed & set(after), "a file committed before the kill was fetched again"
    assert {k.decode().removeprefix("file:") for k in client.hkeys(items) if k.startswith(b"file:")} \
        == set(published(sites))

    truth = {path: t for path, t in sites.content["truth"].items() if t["site"] == "leaks"}
    matches = queued(client, namespace)
    found = {urlsplit(m["url"]).path: m for m in matches}
    assert len(matches) == len(found) == len(truth), "a leak matched twice, or a match outside the planted leaks"
    store = SightingStore(client, namespace)
    for path, expected in truth.items():
        assert found[path]["institution"] == expected["institution"]
        assert abs(int(found[path]["records"]) - expected["records"]) <= 0.1 * expected["records"]
        # The victim's public name stays with the sighting of its files.
        victim = next(v for v in sites.content["leaks"]["victims"] if v["slug"] in path)
        assert store.get(found[path]["sighting"], with_matches=False)["title"].startswith(victim["name"] + " (")


def test_crawl_outcome_counts_the_files_a_budget_left_out(sites, tmp_path, redis_url, namespace):
    env, client = register_institutions(tmp_path, redis_url, namespace,
                                        leak_sources(sites.urls["leaks"], leak_site={"max_file_bytes": BIG}))
    result = leakwatch(env, "crawl", "leaks", "--json", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    (outcome,) = json.loads(result.stdout)["sources"]
    assert outcome["status"] == "ok" and outcome["budget_skipped"] == 1
    assert not CrawlState(client, "leaks", namespace).done("file:/files/laboratoire-bioanalyses-rhone/backup/full_backup.csv")
    # Still left out by the next run, which says so in its line for people, and names it in the log (stderr).
    again = leakwatch(env, "crawl", "leaks", timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "0 new sightings" in again.stdout and ", 1 files left for a later run by a budget" in again.stdout
    assert "backup/full_backup.csv" in again.stderr and "larger than max_file_bytes (200000)" in again.stderr


def test_large_file_is_received_in_pieces_and_scanned_whole(sites, crawl):
    import hashlib

    big = "/files/laboratoire-bioanalyses-rhone/backup/full_backup.csv"
    size = published(sites)[big]
    run = crawl(leak_sources(sites.urls["leaks"], leak_site={"chunk_bytes": 100_000}), ["leaks"],
                {"COLLECT_COMMIT": True})
    assert run.results["leaks"]["ok"], run.results["leaks"]
    pieces = [e for e in sites.access_log() if e["path"] == big]
    assert len(pieces) == -(-size // 100_000) and {e["status"] for e in pieces} == {206}
    assert max(e["bytes"] for e in pieces) == 100_000
    (item,) = [i for i in run.of("leaks") if urlsplit(i["url"]).path == big]
    blob = next(v for v in sites.content["leaks"]["victims"] if v["slug"] == "laboratoire-bioanalyses-rhone")
    assert item["sha256"] == hashlib.sha256((sites.content_dir / blob["files"]["backup/full_backup.csv"])
                                            .read_bytes()).hexdigest()


def test_links_off_the_site_and_out_of_a_directory_are_not_followed(sites, crawl):
    run = crawl(leak_sources(sites.urls["leaks"]), ["leaks"], {"COLLECT_COMMIT": True})
    assert run.results["leaks"]["ok"], run.results["leaks"]
    assert "127.0.0.1:1/" not in run.log  # the mirror on another host: never requested
    assert "leakwatch/errors" not in run.results["leaks"]["stats"]
    listings = [e["path"] for e in sites.access_log() if e["path"].startswith("/files/") and
                (e["path"].endswith("/") or "?" in e["path"])]
    # Each directory once, walking down only: no parent, no sort link.
    assert sorted(listings) == sorted(set(listings)) and not [p for p in listings if "?" in p]
    assert len(listings) == 7
