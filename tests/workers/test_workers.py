"""Several crawler processes on one source, through the shared queue in Redis (crawler.shared)."""

import time

from workers_monitor import BIG_PASTES, Monitor, summary


def test_three_workers_fetch_each_page_of_a_5000_page_site_exactly_once(big_site, tmp_path, redis_url, namespace):
    monitor = Monitor(tmp_path, redis_url, namespace, big_site)
    result = monitor.run("--workers", "3")
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = summary(result)
    assert outcome["status"] == "ok" and outcome["role"] == "lead" and outcome["workers"] == 3, outcome

    fetched = monitor.fetches()
    assert set(fetched) == monitor.expected_pages() and len(fetched) > 5000
    assert [p for p, n in fetched.items() if n > 1] == [], "a page was fetched twice"
    assert outcome["pages"] == len(fetched)
    assert monitor.committed() == BIG_PASTES
    assert monitor.matches() == {(inst, path): 1 for path, inst in monitor.planted().items()}
    # The round drained and was closed: its seen-set is gone with it.
    assert not monitor.client.exists(f"{{{namespace}}}:crawl:paste:seen", f"{{{namespace}}}:crawl:paste:round")


def test_worker_killed_with_sigkill_halfway_loses_nothing_and_matches_each_leak_once(big_site, tmp_path, redis_url,
                                                                                      namespace):
    # Separate processes, as three machines' cron would start them; short leases so that the
    # killed worker's requests come back within the test.
    monitor = Monitor(tmp_path, redis_url, namespace, big_site, concurrency=4, crawl_lease_seconds=5)
    lock = f"{{{namespace}}}:lock:paste"
    leader = monitor.start()
    deadline = time.monotonic() + 60
    while not monitor.client.exists(lock) and time.monotonic() < deadline:
        time.sleep(0.05)
    joiners = [monitor.start(), monitor.start()]
    try:
        deadline = time.monotonic() + 120
        while monitor.committed() < BIG_PASTES // 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        leader.stop()  # SIGKILL, mid-request: no cleanup at all, its lock and leases left behind
        killed_at = monitor.committed()
        assert 0 < killed_at < BIG_PASTES, killed_at
        outcomes = []
        for run in joiners:
            run.wait(timeout=240)
            assert run.returncode == 0, run.stderr[-3000:]
            outcomes.append(summary(run))
    finally:
        for run in [leader, *joiners]:
            run.stop()
    assert all(o["status"] == "ok" and o["role"] == "joined" and o["pages"] > 0 for o in outcomes), outcomes

    fetched = monitor.fetches()
    assert set(fetched) == monitor.expected_pages(), "a page was never fetched"
    # Fetched twice: only what the killed worker held when it died (taken again after its lease);
    # a worker holds at most twice its concurrency.
    twice = [p for p, n in fetched.items() if n > 1]
    assert max(fetched.values()) == 2 and len(twice) <= 2 * 4, twice
    assert monitor.committed() == BIG_PASTES
    sightings = monitor.sightings_of_items()
    assert len(set(sightings)) == len(sightings), "an item has two sightings"
    assert monitor.matches() == {(inst, path): 1 for path, inst in monitor.planted().items()}


def test_every_worker_fails_closed_without_tor_and_gives_its_requests_back(paste_site, tmp_path, redis_url, namespace):
    from leakwatch.matchers.registry.local_server import free_port

    nowhere = f"127.0.0.1:{free_port()}"  # no tor listens there
    monitor = Monitor(tmp_path, redis_url, namespace, paste_site, route="tor", tor_control=nowhere,
                      tor_http_tunnel=nowhere)
    result = monitor.run("--workers", "2")
    assert result.returncode == 2, result.stderr[-3000:]
    outcome = summary(result)
    assert outcome["status"] == "failed" and "tor_unavailable" in outcome["reason"] and outcome["pages"] == 0
    assert not paste_site.access_log(), "a request left without Tor"
    # The refused listing request is back in the round's queue, not counted as fetched: the next
    # run with a working route takes it up.
    prefix = f"{{{namespace}}}:crawl:paste"
    assert monitor.client.zcard(f"{prefix}:queue") == 1 and monitor.client.zcard(f"{prefix}:leases") == 0


