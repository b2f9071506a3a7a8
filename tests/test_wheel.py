"""leakwatch installed as users install Python software: a wheel, in a fresh virtual environment
outside the source tree. It holds one import name and its package data (templates, static files,
the default config), and runs: --help, register + scan of a small table, serve answering /login."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from small_table import LEAK, TABLE

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the build uses this environment's setuptools (make setup installs a
    # recent one), so the test needs no package index.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(REPO)], check=True, timeout=600, cwd=out)
    (built,) = out.glob("leakwatch-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed; its dependencies are this environment's, seen through
    a .pth line (the installation itself is the wheel's, nothing of the checkout)."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    site = next((venv / "lib").glob("python3*/site-packages"))
    deps = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "dependencies.pth").write_text("\n".join(deps) + "\n")
    subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300)
    return venv


def _run(venv, args, env, cwd, **kwargs):
    return subprocess.run([str(venv / "bin/leakwatch"), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300, **kwargs)


@pytest.fixture
def user_env(tmp_path, redis_url, namespace):
    # Outside the checkout, no config of the test machine: the wheel's default config is the one read.
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LEAKWATCH_HOME": str(tmp_path / "home"),
            "LEAKWATCH_REDIS_URL": redis_url, "LEAKWATCH_NAMESPACE": namespace}


def test_the_wheel_holds_one_import_name_and_its_package_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {"leakwatch"}
    assert "leakwatch/matchers/extract/__init__.py" in names and "leakwatch/crawler/spiders/forum.py" in names
    assert any(n.startswith("leakwatch/web/templates/") and n.endswith(".html") for n in names)
    assert any(n.startswith("leakwatch/web/static/") for n in names)
    assert {"leakwatch/config/leakwatch.yaml", "leakwatch/config/sources.example.yaml"} <= set(names)
    for extension in ("fingerprint/_tokenize", "fingerprint/_sketch", "match/_find", "extract/readers/_text", "extract/readers/_spans"):
        assert any(n.startswith(f"leakwatch/matchers/{extension}") and n.endswith(".so") for n in names), extension
    # The tokenizer's sources go with it, the header of its hashing in lanes included.
    assert {"leakwatch/matchers/fingerprint/_tokenize.c", "leakwatch/matchers/fingerprint/_blake2b_lanes.h"} <= set(names)
    assert not any(n.startswith(("world/", "bench/", "tests/", "matchers/", "crawler/")) for n in names)


def test_the_installed_command_runs_outside_the_source_tree(installed, user_env, tmp_path):
    result = _run(installed, ["--help"], user_env, tmp_path)
    assert result.returncode == 0 and "register" in result.stdout and "scan" in result.stdout
    # It is the wheel's leakwatch that runs, not the checkout's.
    where = subprocess.run([str(installed / "bin/python"), "-c", "import leakwatch.matchers, leakwatch.cli; "
                            "print(leakwatch.matchers.__file__); print(leakwatch.cli.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(installed)) for line in where.stdout.split()), where.stdout
    settings = _run(installed, ["settings", "--json"], user_env, tmp_path)
    assert settings.returncode == 0, settings.stderr
    origins = {s["name"]: s for s in json.loads(settings.stdout)}
    assert str(installed) in origins["lsh_threshold"]["origin"]  # read from the shipped default config


def test_the_installed_command_registers_and_scans(installed, user_env, tmp_path):
    (tmp_path / "patients.csv").write_text(TABLE)
    (tmp_path / "leak.txt").write_text(LEAK)
    registered = _run(installed, ["register", "lab-a", "patients.csv"], user_env, tmp_path)
    assert registered.returncode == 0, registered.stderr
    scanned = _run(installed, ["scan", "leak.txt", "--json"], user_env, tmp_path)
    assert scanned.returncode == 1, scanned.stderr  # 1: a match
    (report,) = [json.loads(line) for line in scanned.stdout.splitlines() if line.startswith("{")]
    assert [(m["institution"], m["records"]) for m in report["matches"]] == [("lab-a", 2)]


def test_the_installed_web_app_answers_its_login_page(installed, user_env, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(installed / "bin/leakwatch"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=user_env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/login")
                response = conn.getresponse()
                body = response.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "leakwatch serve did not answer"
                time.sleep(0.3)
        assert response.status == 200 and "<form" in body
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        static = [line for line in body.split('"') if line.startswith("/static/")]
        assert static, "the login page links no static file"
        conn.request("GET", static[0])
        assert conn.getresponse().status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
