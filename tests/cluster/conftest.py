"""A 3-master Redis Cluster (one replica each) started once for these tests, and runtimes on it.

The cluster is real redis-server processes in cluster mode on loopback (world.redis_cluster);
leakwatch reaches it through its redis+cluster:// URL, as a deployment would.
"""

import shutil

import pytest

from world.synth import make_institutions, write_table
from leakwatch.matchers.registry.local_server import INSTALL_HINT
from leakwatch.runtime import Runtime
from leakwatch.settings import Settings

LABS = 3
ROWS = 60


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    from world.redis_cluster import LocalRedisCluster

    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.fail(f"redis-server and redis-cli are needed; {INSTALL_HINT} (or run `make test`, which installs it)")
    with LocalRedisCluster(tmp_path_factory.mktemp("redis-cluster"), masters=3, replicas=1) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def labs():
    """Synthetic labs; no person is in two of them."""
    return make_institutions(LABS, rows=ROWS, seed=11)


def make_runtime(home, url, namespace, **values) -> Runtime:
    config = home.parent / f"{home.name}-none.yaml"
    config.write_text("{}\n")
    return Runtime(Settings.load({"redis_url": url, "namespace": namespace, "home": str(home), **values},
                                 environ={}, config_path=config))


@pytest.fixture
def cluster_runtime(redis_cluster, tmp_path, namespace):
    runtime = make_runtime(tmp_path / "home", redis_cluster.url, namespace)
    yield runtime
    runtime.redis.close()


def register_labs(runtime, labs):
    """Each lab's table fingerprinted and registered under the runtime's deployment key."""
    for inst in labs:
        runtime.registry.register(inst.name, "patients", fingerprint_rows(runtime, inst.rows), key_id=runtime.key.key_id)


def leak_of(tmp_path, inst, count, name=None, offset=0):
    """A leak of `count` of the lab's patients, as a CSV dump."""
    path = tmp_path / (name or f"leak-{inst.name}-{offset}-{count}.csv")
    return write_table(path, inst.rows[offset:offset + count])


def fingerprint_rows(runtime, rows, dataset="patients"):
    """The fingerprint of row dicts, read back from their table as `leakwatch register` reads one."""
    import tempfile
    from pathlib import Path

    from leakwatch.matchers.extract import table_records
    from leakwatch.matchers.fingerprint import fingerprint_records

    with tempfile.TemporaryDirectory() as tmp:
        table = write_table(Path(tmp) / "table.csv", rows)
        return fingerprint_records(table_records(table), runtime.key, dataset)
