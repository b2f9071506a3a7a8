"""Pages whose text a script builds: read through Chromium (scrapy-playwright), absent without it."""

import base64

from crawl_job import source_yaml, sources_yaml


def test_js_page_text_comes_through_chromium_and_not_without_it(sites, crawl):
    url = sites.urls["js"]
    run = crawl(sources_yaml(source_yaml("js", "js_pages", url, concurrency=3),
                             source_yaml("js-plain", "js_pages", url, browser=False)),
                ["js", "js-plain"])
    expected = {i["key"]: i["text"] for i in sites.content["js"]["items"] if not i["hidden"]}
    got = {i["key"]: base64.b64decode(i["body_b64"]).decode("utf-8") for i in run.of("js")}
    assert run.results["js"]["ok"], run.results["js"]
    assert got == {k: v.strip("\n") for k, v in expected.items()}
    assert all(i["kind"] == "page" for i in run.of("js"))
    # The same pages fetched as plain HTTP hold no text: only a browser running the script sees it.
    assert run.of("js-plain") == []
    assert run.results["js-plain"]["stats"]["leakwatch/content_missing"] == len(expected)
    assert run.results["js"]["stats"]["playwright/page_count"] == len(expected)  # pages Chromium opened
    assert "playwright/page_count" not in run.results["js-plain"]["stats"]
