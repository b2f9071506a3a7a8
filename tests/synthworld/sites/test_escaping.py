"""Attacker-like content is served as text, never as markup (sites built directly, no server)."""

from world.sites.forum import ForumSite
from world.sites.js import JsSite
from world.sites.paste import PasteSite
from world.sites.web import Request

EVIL = '</pre></code><script>alert("x")</script><img src=x onerror=alert(1)>'


def _get(site, target, cookie=""):
    path, _, query = target.partition("?")
    q = dict(p.split("=", 1) for p in query.split("&") if p)
    return site.handle(Request("GET", target, path, q, {"cookie": cookie})).body.decode("utf-8")


def _paste_content():
    item = {"key": "k1", "title": EVIL, "user": EVIL, "date": 1614038400, "charset": "utf-8", "text": EVIL,
            "hidden": False, "xor": 7}
    return {"paste": {"items": [item]}, "js": {"items": [dict(item)]}}


def test_paste_title_author_and_text_are_escaped():
    site = PasteSite(_paste_content(), ".")
    for target in ("/archive", "/p/k1"):
        body = _get(site, target)
        assert "<script>" not in body and "<img" not in body and "&lt;script&gt;" in body
    assert _get(site, "/raw/k1") == EVIL      # raw is text/plain: the exact bytes


def test_js_page_title_is_escaped_and_text_absent():
    body = _get(JsSite(_paste_content(), "."), "/view/k1")
    assert "<script>alert" not in body and "<img" not in body and "&lt;script&gt;" in body


def test_forum_post_blocks_and_attachment_names_are_escaped(tmp_path):
    content = {"forum": {
        "username": "u", "password": "p", "boards": [{"id": 1, "name": EVIL, "description": EVIL}],
        "topics": [{"id": 1, "board": 1, "title": EVIL, "author": EVIL}],
        "posts": [{"id": 1, "topic": 1, "author": EVIL, "date": 1614038400, "hidden": False, "attachments": [1],
                   "blocks": [{"kind": k, "text": EVIL} for k in ("p", "code", "pre")]}],
        "attachments": [{"id": 1, "post": 1, "name": EVIL + '"\r\nX: y', "file": "a.bin"}]}}
    (tmp_path / "a.bin").write_bytes(b"x")
    site = ForumSite(content, tmp_path)
    site.sessions["s"] = 10
    for target in ("/index.php", "/viewforum.php?f=1", "/viewtopic.php?t=1"):
        body = _get(site, target, "sid=s")
        assert "<script>" not in body and "<img" not in body and "&lt;script&gt;" in body, target
    response = site.handle(Request("GET", "/download/file.php?id=1", "/download/file.php", {"id": "1"},
                                   {"cookie": "sid=s"}))
    disposition = dict(response.headers)["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and disposition.count('"') == 2
