"""`leakwatch sources check`: one page of a source, fetched as the crawl fetches it, and what each
selector found there, on each kind of fixture site."""

import json
import os
import subprocess
import sys

from crawl_job import source_yaml, sources_yaml

FORUM_ENV = {"LW_TEST_FORUM_USER": "watcher", "LW_TEST_FORUM_PASSWORD": "correct horse battery staple"}
CREDENTIALS = "env:LW_TEST_FORUM_USER/LW_TEST_FORUM_PASSWORD"
UNREAD = {"topic_last_post": "div.topic-last-post a::attr(href)", "topic_last_post_pattern": r"/post/(\d+)",
          "thread_key_pattern": r"/topic/(?P<key>\d+)"}


def _sources(sites, tmp_path):
    path = tmp_path / "check.yaml"
    path.write_text(sources_yaml(
        source_yaml("paste", "paste_listing", sites.urls["paste"]),
        source_yaml("files", "paste_listing", sites.urls["files"],
                    listing={"raw_link": "a.raw-link", "file_key_pattern": "/raw/[^/]+/(?P<key>[^/?#]+)",
                             "content": "pre.file-content"}),
        source_yaml("forum", "forum", sites.urls["forum"], credentials=CREDENTIALS),
        source_yaml("unread", "forum", sites.urls["unread"], credentials=CREDENTIALS, forum=UNREAD),
        source_yaml("wrong", "paste_listing", sites.urls["paste"], listing={"item_links": "a.nothing-here"}),
        source_yaml("api", "paste_api", sites.urls["paste"]),
        source_yaml("paste-tor", "paste_listing", sites.urls["paste"], route="tor"),
    ))
    return path


def check(env, sources, *args):
    result = subprocess.run([sys.executable, "-m", "leakwatch", "sources", "check", *args, "--sources", str(sources)],
                            env={**os.environ, **env, **FORUM_ENV}, capture_output=True, text=True, timeout=120)
    return result


