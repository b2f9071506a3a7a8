"""A forum whose links to a thread change with what the member has read: a thread's key comes from
the thread page (its canonical link), and the last post from a link's number, so a run after another
one opens no thread that has nothing new."""

import base64

from crawl_job import source_yaml, sources_yaml

CREDENTIALS = "env:LW_TEST_FORUM_USER/LW_TEST_FORUM_PASSWORD"  # set by the crawl fixture
UNREAD = {"topic_last_post": "div.topic-last-post a::attr(href)", "topic_last_post_pattern": r"/post/(\d+)",
          "thread_key_pattern": r"/topic/(?P<key>\d+)"}


def _unread(sites, **forum):
    return sources_yaml(source_yaml("unread", "forum", sites.urls["unread"], credentials=CREDENTIALS,
                                    forum={**UNREAD, **forum}))


def _thread_pages(paths):
    return [p for p in paths if p.startswith(("/topic/", "/post/"))]


def test_second_run_opens_no_thread_when_nothing_is_new_although_the_links_changed(sites, crawl):
    forum = sites.content["forum"]
    visible = [p for p in forum["posts"] if not p["hidden"]]
    first = crawl(_unread(sites), ["unread"], {"COLLECT_COMMIT": True})
    assert first.returncode == 0, first.results
    assert {i["key"] for i in first.of("unread") if i["kind"] == "post"} == {f"post:{p['id']}" for p in visible}
    posts = {i["key"]: i for i in first.of("unread")}
    for p in visible:  # each post's text, code blocks included
        body = base64.b64decode(posts[f"post:{p['id']}"]["body_b64"]).decode()
        assert all(b["text"].strip("\n") in body for b in p["blocks"])
    log = [e["path"] for e in sites.access_log() if e["site"] == "unread"]
    assert any(p.startswith("/post/") for p in _thread_pages(log))  # the member was linked to unread posts
    seen = len(sites.access_log())

    second = crawl(_unread(sites), ["unread"], {"COLLECT_COMMIT": True})
    assert second.returncode == 0, second.results
    paths = [e["path"] for e in sites.access_log()[seen:] if e["site"] == "unread"]
    assert _thread_pages(paths) == [] and not [p for p in paths if p.startswith("/download/")]
    assert any(p.startswith("/board/") for p in paths)  # the boards were read
    assert second.items == []
    topics = {p["topic"] for p in visible}
    assert second.results["unread"]["stats"]["leakwatch/forum/threads_unchanged"] == len(topics)


def test_new_posts_are_taken_from_the_threads_they_joined_under_the_same_keys(sites, crawl):
    first = crawl(_unread(sites), ["unread"], {"COLLECT_COMMIT": True})
    assert first.returncode == 0, first.results
    sites.publish("unread", 3)  # a reply in the 3-page thread 3, a <pre> leak in thread 5, a new thread
    seen = len(sites.access_log())

    second = crawl(_unread(sites), ["unread"], {"COLLECT_COMMIT": True})
    assert second.returncode == 0, second.results
    new_posts = [p for p in sites.content["forum"]["posts"] if p["hidden"]]
    assert {i["key"] for i in second.of("unread")} == {f"post:{p['id']}" for p in new_posts}
    paths = [e["path"] for e in sites.access_log()[seen:] if e["site"] == "unread"]
    # Each changed thread is opened once, at its first unread post (the link of a member); no other.
    assert sorted(_thread_pages(paths)) == sorted(f"/post/{p['id']}" for p in new_posts)



def test_a_post_content_selector_matching_several_elements_takes_them_all(sites, crawl):
    # The prose paragraphs and the code boxes of a post as separate matches: each post still one item.
    run = crawl(_unread(sites, post_content="div.content p, div.content code, div.content pre"), ["unread"])
    assert run.returncode == 0, run.results
    posts = {i["key"]: base64.b64decode(i["body_b64"]).decode() for i in run.of("unread") if i["kind"] == "post"}
    coded = [p for p in sites.content["forum"]["posts"] if not p["hidden"] and len(p["blocks"]) > 1]
    assert coded
    for p in coded:
        assert all(b["text"].strip("\n") in posts[f"post:{p['id']}"] for b in p["blocks"])
