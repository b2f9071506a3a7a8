"""The paste site, path by path (docs/fixture-sites.md, "paste")."""

import html
import json
import re

from .client import fetch, text


def _visible(content, site="paste"):
    return sorted((i for i in content[site]["items"] if not i["hidden"]), key=lambda i: -i["date"])


def test_archive_paginates_20_per_page_newest_first_with_next_links(fixture_sites, content):
    base, keys, page = fixture_sites.urls["paste"], [], 1
    while True:
        body = text(f"{base}/archive?page={page}")
        rows = re.findall(r'<tr class="paste"><td><a class="paste-link" href="/p/(\w+)">.*?</a></td>'
                          r'<td class="author">.*?</td><td><time datetime="([^"]+)">', body)
        assert len(rows) == 20 or 'rel="next"' not in body
        keys += [k for k, _ in rows]
        nxt = re.search(r'<a rel="next" href="/archive\?page=(\d+)">', body)
        if not nxt:
            break
        assert int(nxt.group(1)) == page + 1
        page += 1
    assert page == 3
    assert keys == [i["key"] for i in _visible(content)]
    assert fetch(f"{base}/archive?page=4")[0] == 404
    assert fetch(f"{base}/archive?page=x")[0] == 400


def test_item_page_has_title_author_time_escaped_text_and_raw_link(fixture_sites, content):
    item = next(i for i in _visible(content) if "<" in i["text"] or "'" in i["text"] or "&" in i["text"])
    body = text(f"{fixture_sites.urls['paste']}/p/{item['key']}")
    assert f'<h1 class="title">{html.escape(item["title"])}</h1>' in body
    assert f'<span class="author">{html.escape(item["user"])}</span>' in body
    assert re.search(r'<time datetime="2021-\d\d-\d\dT[\d:]+\+00:00">', body)
    shown = re.search(r'<pre id="paste-content">(.*?)</pre>', body, re.S).group(1)
    assert html.unescape(shown) == item["text"]
    assert f'<a id="raw-link" href="/raw/{item["key"]}">' in body


def test_raw_serves_the_exact_bytes_in_the_paste_own_charset(fixture_sites, content, institutions):
    for item in _visible(content):
        status, headers, body = fetch(f"{fixture_sites.urls['paste']}/raw/{item['key']}")
        assert status == 200 and body == item["text"].encode(item["charset"])
        assert headers["content-type"] == f"text/plain; charset={item['charset']}"
    assert any(i["charset"] == "iso-8859-1" and "\r\n" in i["text"] for i in _visible(content))


def test_scraping_api_lists_newest_first_with_absolute_urls(fixture_sites, content):
    base = fixture_sites.urls["paste"]
    listed = json.loads(text(f"{base}/api_scraping.php?limit=250"))
    assert [p["key"] for p in listed] == [i["key"] for i in _visible(content)]
    first = listed[0]
    assert set(first) == {"key", "title", "user", "date", "size", "scrape_url", "full_url"}
    assert first["full_url"] == f"{base}/p/{first['key']}"
    status, _, body = fetch(first["scrape_url"])
    assert status == 200 and len(body) == first["size"]
    assert len(json.loads(text(f"{base}/api_scraping.php?limit=5"))) == 5
    assert fetch(f"{base}/api_scraping.php?limit=251")[0] == 400


def test_unknown_and_hidden_keys_are_404_everywhere(fixture_sites, content):
    base = fixture_sites.urls["paste"]
    hidden = next(i["key"] for i in content["paste"]["items"] if i["hidden"])
    for key in ("nosuchky", hidden):
        for path in (f"/p/{key}", f"/raw/{key}", f"/api_scrape_item.php?i={key}"):
            assert fetch(base + path)[0] == 404, path
