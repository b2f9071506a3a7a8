"""redis-server killed and restarted under a running crawl: the crawl waits, resumes, completes, and
its counts are those of the same crawl without the fault."""

import os
import signal
import subprocess
import time

import pytest
import redis
from workers_monitor import Monitor, summary

from leakwatch.matchers.registry.local_server import LocalRedis


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test alone (AOF everysec, as leakwatch's own), to kill and start again."""
    server = LocalRedis(tmp_path / "redis")
    url = server.ensure()
    yield server, url
    server.stop()


def kill_and_restart(server: LocalRedis, down_seconds: float) -> None:
    pid = int((server.directory / "redis.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    time.sleep(down_seconds)
    # Same configuration, same port, same AOF: what a supervisor restarting it would do.
    subprocess.run(["redis-server", str(server.directory / "redis.conf")], check=True, capture_output=True)


def test_crawl_survives_a_redis_restart_with_the_counts_of_a_run_without_it(own_redis, paste_site, tmp_path):
    server, url = own_redis
    settings = {"delay": 0.1, "concurrency": 1, "crawl_lease_seconds": 30}  # about 12 s a crawl
    baseline = Monitor(tmp_path / "baseline", url, "base", paste_site, **settings)
    result = baseline.run()
    assert result.returncode == 0, result.stderr[-3000:]

    faulty = Monitor(tmp_path / "faulty", url, "fault", paste_site, **settings)
    run = faulty.start()
    try:
        deadline = time.monotonic() + 60
        while faulty.committed() < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert faulty.committed() < 40, "the crawl ended before the fault"
        kill_and_restart(server, down_seconds=3)
        run.wait(timeout=180)
    finally:
        run.stop()
    assert run.returncode == 0, run.stderr[-3000:]
    outcome = summary(run)
    assert outcome["status"] == "ok", outcome
    assert "waiting for it" in run.stderr, "the crawl never met the fault"

    visible = sum(not i["hidden"] for i in paste_site.content["paste"]["items"])
    assert faulty.committed() == baseline.committed() == visible
    sightings = faulty.sightings_of_items()
    assert len(set(sightings)) == len(sightings), "an item has two sightings"
    client = redis.Redis.from_url(url)
    assert client.zcard("{fault}:sightings") == client.zcard("{base}:sightings") == visible
    assert faulty.matches() == baseline.matches() == {(inst, path): 1 for path, inst in faulty.planted().items()}
