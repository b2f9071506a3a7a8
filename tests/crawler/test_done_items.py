"""A request for an item committed since it was made is not sent (crawler.middlewares.done_items)."""

from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from leakwatch.crawler.middlewares.done_items import ITEM_KEY, DoneItemsMiddleware
from leakwatch.matchers.registry import CrawlState


def middleware(redis_client, namespace):
    state = CrawlState(redis_client, "leaks", namespace)
    crawler = SimpleNamespace(spider=SimpleNamespace(state=state))
    built = DoneItemsMiddleware()
    built.crawler = crawler
    return built, state


def test_request_for_an_item_committed_meanwhile_is_not_sent(redis_client, namespace):
    done_items, state = middleware(redis_client, namespace)
    request = Request("http://x.onion/files/a.csv", meta={ITEM_KEY: "file:/files/a.csv"})
    assert done_items.process_request(request) is None  # not committed yet: it goes
    state.commit("file:/files/a.csv", "s1")
    with pytest.raises(IgnoreRequest, match="committed meanwhile"):
        done_items.process_request(request)


def test_requests_without_an_item_key_always_go(redis_client, namespace):
    done_items, state = middleware(redis_client, namespace)
    state.commit("file:/files/a.csv", "s1")
    assert done_items.process_request(Request("http://x.onion/files/a.csv")) is None
