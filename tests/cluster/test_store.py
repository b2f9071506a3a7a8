"""Scans, the match queue, triage, audit, accounts and alerts on a Redis Cluster: every
transaction of the store keeps to the namespace's slot, and works there."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from leakwatch.matchers.registry.connection import is_cluster
from leakwatch.matchers.registry.names import meta_prefix

from .conftest import leak_of, make_runtime, register_labs


def scan(runtime, path, **kwargs):
    return runtime.dump_scanner.scan_path(path, name=path.name, **kwargs).as_dict()


def keys_of(redis_cluster, namespace):
    """Every key of the namespace, read on each master: {master port: [keys]}."""
    found = {}
    for port in redis_cluster.masters_now():
        direct = redis_cluster.node(port).client()
        try:
            keys = [k.decode() for k in direct.scan_iter(f"*{namespace}*", count=1000)]
        finally:
            direct.close()
        if keys:
            found[port] = keys
    return found


@pytest.fixture
def scanned(cluster_runtime, labs, tmp_path):
    runtime = cluster_runtime
    assert is_cluster(runtime.redis)
    register_labs(runtime, labs)
    reports = [scan(runtime, leak_of(tmp_path, labs[0], 20), source="paste", url="http://paste.test/raw/a"),
               scan(runtime, leak_of(tmp_path, labs[1], 12, offset=5), source="forum", url="http://forum.test/t/1")]
    chatter = tmp_path / "chatter.txt"
    chatter.write_text("prices, nicknames and nothing else\n")
    reports.append(scan(runtime, chatter, source="paste"))
    return runtime, reports


def test_scans_commit_their_sightings_and_matches_on_the_cluster(scanned, redis_cluster, labs, tmp_path):
    runtime, (first, second, nothing) = scanned
    assert [(m["institution"], m["records"]) for m in first["matches"]] == [(labs[0].name, 20)]
    assert [(m["institution"], m["records"]) for m in second["matches"]] == [(labs[1].name, 12)]
    assert nothing["matches"] == []
    for report in (first, second, nothing):
        assert runtime.sightings.get(report["sighting"])["sha256"] == report["sha256"]
    queued = runtime.queue.open()
    assert sorted((m["institution"], m["records"], m["source"]) for m in queued) == [
        (labs[0].name, 20, "paste"), (labs[1].name, 12, "forum")]

    # A repost is linked to its first sighting (the sha256 set and the LSH read back from the cluster).
    repost = scan(runtime, leak_of(tmp_path, labs[0], 20, name="again.csv"), source="forum")
    assert [s["id"] for s in repost["similar_sightings"]] == [first["sighting"]]
    assert [s["id"] for s in runtime.sightings.family(first["sighting"])] == [first["sighting"], repost["sighting"]]

    # Every key but the datasets' is in the namespace's slot, so on one master.
    ns = runtime.settings.namespace
    prefix = meta_prefix(ns)
    layout = keys_of(redis_cluster, ns)
    meta_keys = {port: [k for k in keys if k.startswith(prefix + ":")] for port, keys in layout.items()}
    assert [port for port, keys in meta_keys.items() if keys] == [redis_cluster.master_of(f"{prefix}:x").port]
    assert all(k.startswith((prefix + ":", f"{ns}:ds:{{")) for keys in layout.values() for k in keys)

    # Purging unmatched sightings runs its transactions there too.
    assert runtime.sightings.purge(older_than=0) == 1
    assert runtime.sightings.get(nothing["sighting"]) is None


def test_triage_audit_accounts_and_tokens_work_on_the_cluster(scanned, labs):
    runtime, (first, second, _) = scanned
    runtime.analysts.add("alice", "correct horse battery")
    assert runtime.analysts.verify("alice", "correct horse battery")
    match_id = first["sighting"] + f"-{labs[0].name}-patients"
    runtime.triage.assign(match_id, "alice", actor="alice")
    decided = runtime.triage.decide(match_id, "confirmed", actor="alice", note="their patients")
    assert decided["state"] == "confirmed" and decided["assignee"] == "alice"
    assert [e["action"] for e in runtime.audit.for_match(match_id)] == ["assign", "state:confirmed"]
    assert runtime.queue.counts() == {"new": 1, "confirmed": 1, "false_positive": 0, "duplicate": 0}
    # The filtered list builds a temporary sorted set in a transaction: same slot again.
    page, total = runtime.queue.list(states=("new", "confirmed"), institution=labs[0].name)
    assert total == 1 and [m["id"] for m in page] == [match_id]
    pending = [json.loads(e) for e in runtime.redis.lrange(runtime.queue.alerts_key, 0, -1)]
    assert [(e["event"], e["match"]) for e in pending] == [("confirmed", match_id)]

    token = runtime.tokens.issue(labs[0].name, "sync")
    assert runtime.tokens.resolve(token["token"]) == labs[0].name
    assert runtime.tokens.revoke(labs[0].name, token["id"]) and runtime.tokens.resolve(token["token"]) is None

    from leakwatch.accounts import LoginThrottle

    throttle = LoginThrottle(runtime.redis, runtime.settings.namespace, max_failures=2)
    throttle.failed("mallory", "127.0.0.9")
    throttle.failed("mallory", "127.0.0.9")
    assert throttle.blocked("mallory", "127.0.0.9") > 0


class Receiver(BaseHTTPRequestHandler):
    bodies = []

    def do_POST(self):
        Receiver.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_alerts_are_planned_claimed_and_delivered_on_the_cluster(scanned, labs, redis_cluster):
    scanning, (first, _, _) = scanned
    # The same deployment, with loopback allowed for webhooks (the receiver is on 127.0.0.1).
    runtime = make_runtime(scanning.settings.home_path, redis_cluster.url, scanning.settings.namespace,
                           alert_webhook_allow="127.0.0.0/8")
    match_id = first["sighting"] + f"-{labs[0].name}-patients"
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        runtime.channels.set(labs[0].name, webhook_url=f"http://127.0.0.1:{server.server_port}/hook", emails=[])
        runtime.triage.decide(match_id, "confirmed", actor="alice")
        Receiver.bodies.clear()
        sender = runtime.alert_sender
        assert sender.run_once() == 1  # the event made a delivery (WATCHed transaction), claimed by the Lua script
        (delivery,) = sender.deliveries(match_id)
        assert delivery["state"] == "delivered" and delivery["channel"] == "webhook"
        assert json.loads(Receiver.bodies[0])["match"] == match_id
    finally:
        server.shutdown()
        server.server_close()


def test_a_commit_waits_until_a_replica_holds_it(scanned):
    runtime, (first, _, _) = scanned
    # What SightingStore.record and Triage do after their transaction: one replica acknowledges.
    assert runtime.replica_wait(runtime.redis, runtime.queue.state_key("new")) == 1
    assert runtime.replica_wait(runtime.redis, f"{runtime.settings.namespace}:ds:{{x/y}}:meta") == 1


def test_cluster_urls_name_their_nodes_and_bad_ones_say_what_to_fix(redis_cluster):
    import redis

    from leakwatch.matchers.registry.connection import StoreURLError, connect, summary

    first = redis_cluster.nodes[0]
    client = connect(f"redis+cluster://{first.name}")  # one node is enough to find the others
    try:
        assert is_cluster(client) and summary(client)["masters"] == 3 and summary(client)["aof"]
    finally:
        client.close()
    with pytest.raises(StoreURLError, match="host:port"):
        connect("redis+cluster://127.0.0.1")
    with pytest.raises(StoreURLError, match="database 0"):
        connect(f"redis+cluster://{first.name}/2")
    with pytest.raises(redis.ConnectionError):
        connect("redis+cluster://127.0.0.1:1")
