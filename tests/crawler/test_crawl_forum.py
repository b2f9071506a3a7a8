"""The phpBB-like forum: login with its CSRF token, expiring sessions, boards, threads, posts, attachments."""

import base64
import json

from crawl_job import source_yaml, sources_yaml

CREDENTIALS = "env:LW_TEST_FORUM_USER/LW_TEST_FORUM_PASSWORD"  # set by the crawl fixture


def _forum(sites, **extra):
    return sources_yaml(source_yaml("forum", "forum", sites.urls["forum"], **{"credentials": CREDENTIALS, **extra}))


def test_forum_crawl_logs_in_again_after_expiry_and_takes_posts_code_and_attachments(sites, crawl):
    run = crawl(_forum(sites), ["forum"])
    result = run.results["forum"]
    assert run.returncode == 0 and result["ok"], result
    stats = result["stats"]
    # 25 requests per session: a full crawl meets the expiry, logs in again and goes on.
    assert stats["leakwatch/forum/session_expired"] >= 1 and stats["leakwatch/forum/logins"] >= 2

    forum = sites.content["forum"]
    visible = {p["id"]: p for p in forum["posts"] if not p["hidden"]}
    posts = {i["key"]: i for i in run.of("forum") if i["kind"] == "post"}
    assert set(posts) == {f"post:{pid}" for pid in visible}  # every page of every thread of every board
    for pid, post in visible.items():
        body = base64.b64decode(posts[f"post:{pid}"]["body_b64"]).decode("utf-8")
        for block in post["blocks"]:  # prose, <code> and <pre> blocks, verbatim
            assert block["text"].strip("\n") in body
        assert posts[f"post:{pid}"]["author"] == post["author"]
    assert any(b["kind"] == "code" for p in visible.values() for b in p["blocks"])

    attachments = {i["key"]: i for i in run.of("forum") if i["kind"] == "attachment"}
    expected = {a["id"]: a for a in forum["attachments"] if not forum_post(forum, a["post"])["hidden"]}
    assert set(attachments) == {f"attachment:{aid}" for aid in expected}
    for aid, att in expected.items():
        item = attachments[f"attachment:{aid}"]
        assert base64.b64decode(item["body_b64"]) == (sites.content_dir / att["file"]).read_bytes()
        assert item["filename"] == att["name"]


def forum_post(forum, pid):
    return next(p for p in forum["posts"] if p["id"] == pid)


def test_second_forum_run_reads_only_threads_with_new_posts_from_their_cursor_page(sites, crawl):
    first = crawl(_forum(sites), ["forum"], {"COLLECT_COMMIT": True})  # commits as the scan pipeline does
    assert first.returncode == 0
    seen = len(sites.access_log())
    sites.publish("forum", 3)  # a reply in the 3-page thread 3, a <pre> leak in thread 5, a new thread

    second = crawl(_forum(sites), ["forum"], {"COLLECT_COMMIT": True})
    assert second.returncode == 0, second.results
    forum = sites.content["forum"]
    new_posts = [p for p in forum["posts"] if p["hidden"]]
    assert {i["key"] for i in second.of("forum")} == {f"post:{p['id']}" for p in new_posts}
    pre = next(b["text"] for p in new_posts for b in p["blocks"] if b["kind"] == "pre")
    assert any(pre.strip("\n") in base64.b64decode(i["body_b64"]).decode() for i in second.of("forum"))

    paths = [e["path"] for e in sites.access_log()[seen:] if e["site"] == "forum"]
    topics_read = {p.split("t=")[1].split("&")[0] for p in paths if p.startswith("/viewtopic.php")}
    assert topics_read == {str(p["topic"]) for p in new_posts}  # unchanged threads are not opened
    assert "/viewtopic.php?t=3" not in paths and "/viewtopic.php?t=3&start=20" in paths  # from the cursor's page
    assert not [p for p in paths if p.startswith("/download/")]  # attachments are not fetched twice
    assert second.results["forum"]["stats"]["leakwatch/forum/threads_unchanged"] >= 20


def test_forum_with_a_wrong_password_stops_with_login_failed(sites, crawl, monkeypatch):
    monkeypatch.setenv("LW_TEST_WRONG_PASSWORD", "hunter2")
    run = crawl(_forum(sites, credentials="env:LW_TEST_FORUM_USER/LW_TEST_WRONG_PASSWORD"), ["forum"])
    assert run.returncode == 1
    assert run.results["forum"]["reason"] == "login_failed" and not run.items
    assert "hunter2" not in run.log


def test_item_failed_in_one_worker_holds_its_threads_cursor_for_every_worker(sites, crawl, redis_client, namespace):
    """Two workers of one round: the one that reads the first page of thread 3 fails one of its posts
    (holding it a few seconds first, so that the other worker reads and commits the later pages
    meanwhile). The shared cursor stays before the failed page, and the next round takes the post."""
    from leakwatch.matchers.registry import CrawlState

    forum = sites.content["forum"]
    thread = sorted(p["id"] for p in forum["posts"] if p["topic"] == 3 and not p["hidden"])
    assert len(thread) > 20  # three pages of ten
    failing = f"post:{thread[0]}"
    settings = {"COLLECT_COMMIT": True, "COLLECT_FAIL_ONCE": {"key": failing, "hold": 8},
                # One request at a time per worker: the worker holding the failing post takes no other page.
                "LEAKWATCH_QUEUE_MAX_HELD": 1, "LEAKWATCH_CRAWL_ROUNDS": {"forum": "two-workers"}}
    workers = [crawl.start(_forum(sites), ["forum"], settings) for _ in range(2)]
    runs = [w.wait(240) for w in workers]
    assert all(r.returncode == 0 for r in runs), [r.results for r in runs]
    assert sorted(r.results["forum"]["stats"]["leakwatch/shared/round"] for r in runs) == ["join", "seed"]
    dropped = [json.loads(line) for w in workers if (w.out / "dropped.jsonl").exists()
               for line in (w.out / "dropped.jsonl").read_text().splitlines()]
    assert [d["key"] for d in dropped] == [failing]
    # The case of the test: the thread's last page was read (by the other worker) while the post was held.
    log = sites.access_log()
    # (A 302 is a session that expired on it: the page is fetched again after a new login.)
    last_page = [e["t"] for e in log if e["path"] == "/viewtopic.php?t=3&start=20" and e["status"] == 200]
    assert len(last_page) == 1 and last_page[0] < dropped[0]["t"], "the later pages were read after the failure"

    state = CrawlState(redis_client, "forum", namespace)
    assert not state.done(failing)
    assert all(state.done(f"post:{p}") for p in thread[10:])
    assert state.cursor("thread:3") is None  # not past the failed post's page, whoever read the later ones

    seen = len(log)
    again = crawl(_forum(sites), ["forum"], {"COLLECT_COMMIT": True})  # the next round, nothing failing
    assert again.returncode == 0, again.results
    assert [i["key"] for i in again.of("forum")] == [failing]
    paths = [e["path"] for e in sites.access_log()[seen:] if e["site"] == "forum"]
    assert "/viewtopic.php?t=3" in paths  # read again from the failed post's page
    assert state.done(failing) and state.cursor("thread:3") == f"{thread[-1]}@20"
