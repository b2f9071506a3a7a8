"""Session-wide real peers. A missing binary fails the suite with the command that installs it."""

import shutil
import uuid

import pytest
import redis

from leakwatch.redis_server import INSTALL_HINT, LocalRedis


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server on a free loopback port, AOF on, for the whole session."""
    if shutil.which("redis-server") is None:
        pytest.fail(f"redis-server is not installed; {INSTALL_HINT} (or run `make test`, which installs it)")
    server = LocalRedis(tmp_path_factory.mktemp("redis"))
    url = server.ensure()
    yield server, url
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    return redis_server[1]


@pytest.fixture
def namespace():
    """A key prefix of its own for each test: tests share one server, never each other's keys."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()
