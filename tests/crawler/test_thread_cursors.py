"""Forum thread cursors shared in Redis by every worker of a round (crawler.thread_cursors), on the
session's redis-server: two `ThreadCursors` stand for two workers."""

from leakwatch.crawler.thread_cursors import ROUND_TTL, ThreadCursors, parse_cursor
from leakwatch.matchers.registry import CrawlState


def _workers(redis_client, namespace, round_id="r1"):
    state = CrawlState(redis_client, "forum", namespace)
    return state, [ThreadCursors(state, namespace, round_id=lambda: round_id) for _ in range(2)]


def test_cursor_moves_only_over_the_first_pages_whose_items_every_worker_committed(redis_client, namespace):
    state, (a, b) = _workers(redis_client, namespace)
    a.page_read("7", 0, 110, {"post:101", "post:110"})
    b.page_read("7", 10, 120, {"post:111"})
    assert b.item_done("post:111") is False  # page 10 is complete, page 0 is not: no move
    assert a.get("7") == (None, 0)
    assert b.item_done("post:101") is False
    assert b.item_done("post:110") is True  # committed by the other worker: both pages passed at once
    assert a.get("7") == (120, 10) and state.cursor("thread:7") == "120@10"
    b.page_read("7", 20, 125, set())  # a page with nothing new passes at once
    assert parse_cursor(state.cursor("thread:7")) == (125, 20)


def test_page_read_again_after_a_lease_expired_does_not_move_the_cursor_back(redis_client, namespace):
    state, (a, b) = _workers(redis_client, namespace)
    a.page_read("7", 0, 110, set())
    a.page_read("7", 10, 120, set())
    b.page_read("7", 0, 110, set())  # the first page again, by another worker
    assert state.cursor("thread:7") == "120@10"


def test_an_item_never_committed_holds_the_cursor_and_the_rounds_records_expire(redis_client, namespace):
    state, (a, b) = _workers(redis_client, namespace)
    a.page_read("7", 0, 110, {"post:101"})
    b.page_read("7", 10, 120, set())
    a.page_read("8", 0, 130, set())  # other threads go on
    assert state.cursor("thread:7") is None and state.cursor("thread:8") == "130@0"
    keys = [k for k in redis_client.scan_iter(f"{{{namespace}}}:crawl:forum:cursor_*:r1")]
    assert len(keys) == 3 and all(0 < redis_client.ttl(k) <= ROUND_TTL for k in keys)
    # The next round reads page 0 again under its own id: the old round's waiting post does not block it.
    _, (c, _) = _workers(redis_client, namespace, "r2")
    c.page_read("7", 0, 110, {"post:101"})
    c.item_done("post:101")
    assert state.cursor("thread:7") == "110@0"
