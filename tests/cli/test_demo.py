"""`leakwatch demo --direct` end to end, as a new user runs it: it checks every leak, then serves the
web app with the demo's matches, whose login it prints."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from leakwatch.matchers.fingerprint import DeploymentKey

REPO = Path(__file__).resolve().parents[2]


def test_demo_checks_every_leak_then_serves_its_matches(tmp_path, redis_url, namespace):
    (tmp_path / "none.yaml").write_text("{}\n")
    # A fixed deployment key makes the run repeatable: with a new key each run, the repost's
    # MinHash bands differ, and one run in about 125 it is not a candidate (README, lsh_threshold).
    DeploymentKey(bytes(range(32))).save(tmp_path / "home" / "deployment.key")
    env = dict(os.environ, LEAKWATCH_HOME=str(tmp_path / "home"), LEAKWATCH_REDIS_URL=redis_url,
               LEAKWATCH_NAMESPACE=namespace, LEAKWATCH_CONFIG=str(tmp_path / "none.yaml"),
               LEAKWATCH_SERVE_PORT="0", COLUMNS="200")
    proc = subprocess.Popen([sys.executable, "-m", "leakwatch", "demo", "--direct", "--workdir", str(tmp_path / "demo")],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = ""
    try:
        deadline = time.monotonic() + 600
        while "Ctrl-C stops it" not in output:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, f"the demo exited {proc.returncode}:\n{output[-3000:]}"
            output += line
            assert time.monotonic() < deadline, output[-3000:]
        assert "every leak attributed as expected" in output, output[-3000:]
        url = re.search(r"(http://127\.0\.0\.1:\d+/)", output.split("5. the leak queue")[1]).group(1)
        login = dict(line.split(" ", 1) for line in (tmp_path / "demo" / "demo-login.txt").read_text().splitlines()
                     if line.startswith(("analyst ", "password ")))
        with httpx.Client(base_url=url, timeout=30, follow_redirects=True) as web:
            for _ in range(100):  # uvicorn starts after the last line is printed
                try:
                    form = web.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
            page = web.post("/login", data={"name": login["analyst"], "password": login["password"],
                                            "csrf": token})
            assert page.status_code == 200 and "<h1>Leaks</h1>" in page.text
            assert re.search(r"\d+ leaks? ·", page.text) and "labo-" in page.text
        assert re.search(r"leak queue: [1-9]\d* leak\(s\)", output), output[-3000:]
    finally:
        proc.terminate()
        proc.wait(30)
