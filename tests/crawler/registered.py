"""The fixture content's institutions registered, and `leakwatch` run as cron runs it, for end-to-end crawls."""

import os
import subprocess
import sys

import redis

from world.synth import make_institutions, write_table
from leakwatch.matchers.extract import table_records
from leakwatch.matchers.fingerprint import DeploymentKey, fingerprint_records
from leakwatch.matchers.registry import MatchQueue, RedisRegistry


def register_institutions(tmp_path, redis_url, namespace, sources_text: str) -> tuple[dict, redis.Redis]:
    """The env of a `leakwatch` run on those sources, with the content's three labs registered."""
    home = tmp_path / "home"
    key = DeploymentKey.generate()
    key.save(home / "deployment.key")
    client = redis.Redis.from_url(redis_url)
    registry = RedisRegistry(client, namespace)
    for inst in make_institutions(3, rows=80, seed=7):  # the crawl_content fixture's institutions
        table = write_table(tmp_path / f"{inst.name}.csv", inst.rows)
        registry.register(inst.name, "patients", fingerprint_records(table_records(table), key, "patients"),
                          key_id=key.key_id)
    sources = tmp_path / "sources.yaml"
    sources.write_text(sources_text)
    env = dict(os.environ, LEAKWATCH_HOME=str(home), LEAKWATCH_REDIS_URL=redis_url, LEAKWATCH_NAMESPACE=namespace,
               LEAKWATCH_SOURCES_FILE=str(sources))
    return env, client


def leakwatch(env, *args, timeout=180):
    return subprocess.run([sys.executable, "-m", "leakwatch", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def start_leakwatch(env, *args):
    return subprocess.Popen([sys.executable, "-m", "leakwatch", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def queued(client, namespace) -> list:
    return list(MatchQueue(client, namespace).open(limit=1000))
