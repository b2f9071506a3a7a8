"""The shared queue's Redis side on the session's redis-server: leases, their expiry, rounds."""

import time

import scrapy

from leakwatch.crawler.shared import CrawlRound, LeaseQueue
from leakwatch.crawler.shared.scheduler import _dead_local_worker


class Spider(scrapy.Spider):
    name = "paste"

    def parse(self, response):
        pass


SPIDER = Spider()


def make(redis_client, namespace, lease_ms=1000):
    crawl_round = CrawlRound(redis_client, "paste", namespace)
    queue = LeaseQueue(redis_client, SPIDER, crawl_round.queue_key, leases_key=crawl_round.leases_key,
                       leased_key=crawl_round.leased_key, seen_key=crawl_round.seen_key, lease_ms=lease_ms)
    return crawl_round, queue


def request(path, **kwargs):
    return scrapy.Request(f"http://127.0.0.1:1/{path}", callback=SPIDER.parse, **kwargs)


def test_a_request_taken_and_never_acknowledged_comes_back_after_its_lease(redis_client, namespace):
    crawl_round, queue = make(redis_client, namespace, lease_ms=1000)
    assert crawl_round.open("lead", "w1") == "seed"
    assert queue.push(request("a", priority=5), "fp-a")
    taken, _ = queue.pop("w1:1")  # w1 takes it, then dies: no ack, no renewal
    assert taken.url.endswith("/a") and taken.priority == 5
    assert queue.pop("w2:1") == (None, 0)
    assert crawl_round.status()[:3] == (0, 2, "open")  # its lease (and the seed lease) keep the round open
    time.sleep(1.1)
    again, requeued = queue.pop("w2:2")
    assert again.url.endswith("/a") and again.priority == 5 and requeued >= 1
    assert queue.ack(["w2:2"]) == 1 and queue.ack(["w2:2"]) == 0  # acknowledged once


def test_renewed_lease_stays_and_released_one_goes_back_at_once(redis_client, namespace):
    crawl_round, queue = make(redis_client, namespace, lease_ms=1000)
    crawl_round.open("lead", "w1")
    queue.push(request("a"), "fp-a")
    queue.push(request("b"), "fp-b")
    first, _ = queue.pop("w1:1")
    second, _ = queue.pop("w1:2")
    for _ in range(3):
        time.sleep(0.5)
        assert queue.renew(["w1:1"]) == []
    # w1:2 was not renewed in time: the next pop, by any worker, takes it back; w1 then learns it lost it.
    assert queue.pop("w2:1")[0].url == second.url
    assert queue.renew(["w1:1", "w1:2"]) == ["w1:2"]
    assert queue.release(["w1:1"]) == 1
    assert queue.pop("w2:2")[0].url == first.url


def test_seen_set_keeps_a_url_out_for_the_round_and_goes_with_it(redis_client, namespace):
    crawl_round, queue = make(redis_client, namespace)
    assert crawl_round.open("lead", "w1", "r1") == "seed"
    assert queue.push(request("archive"), "fp-archive")
    assert not queue.push(request("archive"), "fp-archive")  # seen in this round
    assert queue.push(request("login", dont_filter=True), "")  # dont_filter: never in the seen-set
    assert queue.ack([crawl_round.seed_token("w1")]) == 1
    assert CrawlRound(redis_client, "paste", namespace).open("lead", "w2", "r2") == "join"
    for n in (1, 2):
        queue.pop(f"w1:{n}")
    assert crawl_round.status()[2] == "open"
    queue.ack(["w1:1", "w1:2"])
    assert crawl_round.status()[2] == "drained"
    assert not redis_client.exists(crawl_round.seen_key, crawl_round.round_key)
    # The run that proposed r1 does not open it twice; the next run's round sees the listing afresh.
    assert CrawlRound(redis_client, "paste", namespace).open("lead", "w3", "r1") == "none"
    assert CrawlRound(redis_client, "paste", namespace).open("join", "w3", "r3") == "none"
    assert crawl_round.open("lead", "w3", "r3") == "seed"
    assert queue.push(request("archive"), "fp-archive")


def test_only_a_gone_process_of_this_machine_loses_its_leases_at_once():
    import os
    import socket
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname()
    assert _dead_local_worker(f"{host}:{gone.stdout.strip()}:ab12:7")
    assert _dead_local_worker(f"seed:{host}:{gone.stdout.strip()}:ab12")
    assert not _dead_local_worker(f"{host}:{os.getpid()}:ab12:7")
    assert not _dead_local_worker(f"another-host:{gone.stdout.strip()}:ab12:7")