def check_json(env, sources, *args):
    result = check(env, sources, *args, "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    return report, {row["name"]: row for row in report["selectors"]}


def _site_paths(sites, site, since=0):
    return [e["path"] for e in sites.access_log()[since:] if e["site"] == site]


def test_paste_listing_shows_item_links_with_their_keys_and_the_next_page(sites, env, tmp_path):
    sources = _sources(sites, tmp_path)
    report, rows = check_json(env, sources, "paste")
    newest = [i for i in sorted(sites.content["paste"]["items"], key=lambda i: -i["date"]) if not i["hidden"]][:20]
    assert report["page"] == "listing" and report["status"] == 200
    assert [f["key"] for f in rows["item_links"]["found"]] == [i["key"] for i in newest]
    assert rows["next_page"]["found"] == [sites.urls["paste"] + "/archive?page=2"]
    assert report["warnings"] == []
    assert _site_paths(sites, "paste") == ["/archive"]  # one page, nothing else


def test_text_output_lists_each_selector_and_warns_of_one_that_matched_nothing(sites, env, tmp_path):
    result = check(env, _sources(sites, tmp_path), "wrong")
    assert result.returncode == 0, result.stderr
    assert "item_links [a.nothing-here]: 0 found" in result.stdout
    assert "warning: item_links (a.nothing-here) matched nothing" in result.stdout


def test_paste_page_shows_its_raw_link_title_and_author(sites, env, tmp_path):
    item = next(i for i in sites.content["paste"]["items"] if not i["hidden"])
    report, rows = check_json(env, _sources(sites, tmp_path), "paste", "--url", f"/p/{item['key']}")
    assert report["page"] == "item"
    assert rows["raw_link"]["found"] == [{"url": f"{sites.urls['paste']}/raw/{item['key']}", "key": item["key"]}]
    assert rows["title"]["found"] == [item["title"]] and rows["author"]["found"] == [item["user"]]


def test_multi_file_paste_shows_every_file_with_its_own_key_and_none_of_their_text(sites, env, tmp_path):
    paste = next(i for i in sites.content["files"]["items"] if len(i["files"]) == 2)
    result = check(env, _sources(sites, tmp_path), "files", "--url", f"/p/{paste['key']}", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {row["name"]: row for row in json.loads(result.stdout)["selectors"]}
    assert rows["raw_link"]["found"] == [
        {"url": f"{sites.urls['files']}/raw/{paste['key']}/{f['slug']}", "key": f"{paste['key']}/{f['slug']}"}
        for f in paste["files"]]
    assert rows["content"]["count"] == 2
    leak = paste["files"][1]["text"].splitlines()[0]
    assert json.loads(leak)["mail"] not in result.stdout + result.stderr  # the dump itself is never shown


def test_forum_without_login_says_it_met_the_login_page(sites, env, tmp_path):
    report, _ = check_json(env, _sources(sites, tmp_path), "forum", "--url", "/viewforum.php?f=1")
    assert report["status"] == 302 and "--login" in report["warnings"][0]


def test_forum_with_login_shows_topics_last_posts_then_posts_and_attachments(sites, env, tmp_path):
    sources = _sources(sites, tmp_path)
    report, rows = check_json(env, sources, "forum", "--login", "--url", "/viewforum.php?f=1")
    assert report["page"] == "board"
    topics = rows["topics"]["found"]
    assert len(topics) == 10 and all(t["link_key"] and isinstance(t["last_post"], int) for t in topics)
    assert rows["next_page"]["found"] == [sites.urls["forum"] + "/viewforum.php?f=1&start=10"]

    forum = sites.content["forum"]
    attachment = next(a for a in forum["attachments"] if not next(p for p in forum["posts"] if p["id"] == a["post"])["hidden"])
    topic = next(p["topic"] for p in forum["posts"] if p["id"] == attachment["post"])
    report, rows = check_json(env, sources, "forum", "--login", "--url", f"/viewtopic.php?t={topic}")
    assert report["page"] == "thread"
    visible = sorted(p["id"] for p in forum["posts"] if p["topic"] == topic and not p["hidden"])[:10]
    assert [p["id"] for p in rows["posts"]["found"]] == [str(i) for i in visible]
    assert {"url": f"{sites.urls['forum']}/download/file.php?id={attachment['id']}",
            "key": f"attachment:{attachment['id']}"} in rows["attachments"]["found"]
    assert not [p for p in _site_paths(sites, "forum") if p.startswith("/download/")]  # listed, not fetched


def test_changing_links_forum_gives_one_thread_key_whatever_the_link(sites, env, tmp_path):
    sources = _sources(sites, tmp_path)
    report, rows = check_json(env, sources, "unread", "--login", "--url", "/board/1")
    topics = rows["topics"]["found"]
    assert all(t["url"].startswith(sites.urls["unread"] + "/post/") for t in topics)  # a member's unread links
    assert all(t["link_key"] is None and isinstance(t["last_post"], int) for t in topics)
    posts = sorted(p["id"] for p in sites.content["forum"]["posts"] if p["topic"] == 3 and not p["hidden"])
    keys = []
    for url in ("/topic/3", f"/post/{posts[12]}", f"/post/{posts[-1]}"):
        report, rows = check_json(env, sources, "unread", "--login", "--url", url)
        [thread] = rows["thread_key"]["found"]
        keys.append((thread["from"], thread["key"]))
    assert keys == [("canonical", "3")] * 3


def test_api_source_lists_the_keys_of_its_entries(sites, env, tmp_path):
    report, rows = check_json(env, _sources(sites, tmp_path), "api")
    assert report["page"] == "list" and rows["entries"]["count"] == len(sites.content["paste"]["items"]) - len(sites.content["hidden_at_start"]["paste"])
    visible = {i["key"] for i in sites.content["paste"]["items"] if not i["hidden"]}
    assert {e["key"] for e in rows["entries"]["found"]} <= visible


def test_tor_source_without_a_working_tor_fetches_nothing_and_exits_2(sites, env, tmp_path):
    # Port 9 (discard): nothing answers there, so the Tor route cannot check tor and must refuse.
    env = {**env, "LEAKWATCH_TOR_CONTROL": "127.0.0.1:9", "LEAKWATCH_TOR_HTTP_TUNNEL": "127.0.0.1:9"}
    seen = len(sites.access_log())
    result = check(env, _sources(sites, tmp_path), "paste-tor")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("leakwatch: source paste-tor: the page could not be fetched (tor_unavailable)")
    assert sites.access_log()[seen:] == []  # never a direct connection instead


def test_unknown_source_and_login_on_a_paste_site_are_clear_errors(sites, env, tmp_path):
    sources = _sources(sites, tmp_path)
    result = check(env, sources, "nope")
    assert result.returncode == 2 and "no source named 'nope'" in result.stderr
    result = check(env, sources, "paste", "--login")
    assert result.returncode == 2 and "only forums log in" in result.stderr


def test_thread_key_from_a_selector_on_the_thread_page(sites, env, tmp_path):
    path = tmp_path / "selector.yaml"
    path.write_text(sources_yaml(source_yaml(
        "unread", "forum", sites.urls["unread"], credentials=CREDENTIALS,
        forum={**UNREAD, "thread_key_from": "selector", "thread_key_selector": "h2.topic-title::attr(data-topic-id)",
               "thread_key_pattern": r"^(\d+)$"})))
    report, rows = check_json(env, path, "unread", "--login", "--url", "/topic/5")
    assert rows["thread_key"]["found"] == [{"from": "selector", "value": "5", "key": "5"}]


def test_js_page_is_checked_through_chromium_as_the_crawl_reads_it(sites, env, tmp_path):
    path = tmp_path / "js.yaml"
    path.write_text(sources_yaml(source_yaml("js", "js_pages", sites.urls["js"]),
                                 source_yaml("js-plain", "js_pages", sites.urls["js"], browser=False)))
    item = next(i for i in sites.content["js"]["items"] if not i["hidden"])
    report, rows = check_json(env, path, "js", "--url", f"/view/{item['key']}")
    assert report["page"] == "item" and report["browser"] is True and rows["content"]["count"] == 1
    assert not [w for w in report["warnings"] if w.startswith("content")]
    # Without the browser the script does not run: the content the crawl would read is not there.
    report, rows = check_json(env, path, "js-plain", "--url", f"/view/{item['key']}")
    assert report["browser"] is False and rows["content"]["count"] == 0
    assert any(w.startswith("content (#paste-content) matched nothing") and "browser: true" in w
               for w in report["warnings"])


def test_crawl_with_a_sources_file_that_does_not_exist_is_one_clear_error(env, tmp_path):
    result = subprocess.run([sys.executable, "-m", "leakwatch", "crawl", "x", "--sources", str(tmp_path / "no.yaml")],
                            env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == f"leakwatch: {tmp_path / 'no.yaml'}: sources file does not exist"


def test_thread_without_a_canonical_link_is_keyed_by_its_link_and_says_so(sites, env, tmp_path):
    report, rows = check_json(env, _sources(sites, tmp_path), "forum", "--login", "--url", "/viewtopic.php?t=3")
    assert rows["thread_key"]["found"] == [{"from": "link", "value": f"{sites.urls['forum']}/viewtopic.php?t=3",
                                            "key": "3"}]
