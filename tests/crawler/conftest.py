"""Crawls of the fixture sites, each in a process of its own, against the session's redis-server."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from world.sites import FixtureSites

REPO = Path(__file__).resolve().parents[2]
JOB = Path(__file__).with_name("crawl_job.py")
FORUM_ENV = {"LW_TEST_FORUM_USER": "watcher", "LW_TEST_FORUM_PASSWORD": "correct horse battery staple"}


@pytest.fixture
def sites(crawl_content, tmp_path):
    """Fixture sites of this test alone: own content copy, own access log, own rate-limit counters."""
    copy = tmp_path / "content"
    shutil.copytree(crawl_content, copy)
    with FixtureSites(copy) as running:
        running.content = json.loads((copy / "content.json").read_text(encoding="utf-8"))
        yield running


class Crawl:
    """Runs `crawl_job.py` on a sources file; keeps what each run found."""

    def __init__(self, tmp_path, redis_url, namespace):
        self.tmp_path, self.redis_url, self.namespace = tmp_path, redis_url, namespace
        self.runs = 0

    def write_sources(self, text: str) -> Path:
        path = self.tmp_path / "sources.yaml"
        path.write_text(text)
        return path

    def __call__(self, sources_text: str, names: list, settings: dict | None = None, timeout: float = 90):
        return self.start(sources_text, names, settings).wait(timeout)

    def start(self, sources_text: str, names: list, settings: dict | None = None) -> "CrawlProcess":
        """A crawl process in the background (several at once are workers of one round)."""
        self.runs += 1
        out = self.tmp_path / f"run{self.runs}"
        spec = {"sources_file": str(self.write_sources(sources_text)), "sources": names, "out": str(out),
                "settings": {"LEAKWATCH_REDIS_URL": self.redis_url, "LEAKWATCH_NAMESPACE": self.namespace,
                             **(settings or {})}}
        spec_path = self.tmp_path / f"spec{self.runs}.json"
        spec_path.write_text(json.dumps(spec))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(JOB.parent)]), **FORUM_ENV)
        return CrawlProcess(out, [sys.executable, str(JOB), str(spec_path)], env)


class CrawlProcess:
    def __init__(self, out: Path, cmd: list, env: dict):
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        # Output to a file: a pipe nobody reads while another process runs would fill up.
        self._stderr = (out / "stderr.txt").open("w")
        self.proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=self._stderr)

    def wait(self, timeout: float = 90) -> "RunResult":
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._stderr.close()
        out = self.out
        results_path = out / "results.json"
        stderr = (out / "stderr.txt").read_text()
        assert results_path.exists(), f"crawl process failed (rc {self.proc.returncode}):\n{stderr[-3000:]}"
        items_path = out / "items.jsonl"
        items = [json.loads(line) for line in items_path.read_text().splitlines()] if items_path.exists() else []
        log = (out / "crawl.log").read_text() if (out / "crawl.log").exists() else ""
        return RunResult(self.proc.returncode, json.loads(results_path.read_text()), items, log)


class RunResult:
    def __init__(self, returncode, results, items, log):
        self.returncode, self.results, self.items, self.log = returncode, results, items, log

    def of(self, source):
        return [i for i in self.items if i["source"] == source]


@pytest.fixture
def crawl(tmp_path, redis_url, namespace):
    return Crawl(tmp_path, redis_url, namespace)
