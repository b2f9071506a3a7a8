"""`leakwatch store migrate` on a Redis Cluster: a key's old and new names are in different slots,
where RENAME is refused, so the keys are copied (DUMP/RESTORE) then deleted; a run interrupted
between the two is finished by running it again."""

import json

from typer.testing import CliRunner

from world.synth import make_institutions
from leakwatch.cli import app
from leakwatch.matchers.registry.local_server import LocalRedis
from leakwatch.matchers.registry.connection import connect
from leakwatch.matchers.fingerprint import DeploymentKey
from leakwatch.matchers.registry import RedisRegistry
from leakwatch.matchers.registry.migrate import current_name

from registry import old_layout  # tests/registry

runner = CliRunner()


def test_an_old_layout_store_copied_into_a_cluster_is_migrated_and_read(tmp_path, redis_cluster, namespace):
    labs = make_institutions(2, rows=30, seed=19)
    home = tmp_path / "home"
    home.mkdir()
    key = DeploymentKey.generate()
    key.save(home / "deployment.key")
    (tmp_path / "none.yaml").write_text("{}\n")
    env = {"LEAKWATCH_HOME": str(home), "LEAKWATCH_REDIS_URL": redis_cluster.url, "LEAKWATCH_NAMESPACE": namespace,
           "LEAKWATCH_CONFIG": str(tmp_path / "none.yaml")}

    # The old code ran on one Redis (its transactions span slots); its store is brought into the
    # cluster key by key, as `redis-cli --cluster import` does.
    server = LocalRedis(tmp_path / "old-redis")
    single = connect(server.ensure())
    try:
        old = old_layout.build_store(single, namespace, key, labs, tmp_path)
        cluster = connect(redis_cluster.url)
        for name in single.scan_iter(f"{namespace}:*"):
            ttl = single.pttl(name)
            cluster.restore(name, max(ttl, 0), single.dump(name))
    finally:
        single.close()
        server.stop()
    # A run stopped between a copy and its delete: the key is under both names, byte-equal.
    interrupted = f"{namespace}:sightings"
    cluster.restore(current_name(namespace, interrupted)[1], 0, cluster.dump(interrupted))
    assert RedisRegistry(cluster, namespace).datasets() == []

    result = runner.invoke(app, ["store", "migrate"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Redis Cluster" in result.output and "RENAME is refused" in result.output
    assert "21 keys moved" in result.output and "1 copies of an interrupted run finished" in result.output
    assert [k for k in cluster.scan_iter(f"{namespace}:*") if not k.startswith(f"{namespace}:ds:".encode())] == []

    scan = runner.invoke(app, ["scan", str(old["paste"]), "--json"], env=env, catch_exceptions=False)
    assert scan.exit_code == 1, scan.output
    (report,) = [json.loads(line) for line in scan.output.splitlines() if line.startswith("{")]
    assert {m["institution"]: m["records"] for m in report["matches"]} == {lab.name: 10 for lab in labs}
    assert report["sighting"] == "s2" and old["sighting"] in {s["id"] for s in report["similar_sightings"]}
    queue = runner.invoke(app, ["queue", "list", "--json"], env=env, catch_exceptions=False)
    assert set(old["matches"]) <= {m["id"] for m in json.loads(queue.output)["matches"]}

    again = runner.invoke(app, ["store", "migrate", "--json"], env=env, catch_exceptions=False)
    assert again.exit_code == 0 and json.loads(again.output)["moved"] == {}
    cluster.close()