def test_a_sources_delay_holds_across_workers(paste_site, tmp_path, redis_url, namespace):
    """Two workers, delay 0.25 s: the site sees one request every 0.25 s at most, not two."""
    monitor = Monitor(tmp_path, redis_url, namespace, paste_site, delay=0.25, concurrency=2)
    t0 = time.time()
    result = monitor.run("--workers", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    times = sorted(e["t"] for e in paste_site.access_log() if e["site"] == "paste" and e["t"] >= t0)
    assert len(times) > 20
    gaps = [b - a for a, b in zip(times, times[1:])]
    # Slots come from Redis's clock and the site logs on arrival: jitter on a loaded machine (one
    # request late, the next on time), never half a delay; two workers pacing on their own would
    # send pairs a few ms apart.
    assert min(gaps) >= 0.125, sorted(gaps)[:5]
    assert sorted(gaps)[len(gaps) // 2] >= 0.24, sorted(gaps)
    assert summary(result)["pages"] == len(times)


def test_a_sources_concurrency_holds_across_workers(paste_site, tmp_path, redis_url, namespace):
    """Two workers, concurrency 2: each would have 2 requests in flight, 4 together; the site, slowed
    to 100 ms a request so that requests overlap, never answers more than 2 at once."""
    paste_site.set_latency("paste", 100)
    monitor = Monitor(tmp_path, redis_url, namespace, paste_site, concurrency=2)
    result = monitor.run("--workers", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = summary(result)
    assert outcome["status"] == "ok" and outcome["pages"] == len(monitor.expected_pages())
    assert paste_site.in_flight("paste")["max"] == 2
    assert not monitor.client.exists(f"{{{namespace}}}:crawl:paste:slots"), "a slot was not given back"


def test_slots_of_a_worker_killed_with_sigkill_are_taken_back(paste_site, tmp_path, redis_url, namespace):
    # A lease far longer than the test: the killed worker's slots come back because its process is
    # gone (same machine), not because their lease ended.
    paste_site.set_latency("paste", 400)
    monitor = Monitor(tmp_path, redis_url, namespace, paste_site, concurrency=2, crawl_lease_seconds=600)
    slots = f"{{{namespace}}}:crawl:paste:slots"
    first = monitor.start()
    try:
        deadline = time.monotonic() + 60
        while monitor.client.zcard(slots) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        first.stop()  # SIGKILL while both slots are held
    held = [h.decode() for h in monitor.client.zrange(slots, 0, -1)]
    assert len(held) == 2 and all(f":{first.pid}:" in h for h in held), held
    started = time.monotonic()
    result = monitor.run(timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert time.monotonic() - started < 60
    assert monitor.committed() == len([i for i in paste_site.content["paste"]["items"] if not i["hidden"]])
    assert paste_site.in_flight("paste")["max"] <= 2


def test_slots_held_by_a_worker_of_another_machine_come_back_when_their_lease_ends(paste_site, tmp_path, redis_url,
                                                                                  namespace):
    monitor = Monitor(tmp_path, redis_url, namespace, paste_site, concurrency=2)
    slots = f"{{{namespace}}}:crawl:paste:slots"
    seconds, micros = monitor.client.time()
    ends = seconds + micros / 1e6 + 10  # well after the crawl process has started (a few seconds)
    # Left by a worker of another machine that died: its process cannot be checked from here.
    monitor.client.zadd(slots, {"elsewhere:4242:cafe:1": int(ends * 1000), "elsewhere:4242:cafe:2": int(ends * 1000)})
    result = monitor.run()
    assert result.returncode == 0, result.stderr[-3000:]
    first = min(e["t"] for e in paste_site.access_log() if e["site"] == "paste")
    assert first >= ends - 0.05  # nothing went out before those leases ended (Redis's clock is this machine's)
    assert summary(result)["pages"] == len(monitor.expected_pages())
