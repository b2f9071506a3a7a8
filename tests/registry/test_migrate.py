"""`leakwatch store migrate`: a store of the old key layout (`lw:*` for every key), written as
the old code wrote it (old_layout), is read by the current code once migrated."""

import json

import pytest
import redis
from typer.testing import CliRunner

from world.synth import make_institutions, write_table
from leakwatch.cli import app
from leakwatch.matchers.fingerprint import DeploymentKey
from leakwatch.matchers.match import IndexCache
from leakwatch.matchers.registry import CrawlState, RedisRegistry, SourceLock
from leakwatch.matchers.registry.names import meta_prefix

from . import old_layout

runner = CliRunner()


def invoke(args, env):
    return runner.invoke(app, args, env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def labs():
    return make_institutions(3, rows=30, seed=17)


def make_env(tmp_path, url, namespace):
    (tmp_path / "none.yaml").write_text("{}\n")
    home = tmp_path / "home"
    home.mkdir()
    key = DeploymentKey.generate()
    key.save(home / "deployment.key")
    env = {"LEAKWATCH_HOME": str(home), "LEAKWATCH_REDIS_URL": url, "LEAKWATCH_NAMESPACE": namespace,
           "LEAKWATCH_CONFIG": str(tmp_path / "none.yaml")}
    return env, key


@pytest.fixture
def lw_store(tmp_path):
    """A redis-server of its own, so that the store can use the real default namespace, `lw`."""
    from leakwatch.matchers.registry.local_server import LocalRedis

    server = LocalRedis(tmp_path / "redis")
    url = server.ensure()
    client = redis.Redis.from_url(url)
    yield url, client
    client.close()
    server.stop()


def keys_of(client, pattern):
    return {k.decode() for k in client.scan_iter(pattern)}


def test_an_old_layout_store_is_read_by_the_current_code_once_migrated(tmp_path, lw_store, labs):
    url, client = lw_store
    env, key = make_env(tmp_path, url, "lw")
    old = old_layout.build_store(client, "lw", key, labs, tmp_path)
    client.set("lw:lsh_bucket_0001", b"\x01")  # datasketch's LSH storage of the first versions: not ours to move
    client.set("lw-demo:sighting:next", 4)     # another namespace: not touched
    registry = RedisRegistry(client, "lw")
    assert registry.datasets() == []  # the current code sees nothing of the old layout
    before = keys_of(client, "*")

    dry = invoke(["store", "migrate", "--dry-run"], env)
    assert dry.exit_code == 0, dry.output
    assert "22 keys to move" in dry.output and keys_of(client, "*") == before
    # Counts, never a name: no institution, analyst, source or dump hash in what it prints.
    for secret in ("labo", "alice", "paste", old["sighting"], "sha256"):
        assert secret not in dry.output

    result = invoke(["store", "migrate", "--json"], env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["mode"] == "rename" and report["moved"] == old_layout.KEYS_BY_KIND
    assert (report["dataset_keys"], report["unknown"], report["conflicts"]) == (old_layout.DATASET_KEYS, 1, {})
    left = keys_of(client, "lw:*")
    assert left == {"lw:lsh_bucket_0001"} | {k for k in before if k.startswith("lw:ds:")}
    assert client.get("lw-demo:sighting:next") == b"4"

    # The registry: listed, and scanned against (the paste scanned again is linked to its first sighting).
    assert [d["id"] for d in registry.datasets()] == [f"{lab.name}/patients" for lab in labs[:2]]
    scan = invoke(["scan", str(old["paste"]), "--json"], env)
    assert scan.exit_code == 1, scan.output  # 1: a match
    (report,) = [json.loads(line) for line in scan.output.splitlines() if line.startswith("{")]
    assert {m["institution"]: m["records"] for m in report["matches"]} == {labs[0].name: 10, labs[1].name: 10}
    assert report["sighting"] == "s2"  # numbered after the migrated sightings, not over them
    assert old["sighting"] in {s["id"] for s in report["similar_sightings"]}

    # The match queue lists the migrated matches with the new ones.
    queue = invoke(["queue", "list", "--state", "all", "--json"], env)
    listed = {m["id"]: m for m in json.loads(queue.output)["matches"]}
    assert set(old["matches"]) | {f"s2-{lab.name}-patients" for lab in labs[:2]} == set(listed)
    assert listed[old["matches"][0]]["records"] == 10 and listed[old["matches"][0]]["source"] == "paste"

    # Crawl state, lock (with its time to live), analyst and audit log.
    state = CrawlState(client, "paste", "lw")
    assert state.sighting_of("item-1") == old["sighting"] and state.cursor("archive") == "page-3"
    lock = SourceLock(client, "paste", "lw")
    assert lock.holder() == old["lock"] and 0 < client.ttl(lock.key) <= 120
    from leakwatch.accounts import AnalystStore
    from leakwatch.review import AuditLog

    assert AnalystStore(client, "lw").verify("alice", old_layout.PASSWORD)
    assert [e["action"] for e in AuditLog(client, "lw").for_match(old["matches"][0])] == ["note"]

    # Register -> scan goes on: a third lab registered with the current code, found in its leak.
    table = write_table(tmp_path / "third.csv", labs[2].rows)
    assert invoke(["register", labs[2].name, str(table), "--dataset", "patients"], env).exit_code == 0
    leak = write_table(tmp_path / "leak3.csv", labs[2].rows[:7] + labs[0].rows[20:23])
    scan = invoke(["scan", str(leak), "--json"], env)
    (report,) = [json.loads(line) for line in scan.output.splitlines() if line.startswith("{")]
    assert {m["institution"]: m["records"] for m in report["matches"]} == {labs[2].name: 7, labs[0].name: 3}

    # Again: nothing left to move.
    again = invoke(["store", "migrate", "--json"], env)
    assert again.exit_code == 0 and json.loads(again.output)["moved"] == {}


def test_a_key_written_under_both_names_is_left_and_reported_while_the_rest_moves(tmp_path, redis_url, redis_client,
                                                                                  namespace, labs):
    env, key = make_env(tmp_path, redis_url, namespace)
    old = old_layout.build_store(redis_client, namespace, key, labs, tmp_path)
    redis_client.set(f"{meta_prefix(namespace)}:sighting:next", 7)  # the current code counted sightings meanwhile
    result = invoke(["store", "migrate"], env)
    assert result.exit_code == 2
    assert "1 keys exist under both the old and the current name (sightings 1)" in result.output
    assert redis_client.get(f"{namespace}:sighting:next") == b"1"
    assert redis_client.get(f"{meta_prefix(namespace)}:sighting:next") == b"7"
    # Everything else moved.
    assert RedisRegistry(redis_client, namespace).datasets() != []
    assert redis_client.exists(f"{meta_prefix(namespace)}:sighting:{old['sighting']}")
    assert keys_of(redis_client, f"{namespace}:*") - keys_of(redis_client, f"{namespace}:ds:*") == {
        f"{namespace}:sighting:next"}


def test_datasets_registered_before_the_migration_are_merged_and_running_scanners_load_all(
        tmp_path, redis_url, redis_client, namespace, labs):
    env, key = make_env(tmp_path, redis_url, namespace)
    old_layout.build_store(redis_client, namespace, key, labs, tmp_path)
    # After the upgrade, before the migration: the current code registered a third lab, and a
    # scanning process holds an index of what it saw (that lab alone).
    table = write_table(tmp_path / "third.csv", labs[2].rows)
    assert invoke(["register", labs[2].name, str(table), "--dataset", "patients"], env).exit_code == 0
    registry = RedisRegistry(redis_client, namespace)
    cache = IndexCache(registry)
    assert [d["id"] for d in cache.get().datasets] == [f"{labs[2].name}/patients"]

    result = invoke(["store", "migrate", "--json"], env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["merged"] == {"registry": 2} and "registry" not in report["moved"]
    assert sorted(d["id"] for d in registry.datasets()) == sorted(f"{lab.name}/patients" for lab in labs)
    index = cache.get()
    assert cache.last_refresh == "full"
    assert sorted(d["id"] for d in index.datasets) == sorted(f"{lab.name}/patients" for lab in labs)
