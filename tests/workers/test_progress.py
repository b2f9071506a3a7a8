"""The live view of `leakwatch crawl --workers N` on a terminal: the counters it shows, per worker and in
total, read from what the worker processes write while they crawl (leakwatch.crawl, crawler.worker)."""

from workers_monitor import Monitor


def test_live_view_of_two_workers_shows_each_workers_pages_items_and_matches_as_they_grow(paste_site, tmp_path,
                                                                                          redis_url, namespace):
    from leakwatch.crawl import progress_rows, run_crawl
    from leakwatch.runtime import Runtime
    from leakwatch.settings import Settings

    paste_site.set_latency("paste", 30)  # a crawl of a few seconds: the view is drawn several times
    monitor = Monitor(tmp_path, redis_url, namespace, paste_site, concurrency=2)
    ticks = []
    (outcome,) = run_crawl(Runtime(Settings.load(environ=monitor.env)), ["paste"], workers=2,
                           on_tick=lambda totals, workers=None: ticks.append((totals, workers)))
    assert outcome.status == "ok", outcome

    totals, by_worker = ticks[-1]  # drawn once more when the workers are done: their final counters
    assert sorted(by_worker) == [1, 2] and all(w["paste"]["response_received_count"] > 0 for w in by_worker.values())
    planted = [p for p, t in paste_site.content["truth"].items() if t["site"] == "paste" and not t["hidden"]]
    assert (totals["paste"]["response_received_count"], totals["paste"]["leakwatch/items"],
            totals["paste"]["leakwatch/matches"]) == (outcome.pages, outcome.items, outcome.matches)
    assert outcome.matches == len(planted) and outcome.items == 52
    rows = progress_rows(["paste"], totals, by_worker)
    assert [r[0] for r in rows] == ["paste", "  worker 1", "  worker 2"]
    assert rows[0][1:] == tuple(a + b for a, b in zip(rows[1][1:], rows[2][1:]))
    assert rows[0][1:] == (outcome.pages, outcome.items, outcome.matches, 0)

    # Live: drawn while the crawl ran, with counters that only grow.
    during = [t["paste"]["response_received_count"] for t, _ in ticks if t.get("paste")]
    assert any(0 < pages < outcome.pages for pages in during), during
    for worker in (1, 2):
        seen = [w[worker]["paste"]["response_received_count"] for _, w in ticks if worker in w and "paste" in w[worker]]
        assert seen == sorted(seen)
