"""The forum, path by path (docs/fixture-sites.md, "forum"): login, sessions, boards, topics, attachments."""

import csv
import gzip
import html
import io
import re
import zipfile

from .client import ForumClient, fetch
from .test_content import people_in

LOGIN = "/ucp.php?mode=login"


def _visible_topic_posts(content, tid):
    return [p for p in content["forum"]["posts"] if p["topic"] == tid and not p["hidden"]]


def test_every_page_but_login_redirects_to_login_without_a_session(fixture_sites):
    base = fixture_sites.urls["forum"]
    for path in ("/index.php", "/viewforum.php?f=1", "/viewtopic.php?t=3", "/download/file.php?id=1"):
        status, headers, _ = fetch(base + path)
        assert status == 302 and headers["location"] == LOGIN, path
    status, _, body = fetch(base + LOGIN)
    assert status == 200 and b'<form id="login" method="post" action="/ucp.php?mode=login">' in body


def test_login_form_carries_a_csrf_token_and_a_wrong_one_is_refused_with_403(fixture_sites):
    client = ForumClient(fixture_sites.urls["forum"])
    assert set(client.form_fields()) == {"form_token", "creation_time"}
    for bad in ({"form_token": "0" * 40}, {"form_token": ""}, {"creation_time": "1"}, {"password": "nope"}):
        status, headers, body = client.post_login(**bad)
        assert status == 403 and b'class="error"' in body and "set-cookie" not in headers, bad


def test_login_sets_sid_and_redirects_to_the_index(fixture_sites, content):
    client = ForumClient(fixture_sites.urls["forum"]).login()
    assert client.sid
    boards = re.findall(r'<a class="forumtitle" href="/viewforum.php\?f=(\d+)">(.*?)</a>', client.page("/index.php"))
    assert boards == [(str(b["id"]), b["name"]) for b in content["forum"]["boards"]]


def test_board_lists_topics_10_per_page_by_last_post_with_next_link(fixture_sites, content):
    client = ForumClient(fixture_sites.urls["forum"]).login()
    first = client.page("/viewforum.php?f=1")
    second = client.page("/viewforum.php?f=1&start=10")
    assert '<a rel="next" href="/viewforum.php?f=1&amp;start=10">' in first and 'rel="next"' not in second
    listed = [re.findall(r'<a class="topictitle" href="/viewtopic.php\?t=(\d+)">.*?'
                         r'<span class="lastpost" data-post-id="(\d+)">', p) for p in (first, second)]
    assert len(listed[0]) == 10 and 0 < len(listed[1]) <= 10
    rows = [(int(t), int(p)) for t, p in listed[0] + listed[1]]
    board_topics = {t["id"] for t in content["forum"]["topics"] if t["board"] == 1}
    assert {t for t, _ in rows} == {t for t in board_topics if _visible_topic_posts(content, t)}
    assert all(p == _visible_topic_posts(content, t)[-1]["id"] for t, p in rows)
    assert [p for _, p in rows] == sorted((p for _, p in rows), reverse=True)


def test_topic_pages_hold_10_posts_oldest_first_with_code_pre_and_attachments(fixture_sites, content):
    client = ForumClient(fixture_sites.urls["forum"]).login()
    ids, start, pages = [], 0, []
    while True:
        body = client.page(f"/viewtopic.php?t=3&start={start}" if start else "/viewtopic.php?t=3")
        pages.append(body)
        ids += [int(i) for i in re.findall(r'<div class="post" id="p(\d+)"><span class="author">', body)]
        if 'rel="next"' not in body:
            break
        assert f'<a rel="next" href="/viewtopic.php?t=3&amp;start={start + 10}">' in body
        start += 10
    assert len(pages) == 3 and ids == [p["id"] for p in _visible_topic_posts(content, 3)]
    leak_path = next(p for p in content["truth"] if p.startswith("/viewtopic.php?t=3#"))
    pid = leak_path.split("#p")[1]
    page = next(b for b in pages if f'id="p{pid}"' in b)
    code = re.search(rf'id="p{pid}".*?<code>(.*?)</code>', page, re.S).group(1)
    assert '"birth"' in html.unescape(code)
    attached = client.page("/viewtopic.php?t=15")
    assert re.search(r'<dl class="attachbox">.*?<a class="postlink" href="/download/file.php\?id=\d+">'
                     r'fr_health_export.zip</a>', attached)


def test_session_expires_after_session_requests_then_login_again_carries_on(fixture_sites, content):
    client = ForumClient(fixture_sites.urls["forum"]).login()
    for _ in range(content["forum"]["session_requests"]):
        assert client.get("/index.php")[0] == 200
    status, headers, _ = client.get("/viewforum.php?f=2")
    assert status == 302 and headers["location"] == LOGIN
    assert client.get("/index.php")[0] == 302       # the session is dead, not just one request refused
    client.login()
    assert client.get("/viewforum.php?f=2")[0] == 200


def _attachment(client, content, name):
    att = next(a for a in content["forum"]["attachments"] if a["name"] == name)
    status, headers, body = client.get(f"/download/file.php?id={att['id']}")
    assert status == 200 and headers["content-disposition"] == f'attachment; filename="{name}"'
    return att, body


def test_zip_attachment_holds_a_csv_of_the_planted_people(fixture_sites, content, institutions):
    client = ForumClient(fixture_sites.urls["forum"]).login()
    att, body = _attachment(client, content, "fr_health_export.zip")
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        csv_name = next(n for n in z.namelist() if n.endswith(".csv"))
        text = z.read(csv_name).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    truth = content["truth"][f"/download/file.php?id={att['id']}"]
    inst = next(i for i in institutions if i.name == truth["institution"])
    nirs = {r["nir"] for r in inst.rows}
    assert len({r["ssn"].replace(".", "") for r in rows} & nirs) == truth["records"] > 0


def test_csv_gz_attachment_holds_the_planted_people(fixture_sites, content, institutions):
    client = ForumClient(fixture_sites.urls["forum"]).login()
    att, body = _attachment(client, content, "patients_2021.csv.gz")
    truth = content["truth"][f"/download/file.php?id={att['id']}"]
    inst = next(i for i in institutions if i.name == truth["institution"])
    assert people_in(gzip.decompress(body).decode("utf-8"), inst) == truth["records"] > 0


def test_zip_bomb_attachment_is_small_but_declares_gigabytes(fixture_sites, content):
    client = ForumClient(fixture_sites.urls["forum"]).login()
    _, body = _attachment(client, content, "full_dump_2GB.zip")
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        declared = sum(i.file_size for i in z.infolist())
        with z.open(z.infolist()[0]) as member:
            head = member.read(1 << 20)            # 1 MiB of the 64 MiB entry: enough to see it inflate
    assert len(body) < 3 << 20 and declared >= 2 << 30 and declared / len(body) > 500
    assert head == bytes(1 << 20)


def test_unknown_ids_are_404(fixture_sites):
    client = ForumClient(fixture_sites.urls["forum"]).login()
    for path in ("/viewforum.php?f=99", "/viewtopic.php?t=999", "/download/file.php?id=99",
                 "/viewtopic.php?t=3&start=500", "/nosuch.php"):
        assert client.get(path)[0] == 404, path
