"""Whatever a dump holds, the pages show it as text: markup in its cells, name, address,
title or source never runs, and no raw personal value of a leak reaches a page or a log."""

import pytest

from .conftest import XSS_CELLS, only_match, write_leak
from .helpers import Analyst

NAME = '<img src=x onerror="window.pwned=2">leak.csv'
URL = 'http://paste.test/raw/"><script>window.pwned=1</script>'
TITLE = "<script>window.pwned=4</script> fresh lab dump"
AUTHOR = '<b onmouseover="window.pwned=5">seller</b>'
SOURCE = "paste<script>window.pwned=3</script>"


@pytest.fixture(scope="module")
def hostile_match(runtime, data, tmp_path_factory):
    rows = data.institutions["labo-04"].rows[:40]
    data.remember(rows)
    path = write_leak(tmp_path_factory.mktemp("xss") / "xss.csv", rows, extra=XSS_CELLS)
    report = runtime.dump_scanner.scan_path(path, name=NAME, url=URL, source=SOURCE, title=TITLE, author=AUTHOR)
    return only_match(report, "labo-04")


def test_markup_from_a_dump_is_shown_as_text_and_never_runs(analyst_page, hostile_match, base_url, runtime):
    page = analyst_page
    runtime.leaks.sync()
    dialogs, requests = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    leak = f"/leaks/{runtime.leaks.store.leak_of(runtime.queue.get(hostile_match)['sighting'])}"
    for path in (f"/matches/{hostile_match}", "/matches?state=all", f"/matches?state=all&source={SOURCE}", "/audit",
                 "/?state=all", f"/?state=all&source={SOURCE}", leak):
        page.goto(path)
        assert page.evaluate("typeof window.pwned") == "undefined", path
        assert page.locator("script").count() == 0 and page.locator("main img").count() == 0, path
    page.goto(f"/matches/{hostile_match}")
    text = page.inner_text("main")
    for shown in (NAME, URL, TITLE, AUTHOR, SOURCE):
        assert shown in text                                   # the characters themselves, as text
    assert any(SOURCE in t for t in page.locator("svg.timeline circle.point title").all_text_contents())
    assert SOURCE in page.inner_text("ul.legend")
    html = page.content()
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html
    # The dump's cells reach the page as kinds of fields only: not a character of the markup.
    excerpt = page.inner_text("#excerpt")
    assert excerpt.startswith("row ") and "text" in excerpt
    assert "<" not in excerpt and "window" not in excerpt and "•" not in excerpt
    assert page.locator("a[href^='http://paste.test']").count() == 0    # the leak's address is not a live link
    page.hover("dd")
    assert page.evaluate("typeof window.pwned") == "undefined" and dialogs == []
    # Nothing loaded from anywhere but the app: no CDN, and no <img src=x> fetched.
    assert requests and all(url.startswith(base_url + "/") for url in requests), requests
    assert any(url.endswith("/static/leakwatch.css") for url in requests)


def test_no_raw_personal_value_in_any_page_or_log(base_url, analyst, data, hostile_match, server, runtime):
    alice = Analyst(base_url)
    pages = [alice.client.get("/", params={"state": "all"}).text, alice.client.get("/matches", params={"state": "all"}).text,
             alice.client.get("/audit").text,
             alice.client.get("/alerts").text]
    ids = [m["id"] for name in data.institutions for m in runtime.queue.for_institution(name)]
    assert len(ids) >= 6
    pages += [alice.client.get(f"/matches/{match_id}").text for match_id in ids]
    leaks = runtime.leaks.list(states=("new", "confirmed", "dismissed"), limit=100)[0]
    assert len(leaks) >= 4
    pages += [alice.client.get(f"/leaks/{leak['id']}").text for leak in leaks]
    assert all("Spread" in p for p in pages[4:])
    assert len(data.personal) > 500
    for html in pages:
        leaked = [value for value in data.personal if value in html]
        assert not leaked, leaked[:5]
    logs = server.logs()
    assert "GET /matches/" in logs                             # the access log is there, and clean
    assert not [value for value in data.personal if value in logs][:5]
