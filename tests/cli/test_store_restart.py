"""Registered data survives a redis-server restart, even a SIGKILL (AOF everysec)."""

import os
import signal
import time

from leakwatch.matchers.registry.local_server import LocalRedis
from leakwatch.matchers.fingerprint import DeploymentKey, fingerprint_records
from leakwatch.matchers.registry import RedisRegistry


def test_registry_survives_redis_killed_and_restarted(tmp_path):
    import redis

    server = LocalRedis(tmp_path / "redis")
    url = server.ensure()
    key = DeploymentKey.generate()
    rows = [["jp.dupont@mail.fr", "0610012046"], ["helene.m@ex.fr", "0472001122"]]
    RedisRegistry(redis.Redis.from_url(url)).register("labo-a", "patients", fingerprint_records(iter(rows), key, "patients"), key_id=key.key_id)
    time.sleep(1.5)  # appendfsync everysec: what was acknowledged a second ago is on disk
    pid = int((tmp_path / "redis" / "redis.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
        time.sleep(0.05)
    url = server.ensure()  # the next command starts it again on the same data directory
    try:
        (meta,) = RedisRegistry(redis.Redis.from_url(url)).datasets()
        assert (meta["id"], meta["rows"]) == ("labo-a/patients", 2)
    finally:
        server.stop()
