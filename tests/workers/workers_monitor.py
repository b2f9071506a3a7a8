"""A monitoring deployment for the worker tests: a key, the planted labs registered, a sources file on
a Redis, and `leakwatch crawl` processes as cron (or another machine) runs them."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import redis

from world.synth import make_institutions, write_table
from leakwatch.matchers.extract import table_records
from leakwatch.matchers.fingerprint import DeploymentKey, fingerprint_records
from leakwatch.matchers.registry import CrawlState, MatchQueue, RedisRegistry

REPO = Path(__file__).resolve().parents[2]
BIG_PASTES = 2450   # archive pages of 20: 123 listing pages + 2,450 item pages + 2,450 raw = 5,023 pages
SEED = 7            # the seed tests/crawler uses for the planted labs

SOURCE = """
sources:
  - name: paste
    kind: paste_listing
    base_url: {url}
    route: {route}
    delay: {delay}
    concurrency: {concurrency}
    max_pages: 0
"""


class Monitor:
    """A deployment (key, registered labs, sources file) on a Redis, and its crawl processes."""

    def __init__(self, tmp_path, redis_url, namespace, site, delay=0, concurrency=4, route="direct", **settings):
        self.redis_url, self.namespace, self.site, self.tmp_path = redis_url, namespace, site, tmp_path
        tmp_path.mkdir(parents=True, exist_ok=True)
        home = tmp_path / "home"
        key = DeploymentKey.generate()
        key.save(home / "deployment.key")
        self.client = redis.Redis.from_url(redis_url)
        registry = RedisRegistry(self.client, namespace)
        for inst in make_institutions(3, rows=80, seed=SEED):
            table = write_table(tmp_path / f"{inst.name}.csv", inst.rows)
            registry.register(inst.name, "patients", fingerprint_records(table_records(table), key, "patients"),
                              key_id=key.key_id)
        sources = tmp_path / "sources.yaml"
        sources.write_text(SOURCE.format(url=site.urls["paste"], delay=delay, concurrency=concurrency, route=route))
        self.env = dict(os.environ, LEAKWATCH_HOME=str(home), LEAKWATCH_REDIS_URL=redis_url,
                        LEAKWATCH_NAMESPACE=namespace, LEAKWATCH_SOURCES_FILE=str(sources),
                        **{f"LEAKWATCH_{k.upper()}": str(v) for k, v in settings.items()})
        self.state = CrawlState(self.client, "paste", namespace)

    def start(self, *args) -> "Run":
        """A crawl process in the background; its output goes to files (a pipe nobody reads would fill)."""
        return Run(self.tmp_path, [sys.executable, "-m", "leakwatch", "crawl", "paste", "--json", *args], self.env)

    def run(self, *args, timeout=300):
        return subprocess.run([sys.executable, "-m", "leakwatch", "crawl", "paste", "--json", *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout, cwd=REPO)

    def committed(self) -> int:
        return self.state.count()

    def sightings_of_items(self) -> list:
        return self.client.hvals(self.state._items)  # noqa: SLF001 - the test reads the raw hash

    def matches(self) -> Counter:
        """(institution, raw URL path) -> how many matches the queue holds for it."""
        found = Counter()
        for match in MatchQueue(self.client, self.namespace).open(limit=10000):
            path = match["url"].split("/p/")[-1]
            found[(match["institution"], f"/raw/{path}")] += 1
        return found

    def planted(self) -> dict:
        """Raw path -> institution of every visible planted paste leak."""
        return {path: t["institution"] for path, t in self.site.content["truth"].items()
                if t["site"] == "paste" and not t["hidden"]}

    def fetches(self) -> Counter:
        return Counter(e["path"] for e in self.site.access_log() if e["site"] == "paste")

    def expected_pages(self) -> set:
        from world.sites.paste import ARCHIVE_PAGE

        visible = [i for i in self.site.content["paste"]["items"] if not i["hidden"]]
        pages = -(-len(visible) // ARCHIVE_PAGE)
        return ({"/archive"} | {f"/archive?page={n}" for n in range(2, pages + 1)}
                | {f"/p/{i['key']}" for i in visible} | {f"/raw/{i['key']}" for i in visible})


class Run:
    def __init__(self, directory, cmd, env):
        n = len(list(directory.glob("run*.out")))
        self.out_path, self.err_path = directory / f"run{n}.out", directory / f"run{n}.err"
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, cwd=REPO)
        self.pid = self.proc.pid

    def wait(self, timeout=None):
        self.proc.wait(timeout)
        self.returncode, self.stdout = self.proc.returncode, self.out_path.read_text()
        self.stderr = self.err_path.read_text()
        return self

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def summary(result) -> dict:
    assert result.stdout, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])["sources"][0]
