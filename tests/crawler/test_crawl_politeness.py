"""A site that rate-limits: 429 with Retry-After is waited out, and the crawl still gets everything."""

import base64

from crawl_job import source_yaml, sources_yaml


def test_retry_after_is_honoured_and_the_crawl_completes(sites, crawl):
    run = crawl(sources_yaml(source_yaml("limited", "paste_listing", sites.urls["limited"])), ["limited"])
    result = run.results["limited"]
    assert result["ok"], result
    expected = {i["key"]: i["text"].encode(i["charset"]) for i in sites.content["limited"]["items"] if not i["hidden"]}
    assert {i["key"]: base64.b64decode(i["body_b64"]) for i in run.of("limited")} == expected

    log = [e for e in sites.access_log() if e["site"] == "limited"]
    refused = [n for n, e in enumerate(log) if e["status"] == 429]
    assert refused and result["stats"]["retry_after/count"] == len(refused)
    for n in refused:  # nothing sent again before the second the site asked for
        if n + 1 < len(log):
            assert log[n + 1]["t"] - log[n]["t"] >= 0.95
            assert log[n + 1]["status"] == 200  # so the site never had to refuse a request twice


def test_retry_after_reads_seconds_and_http_dates():
    from email.utils import formatdate

    from leakwatch.crawler.middlewares.retry_after import parse_retry_after

    assert parse_retry_after(b"7") == 7.0
    assert 118 <= parse_retry_after(formatdate(1_000_120, usegmt=True), now=1_000_000) <= 120
    assert parse_retry_after(formatdate(999_000, usegmt=True), now=1_000_000) == 0.0  # a date past: now
    assert parse_retry_after("7\u00b2".encode("latin-1")) is None  # isdigit() but not a number
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_page_budget_stops_the_run_and_counts_as_done(sites, crawl):
    run = crawl(sources_yaml(source_yaml("pastes", "paste_listing", sites.urls["paste"], max_pages=5)), ["pastes"])
    result = run.results["pastes"]
    assert result["reason"] == "closespider_pagecount" and result["ok"]
    assert result["pages"] <= 6 and len([e for e in sites.access_log() if e["site"] == "paste"]) <= 6
