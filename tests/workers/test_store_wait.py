"""Waiting out an unreachable Redis (crawler.shared.store_wait), and giving up for good."""

import pytest
import redis

from leakwatch.crawler.shared import StoreWait
from leakwatch.crawler.state import StoreUnavailable


def test_a_call_is_retried_until_redis_answers_again():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise redis.ConnectionError("Connection refused")
        return "answer"

    assert StoreWait(max_seconds=5).call(flaky) == "answer" and len(calls) == 3


def test_past_the_wait_it_gives_up_once_and_for_good():
    given_up = []
    wait = StoreWait(max_seconds=0.2, on_give_up=lambda: given_up.append(True))

    def down():
        raise redis.BusyLoadingError("Redis is loading the dataset in memory")

    with pytest.raises(StoreUnavailable):
        wait.call(down)
    assert wait.gave_up and given_up == [True]
    with pytest.raises(StoreUnavailable):  # no second wait, and nothing more is written
        wait.call(lambda: "never called")


def test_a_wrapped_client_waits_on_each_command_but_not_on_real_errors(redis_client, namespace):
    client = StoreWait(max_seconds=1).wrap(redis_client)
    client.set(f"{{{namespace}}}:k", "v")
    assert client.get(f"{{{namespace}}}:k") == b"v"
    with pytest.raises(redis.ResponseError):  # a wrong command is not an outage: no retry
        client.hget(f"{{{namespace}}}:k", "field")
