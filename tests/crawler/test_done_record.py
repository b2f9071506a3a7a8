"""The done record of a source stays bounded (matchers.registry.CrawlState.listed/prune), on the
session's redis-server."""

from bench.workers import done_record_rounds
from leakwatch.matchers.registry import CrawlState

DAY = 86400.0


def test_done_record_stays_flat_past_the_retention_window_and_every_new_item_is_taken(redis_client, namespace):
    # 40 days, two rounds a day, 10 new items before each, a listing showing the newest 50: retention 10 days.
    kwargs = dict(days=40, rounds_per_day=2, new_per_round=10, listed=50, page=10)
    pruned = done_record_rounds(redis_client, namespace, retention_days=10, **kwargs)
    unbounded = done_record_rounds(redis_client, f"{namespace}-all", retention_days=0, **kwargs)
    assert all(day["taken"] == day["new"] for day in pruned), "a new item was skipped"
    plateau = pruned[12:]  # from day 13: every item listed more than 10 days ago is gone
    assert {day["items"] for day in plateau} == {pruned[-1]["items"]} and pruned[-1]["items"] <= 12 * 20
    # Bytes wobble a few % with the same items (a hash table's incremental rehashing, allocator classes).
    assert max(d["bytes"] for d in plateau) <= 1.1 * min(d["bytes"] for d in plateau)
    assert unbounded[-1]["items"] == 40 * 20 and unbounded[-1]["bytes"] > 2.5 * pruned[-1]["bytes"]


def test_listing_an_item_keeps_it_and_the_window_ends_at_the_newest_listing(redis_client, namespace):
    state = CrawlState(redis_client, "src", namespace)
    for key in ("a", "b", "c"):
        state.commit(key, f"s-{key}", now=0)
    assert state.listed(["a", "new"], now=20 * DAY) == ["new"]  # "a" listed again; "new" not done
    # A source not crawled for 100 days loses nothing: the window ends at its newest listing (day 20).
    assert state.prune(30 * DAY, now=120 * DAY) == 0 and state.count() == 3
    state.listed(["a"], now=45 * DAY)
    assert state.prune(30 * DAY, now=45 * DAY) == 2  # b and c: listed last on day 0
    assert state.not_done(["a", "b", "c"]) == ["b", "c"] and state.sighting_of("a") == "s-a"
    assert state.listed(["b"], now=46 * DAY) == ["b"]  # forgotten: taken again if a listing shows it
    assert redis_client.zcard(state.keys()[1]) == 1  # and not brought back half, as listed but not done
    assert state.prune(0, now=1000 * DAY) == 0 and state.count() == 1  # retention 0: keep everything


def test_items_committed_before_listing_times_were_kept_are_adopted_then_pruned(redis_client, namespace):
    state = CrawlState(redis_client, "src", namespace)
    items, listed = state.keys()
    redis_client.hset(items, mapping={f"old{i}": "s" for i in range(2500)})  # a record of the earlier layout
    state.commit("fresh", "s", now=100 * DAY)
    assert state.prune(30 * DAY, now=100 * DAY) == 0 and redis_client.zcard(listed) == 2501
    state.commit("later", "s", now=200 * DAY)
    assert state.prune(30 * DAY, now=200 * DAY) == 2501 and state.count() == 1  # in batches of 1000
