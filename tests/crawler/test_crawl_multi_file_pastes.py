"""Pastes of several files: every file is an item of its own, scanned and matched on its own."""

import json

import pytest

from registered import leakwatch, register_institutions
from leakwatch.matchers.registry import CrawlState, MatchQueue

FILES_SOURCE = """
sources:
  - name: files
    kind: paste_listing
    base_url: {files}
    route: direct
    delay: 0
    listing:
      raw_link: a.raw-link
      file_key_pattern: /raw/[^/]+/(?P<key>[^/?#]+)
"""


@pytest.fixture
def registered(sites, tmp_path, redis_url, namespace):
    """The fixture content's institutions registered under a fresh home's key; the CLI's environment,
    with no sources file in the settings (the test gives one with --sources)."""
    env, client = register_institutions(tmp_path, redis_url, namespace, "sources: []\n")
    del env["LEAKWATCH_SOURCES_FILE"]
    (tmp_path / "none.yaml").write_text("{}\n")
    env["LEAKWATCH_CONFIG"] = str(tmp_path / "none.yaml")
    yield env, client
    client.close()


def test_every_file_of_a_paste_is_taken_and_the_second_files_leak_is_matched_to_its_lab(sites, registered, tmp_path,
                                                                                        namespace):
    env, client = registered
    sources = tmp_path / "files.yaml"  # given with --sources: no setting names it
    sources.write_text(FILES_SOURCE.format(**sites.urls))
    result = leakwatch(env, "crawl", "files", "--sources", str(sources), "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    [summary] = json.loads(result.stdout)["sources"]
    items = sites.content["files"]["items"]
    visible = [i for i in items if not i["hidden"]]
    assert summary["status"] == "ok" and summary["items"] == sum(len(i["files"]) for i in visible)

    [(path, truth)] = [(p, t) for p, t in sites.content["truth"].items() if t["site"] == "files"]
    paste = next(i for i in visible if path.startswith(f"/raw/{i['key']}/"))
    assert [f["slug"] for f in paste["files"]].index(path.rsplit("/", 1)[1]) == 1  # the second file
    matches = MatchQueue(client, namespace).open(limit=100)
    assert [m["url"] for m in matches] == [sites.urls["files"] + path]
    assert matches[0]["institution"] == truth["institution"]
    assert abs(matches[0]["records"] - truth["records"]) <= 0.1 * truth["records"]

    state = CrawlState(client, "files", namespace)
    for item in visible:
        keys = [item["key"]] if len(item["files"]) == 1 else [f"{item['key']}/{f['slug']}" for f in item["files"]]
        assert all(state.done(k) for k in keys), keys
        assert state.done(item["key"])  # a paste whose files are all committed is done as a whole

    seen = len(sites.access_log())
    again = leakwatch(env, "crawl", "files", "--sources", str(sources), "--json")
    assert again.returncode == 0, again.stderr[-2000:]
    fetched = [e["path"] for e in sites.access_log()[seen:]]
    assert fetched == ["/archive"], fetched  # nothing of a paste already taken is fetched again


def test_files_without_a_key_pattern_are_keyed_by_their_place_on_the_page(sites, crawl):
    from crawl_job import source_yaml, sources_yaml

    run = crawl(sources_yaml(source_yaml("files", "paste_listing", sites.urls["files"],
                                         listing={"raw_link": "a.raw-link"})), ["files"])
    assert run.returncode == 0, run.results
    by_key = {i["key"]: i for i in run.of("files")}
    for item in sites.content["files"]["items"]:
        if item["hidden"]:
            continue
        if len(item["files"]) == 1:
            assert by_key[item["key"]]["url"].endswith(f"/p/{item['key']}")
            continue
        for n, file in enumerate(item["files"], 1):
            got = by_key[f"{item['key']}/file-{n}"]
            assert got["url"].endswith(f"/raw/{item['key']}/{file['slug']}")
            assert got["title"] == item["title"] and got["author"] == item["user"]


def test_a_file_that_failed_is_taken_next_run_without_fetching_its_paste_files_again(sites, crawl):
    from crawl_job import source_yaml, sources_yaml

    source = sources_yaml(source_yaml("files", "paste_listing", sites.urls["files"],
                                      listing={"raw_link": "a.raw-link",
                                               "file_key_pattern": "/raw/[^/]+/(?P<key>[^/?#]+)"}))
    paste = next(i for i in sites.content["files"]["items"] if len(i["files"]) == 2)
    failing = f"{paste['key']}/{paste['files'][1]['slug']}"
    first = crawl(source, ["files"], {"COLLECT_COMMIT": True, "COLLECT_FAIL_ONCE": {"key": failing, "hold": 0}})
    assert first.returncode == 0, first.results
    assert failing not in {i["key"] for i in first.of("files")}
    seen = len(sites.access_log())

    second = crawl(source, ["files"], {"COLLECT_COMMIT": True})
    assert second.returncode == 0, second.results
    assert [i["key"] for i in second.of("files")] == [failing]
    paths = [e["path"] for e in sites.access_log()[seen:] if e["site"] == "files"]
    assert sorted(paths) == sorted(["/archive", f"/p/{paste['key']}", f"/raw/{failing}"])
