"""A master of the cluster killed with SIGKILL right after a commit: its replica takes over,
and no committed sighting, match or decision is lost; the same client goes on working."""

import time

from leakwatch.matchers.registry.names import meta_prefix

from .conftest import leak_of, register_labs


def snapshot(runtime):
    """Every sighting and match of the namespace, as stored."""
    ids = [raw.decode() for raw in runtime.redis.zrange(f"{meta_prefix(runtime.settings.namespace)}:sightings", 0, -1)]
    sightings = {i: runtime.sightings.get(i) for i in ids}
    page, total = runtime.queue.list(states=("new", "confirmed", "false_positive", "duplicate"), limit=1000)
    assert total == len(page)
    matches = {m["id"]: m for m in page}
    audits = {m: runtime.audit.for_match(m) for m in matches}
    return sightings, matches, audits


def test_master_killed_right_after_a_commit_loses_no_sighting_or_match(redis_cluster, cluster_runtime, labs, tmp_path):
    runtime = cluster_runtime
    register_labs(runtime, labs)
    first = runtime.dump_scanner.scan_path(leak_of(tmp_path, labs[0], 25), source="paste").as_dict()
    runtime.triage.decide(f"{first['sighting']}-{labs[0].name}-patients", "confirmed", actor="alice")
    meta_key = runtime.queue.state_key("new")
    doomed = redis_cluster.master_of(meta_key)
    # The last commit returns, and its master dies at once: no shutdown, no last AOF fsync.
    last = runtime.dump_scanner.scan_path(leak_of(tmp_path, labs[1], 15), source="forum").as_dict()
    before = snapshot(runtime)
    dead = redis_cluster.kill_master_of(meta_key)
    assert dead is doomed
    try:
        # The same runtime, straight away: its client retries until the replica has taken over.
        started = time.monotonic()
        after_kill = runtime.dump_scanner.scan_path(leak_of(tmp_path, labs[2], 10), source="paste").as_dict()
        rode_through = time.monotonic() - started
        promoted = redis_cluster.wait_for_failover(meta_key, dead)
        assert promoted is not dead and redis_cluster.master_of(meta_key) is promoted

        sightings, matches, audits = snapshot(runtime)
        assert {k: v for k, v in sightings.items() if k in before[0]} == before[0]
        assert {k: v for k, v in matches.items() if k in before[1]} == before[1]
        assert {k: v for k, v in audits.items() if k in before[2]} == before[2]
        assert last["sighting"] in sightings and f"{last['sighting']}-{labs[1].name}-patients" in matches
        assert [m["records"] for m in after_kill["matches"]] == [10]
        assert f"{after_kill['sighting']}-{labs[2].name}-patients" in matches
        assert [d["id"] for d in runtime.registry.datasets()] == sorted(f"{i.name}/patients" for i in labs)
        assert rode_through < 30, rode_through
        print(f"scan during the failover took {rode_through:.1f} s")
    finally:
        # Back as a replica of the promoted node, so the session's cluster is whole again.
        redis_cluster.restart(dead)
    assert redis_cluster._state_ok(dead)
