"""A lab registered in a real Redis and leaks of it scanned the real way, for the response tests.

The lab's table is written as a CSV and fingerprinted with `leakwatch fingerprint`, as an
institution does on its premises, so the record numbers the monitor finds are those of that
file, and `leakwatch affected` can read the same table back."""

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from world.synth.people import COLUMNS, make_institutions, make_strangers


def _empty_config(tmp_path):
    path = tmp_path / "none.yaml"
    path.write_text("{}\n")
    return path


def write_table(path: Path, rows, delimiter=",") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter=delimiter)
        out.writerow(COLUMNS)
        out.writerows([r[c] for c in COLUMNS] for r in rows)
    return path


@dataclass
class Lab:
    runtime: object
    settings: object
    home: Path
    table: Path
    rows: list
    strangers: list
    leaked: list = field(default_factory=list)   # positions of the table's rows put in the leak
    matches: dict = field(default_factory=dict)

    def scan(self, name, rows, source="paste-site", url=None, posted_at=None):
        path = write_table(self.home / name, rows, delimiter=";")
        return self.runtime.dump_scanner.scan_path(path, name=name, source=source, url=url, posted_at=posted_at)


@pytest.fixture
def lab_rows():
    """The lab's patients: a test of a registry's size parametrizes it."""
    return 120


@pytest.fixture
def lab(tmp_path, redis_url, namespace, lab_rows):
    """labo-07 registered (120 patients, 2 canaries); a leak of 40 of its rows, in another order,
    among 30 strangers, with one canary, scanned from a paste site."""
    from leakwatch.cli import app
    from leakwatch.runtime import Runtime
    from leakwatch.settings import Settings

    home = tmp_path / "home"
    # Webhooks and TheHive receivers of the tests listen on loopback, which a channel may reach only when allowed.
    settings = Settings.load({"redis_url": redis_url, "namespace": namespace, "home": str(home)},
                             environ={"LEAKWATCH_ALERT_WEBHOOK_ALLOW": "127.0.0.0/8", "LEAKWATCH_ALERT_BACKOFF_SECONDS": "1"},
                             config_path=_empty_config(tmp_path))
    runtime = Runtime(settings)
    (institution,) = make_institutions(1, rows=lab_rows, seed="leakwatch-response")
    strangers = make_strangers(40, "leakwatch-response", exclude=[institution])
    runtime.key  # made on first use: the institution got a copy
    table = write_table(tmp_path / "patients.csv", institution.rows)
    canaries = write_table(tmp_path / "canaries.csv", strangers[:2])
    fp = tmp_path / "patients.lwfp"
    result = CliRunner().invoke(app, ["--redis-url", redis_url, "--namespace", namespace, "--home", str(home),
                                      "--config", str(_empty_config(tmp_path)),
                                      "fingerprint", str(table), "-o", str(fp), "--key", str(settings.key_path),
                                      "--canaries", str(canaries)])
    assert result.exit_code == 0, result.output
    from leakwatch.matchers.fingerprint import Fingerprint

    runtime.registry.register("labo-07", "patients", Fingerprint.load(fp), key_id=runtime.key.key_id)
    rng = random.Random(19)
    leaked = sorted(rng.sample(range(len(institution.rows)), 40))
    leak_rows = [institution.rows[i] for i in leaked] + strangers[2:32] + [strangers[0]]
    rng.shuffle(leak_rows)
    found = Lab(runtime, settings, tmp_path, table, institution.rows, strangers, leaked)
    report = found.scan("patients_export.csv", leak_rows, url="http://paste.test/raw/8f3kq2",
                        posted_at="2026-12-01T10:00:00Z")
    assert report.matches, report.errors
    found.matches["leak"] = f"{report.sighting_id}-labo-07-patients"
    return found


@pytest.fixture
def confirmed(lab):
    lab.runtime.triage.decide(lab.matches["leak"], "confirmed", "alice", note="seen on a paste site")
    return lab


class AppServer:
    """The web app served by uvicorn on a free loopback port, in a thread of the test process."""

    def __init__(self, runtime):
        import socket
        import threading

        import uvicorn

        from leakwatch.web import create_app

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(create_app(runtime, run_alerts=False), log_level="warning", log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        import time

        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def app_server(lab):
    server = AppServer(lab.runtime)
    yield server
    server.stop()


@pytest.fixture
def token(lab):
    return lab.runtime.tokens.issue("labo-07", "tests")["token"]
