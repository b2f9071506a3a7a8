"""The multi-file paste site and the forum whose links change (docs/fixture-sites.md, "files", "unread")."""

import re

from .client import ForumClient, fetch, text


def test_a_paste_page_links_every_file_and_each_raw_url_serves_that_file(fresh_sites, content):
    base = fresh_sites.urls["files"]
    visible = [i for i in content["files"]["items"] if not i["hidden"]]
    listed = re.findall(r'<a class="paste-link" href="/p/(\w+)">', text(base + "/archive"))
    assert listed == [i["key"] for i in sorted(visible, key=lambda i: -i["date"])]
    for item in visible:
        page = text(f"{base}/p/{item['key']}")
        slugs = re.findall(rf'<a class="raw-link" href="/raw/{item["key"]}/([^"]+)">', page)
        assert slugs == [f["slug"] for f in item["files"]]
        for file in item["files"]:
            assert text(f"{base}/raw/{item['key']}/{file['slug']}") == file["text"]
    hidden = next(i for i in content["files"]["items"] if i["hidden"])
    assert fetch(f"{base}/p/{hidden['key']}")[0] == 404
    fresh_sites.publish("files", 1)
    assert fetch(f"{base}/p/{hidden['key']}")[0] == 200


def test_a_member_is_linked_to_the_first_unread_post_then_to_the_topic_once_read(fresh_sites, content):
    base = fresh_sites.urls["unread"]
    guest = re.findall(r'class="topictitle" href="([^"]+)"', text(base + "/board/1"))
    assert guest and all(re.fullmatch(r"/topic/\d+", link) for link in guest)
    member = ForumClient(base).login()
    links = re.findall(r'class="topictitle" href="([^"]+)"', member.page("/board/1"))
    first_posts = {t: min(p["id"] for p in content["forum"]["posts"] if p["topic"] == t and not p["hidden"])
                   for t in {p["topic"] for p in content["forum"]["posts"] if not p["hidden"]}}
    assert links and all(re.fullmatch(r"/post/\d+", link) for link in links)
    assert {int(link.split("/")[2]) for link in links} <= set(first_posts.values())
    member.page(links[0])  # reading the topic's only page (or its first) marks its posts read
    again = re.findall(r'class="topictitle" href="([^"]+)"', member.page("/board/1"))
    assert again[0] != links[0]  # the link to that topic changed


def test_every_page_of_a_topic_names_it_in_its_canonical_link_whatever_url_led_there(fresh_sites, content):
    base = fresh_sites.urls["unread"]
    posts = sorted(p["id"] for p in content["forum"]["posts"] if p["topic"] == 3 and not p["hidden"])
    canonical = re.compile(r'<link rel="canonical" href="([^"]+)">')
    assert canonical.search(text(f"{base}/topic/3")).group(1) == "/topic/3"
    assert canonical.search(text(f"{base}/post/{posts[0]}")).group(1) == "/topic/3"
    assert canonical.search(text(f"{base}/post/{posts[12]}")).group(1) == "/topic/3?start=10"
    last = re.findall(r'class="topic-last-post"><a href="/post/(\d+)"', text(f"{base}/board/1"))
    assert str(posts[-1]) in last
