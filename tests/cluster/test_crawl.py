"""`leakwatch crawl` with LEAKWATCH_REDIS_URL naming the cluster: the crawl's lock, crawl state,
sightings and match queue all live there, and every planted leak of the paste site is matched."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from world.synth import make_institutions
from world.sites import FixtureSites
from leakwatch.matchers.registry.names import meta_prefix

from .conftest import fingerprint_rows, make_runtime

SOURCES = """
sources:
  - name: paste
    kind: paste_listing
    base_url: {paste}
    route: direct
    delay: 0
"""


@pytest.fixture
def paste_site(crawl_content, tmp_path):
    copy = tmp_path / "content"
    shutil.copytree(crawl_content, copy)
    with FixtureSites(copy) as running:
        running.content = json.loads((copy / "content.json").read_text(encoding="utf-8"))
        yield running


def test_crawl_on_the_cluster_matches_every_planted_paste_leak_once(redis_cluster, paste_site, tmp_path, namespace):
    home = tmp_path / "home"
    runtime = make_runtime(home, redis_cluster.url, namespace)
    # The labs planted in the fixture content (tests/conftest.py: 3 labs, 80 rows, seed 7).
    for inst in make_institutions(3, rows=80, seed=7):
        runtime.registry.register(inst.name, "patients", fingerprint_rows(runtime, inst.rows), key_id=runtime.key.key_id)
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES.format(**paste_site.urls))
    env = dict(os.environ, LEAKWATCH_HOME=str(home), LEAKWATCH_REDIS_URL=redis_cluster.url,
               LEAKWATCH_NAMESPACE=namespace, LEAKWATCH_SOURCES_FILE=str(sources))
    run = subprocess.run([sys.executable, "-m", "leakwatch", "crawl", "paste", "--json"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    (summary,) = json.loads(run.stdout)["sources"]
    assert summary["status"] == "ok", summary

    planted = {path: t for path, t in paste_site.content["truth"].items() if t["site"] == "paste" and not t["hidden"]}
    matches = runtime.queue.open(limit=1000)
    found = {}
    for match in matches:
        found.setdefault("/raw/" + match["url"].rstrip("/").rsplit("/", 1)[-1], []).append(match)
    assert sorted(found) == sorted(planted), "a planted leak was missed, or something else matched"
    for path, truth in planted.items():
        (match,) = found[path]  # once
        assert match["institution"] == truth["institution"] and match["source"] == "paste"
        assert abs(match["records"] - truth["records"]) <= 0.1 * truth["records"], (path, match, truth)

    visible = [p for p in paste_site.content["paste"]["items"] if not p["hidden"]]
    prefix = meta_prefix(namespace)
    assert runtime.redis.hlen(f"{prefix}:crawl:paste:items") == len(visible)
    assert not runtime.redis.exists(f"{prefix}:lock:paste"), "the crawl's lock was not released"

    # A second run finds everything done: nothing new, nothing matched twice.
    again = subprocess.run([sys.executable, "-m", "leakwatch", "crawl", "paste", "--json"], env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout)["sources"][0]["new_sightings"] == 0
    assert len(runtime.queue.open(limit=1000)) == len(matches)
