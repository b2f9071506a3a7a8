"""/admin/publish: hidden items appear between two crawl runs, in the archive, the API and the forum."""

import json
import re

from .client import ForumClient, fetch, text


def _archive_keys(base):
    keys, page = [], 1
    while True:
        body = text(f"{base}/archive?page={page}")
        keys += re.findall(r'href="/p/(\w+)"', body)
        if 'rel="next"' not in body:
            return keys
        page += 1


def test_publish_makes_hidden_pastes_appear_newest_first_with_their_leak(fresh_sites, content):
    base = fresh_sites.urls["paste"]
    hidden = sorted((i for i in content["paste"]["items"] if i["hidden"]), key=lambda i: i["date"])
    before = _archive_keys(base)
    assert not {i["key"] for i in hidden} & set(before)
    visible = fresh_sites.publish("paste", 2)
    assert visible == len(before) + 2
    after = _archive_keys(base)
    assert after[:2] == [hidden[1]["key"], hidden[0]["key"]] and after[2:] == before
    api = json.loads(text(f"{base}/api_scraping.php?limit=250"))
    assert [p["key"] for p in api[:2]] == after[:2]
    assert fetch(f"{base}/raw/{hidden[2]['key']}")[0] == 404        # not published yet
    assert fresh_sites.publish("paste", 100) == len(content["paste"]["items"])
    leak = next(p for p, t in content["truth"].items() if t["site"] == "paste" and t["hidden"])
    assert fetch(base + leak)[0] == 200


def test_publish_adds_posts_to_topics_and_a_new_topic_to_the_forum(fresh_sites, content):
    client = ForumClient(fresh_sites.urls["forum"]).login()
    hidden = content["hidden_at_start"]["forum"]
    new_tid = int(re.search(r"t=(\d+)", hidden[-1]).group(1))
    assert client.get(f"/viewtopic.php?t={new_tid}")[0] == 404
    board3 = client.page("/viewforum.php?f=3")
    assert f"?t={new_tid}\"" not in board3
    fresh_sites.publish("forum", len(hidden))
    for path in hidden:
        tid, pid = re.search(r"t=(\d+)#p(\d+)", path).groups()
        pages = [client.page(f"/viewtopic.php?t={tid}&start={s}") for s in range(0, 40, 10)
                 if client.get(f"/viewtopic.php?t={tid}&start={s}")[0] == 200]
        assert f'<div class="post" id="p{pid}">' in pages[-1], path          # appended: on the last page
    board3 = client.page("/viewforum.php?f=3")
    assert re.search(rf'href="/viewtopic.php\?t={new_tid}">.*?data-post-id="{hidden[-1].split("#p")[1]}"', board3)


def test_publish_must_be_a_post_and_n_an_integer(fresh_sites, content):
    base = fresh_sites.urls["paste"]
    assert fetch(f"{base}/admin/publish?n=1")[0] == 405
    assert fetch(f"{base}/admin/publish?n=x", "POST", b"")[0] == 400
    assert fresh_sites.publish("js", 3) == len(content["js"]["items"])     # nothing hidden there: a no-op
