"""Real peers of the web app's tests, started once per session: the app itself in its own
process (uvicorn on a free loopback port), Chromium, an SMTP server and a webhook receiver.

The matches come the real way: synthetic labs' tables are fingerprinted and registered,
then leaks of them are scanned (a repost and a copy too, so a leak has a spread)."""

import csv
import json
import os
import random
import socket
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from world.synth.people import COLUMNS, make_institutions, make_strangers

from .helpers import ANALYST, PASSWORD, login, wait_for

REPO = Path(__file__).resolve().parents[2]
SERVE = Path(__file__).with_name("serve_app.py")
SCREENSHOTS = REPO / "docs" / "screenshots"
UPLOAD_LIMIT = 4 << 20        # small, so the 413 test needs to send only a few MB
XSS_CELLS = ["<script>window.pwned=1</script>", '<img src=x onerror="window.pwned=2">']


# ---------------------------------------------------------------- SMTP and webhook receivers


class Inbox:
    """aiosmtpd handler: keeps every message it is handed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({"to": list(envelope.rcpt_tos), "data": envelope.content.decode("utf-8", "replace")})
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


class WebhookReceiver:
    """Records every POST with whether its signature verifies under the secret of its path."""

    def __init__(self):
        self.secrets = {}
        self.received = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                from leakwatch.alerts import verify

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                signature = self.headers.get("X-Leakwatch-Signature")
                ok = verify(receiver.secrets.get(self.path, ""), signature, body)
                receiver.received.append({"path": self.path, "verified": ok, "body": json.loads(body or b"{}"),
                                          "delivery": self.headers.get("X-Leakwatch-Delivery"),
                                          "event": self.headers.get("X-Leakwatch-Event")})
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


# ---------------------------------------------------------------- the deployment and its data


@pytest.fixture(scope="session")
def web_env(redis_server, tmp_path_factory, smtp_server):
    """LEAKWATCH_* settings shared by the test process and the app's process."""
    home = tmp_path_factory.mktemp("web-home")
    return {
        "LEAKWATCH_REDIS_URL": redis_server[1],
        "LEAKWATCH_NAMESPACE": f"w{uuid.uuid4().hex[:10]}",
        "LEAKWATCH_HOME": str(home),
        "LEAKWATCH_SMTP_HOST": "127.0.0.1",
        "LEAKWATCH_SMTP_PORT": str(smtp_server.port),
        "LEAKWATCH_SMTP_FROM": "leakwatch@monitor.test",
        "LEAKWATCH_ALERT_BACKOFF_SECONDS": "1",
        "LEAKWATCH_ALERT_MAX_ATTEMPTS": "2",
        "LEAKWATCH_WEBHOOK_TIMEOUT_SECONDS": "5",
        # The test receivers listen on loopback, which webhooks may reach only when allowed.
        "LEAKWATCH_ALERT_WEBHOOK_ALLOW": "127.0.0.0/8",
    }


@pytest.fixture(scope="session")
def runtime(web_env):
    from leakwatch.runtime import Runtime
    from leakwatch.settings import Settings

    return Runtime(Settings.load(environ=web_env))


def read_rows(path):
    from leakwatch.matchers.extract import table_records

    return list(table_records(Path(path), name=str(path)))


def write_leak(path, rows, extra=None):
    """A leak as a French Excel export would have it: ';' and the labs' own headers."""
    head = COLUMNS + (["commentaire"] if extra else [])
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(head)
        for i, row in enumerate(rows):
            out.writerow([row[c] for c in COLUMNS] + ([extra[i % len(extra)]] if extra else []))
    return Path(path)


def write_repost(path, rows, seed=7):
    """A repost on a forum: 110 of the rows, shuffled, without the columns that identify
    nobody, '|'-separated. The MinHash of its identifying values is contained in the first
    copy's whatever the deployment key, so it is linked to it every run."""
    rng = random.Random(seed)
    rows = rng.sample(rows, 110)
    keep = [c for c in COLUMNS if c not in ("sexe", "groupe_sanguin", "medecin", "notes")]
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter="|")
        out.writerow(keep)
        out.writerows([r[c] for c in keep] for r in rows)
    return Path(path)


class Data:
    """What the session's leaks hold: match ids by name, and the raw values that must never show."""

    def __init__(self):
        self.matches = {}
        self.personal = set()
        self.institutions = {}
        self.dirs = None

    def remember(self, rows):
        for row in rows:
            for column in ("nir", "email", "telephone"):
                if row[column]:
                    self.personal.add(row[column])
            self.personal.add(f"{row['prenom']} {row['nom']}")


def register_table(runtime, institution, dataset, rows, canaries=()):
    from leakwatch.matchers.fingerprint import fingerprint_records

    fp = fingerprint_records(iter([[r[c] for c in COLUMNS] for r in rows]), runtime.key, dataset,
                             iter([[r[c] for c in COLUMNS] for r in canaries]))
    return runtime.registry.register(institution, dataset, fp, key_id=runtime.key.key_id)


def only_match(report, institution):
    found = [m for m in report.matches if m["institution"] == institution]
    assert found, f"{report.name}: no match of {institution} ({report.errors})"
    return f"{report.sighting_id}-{institution}-{found[0]['dataset']}"


@pytest.fixture(scope="session")
def data(runtime, tmp_path_factory):
    """Four labs registered; leaks of three of them scanned: labo-01's leak was reposted
    (fewer rows, shuffled, fewer columns) on a forum and copied again; labo-03's holds a canary."""
    out = tmp_path_factory.mktemp("web-data")
    d = Data()
    d.dirs = out
    labs = make_institutions(4, rows=200, seed="leakwatch-web")
    strangers = make_strangers(40, "leakwatch-web", exclude=labs)
    for lab in labs:
        d.institutions[lab.name] = lab
        register_table(runtime, lab.name, "patients", lab.rows,
                       canaries=strangers[:2] if lab.name == "labo-03" else ())
    # A second dataset of labo-02 only: the API test tries to reach it with labo-01's token.
    register_table(runtime, "labo-02", "dossiers", labs[1].rows[100:])
    scanner = runtime.dump_scanner

    leak_a = labs[0].rows[:150] + strangers[10:30]
    path_a = write_leak(out / "patients_export.csv", leak_a)
    d.remember(leak_a)
    report = scanner.scan_path(path_a, name="patients_export.csv", source="paste-site",
                               url="http://paste.test/raw/8f3kq2")
    d.matches["a"] = only_match(report, "labo-01")
    d.repost = scanner.scan_path(write_repost(out / "repost.csv", leak_a), name="labs-2021.csv", source="forum",
                                 url="http://forum.test/t/4411")
    d.copy = scanner.scan_path(path_a, name="patients_export (1).csv")

    leak_b = labs[1].rows[:60] + strangers[30:40]
    d.remember(leak_b)
    report = scanner.scan_path(write_leak(out / "lab2.csv", leak_b), name="lab2.csv", source="paste-site",
                               url="http://paste.test/raw/b77x")
    d.matches["b"] = only_match(report, "labo-02")

    canary_leak = [strangers[0]] + labs[2].rows[:5] + strangers[2:10]
    d.remember(canary_leak)
    report = scanner.scan_path(write_leak(out / "canary.csv", canary_leak), name="canary.csv", source="forum",
                               url="http://forum.test/t/4502")
    d.matches["canary"] = only_match(report, "labo-03")
    return d


@pytest.fixture(scope="session")
def analyst(runtime):
    runtime.analysts.add(ANALYST, PASSWORD)
    runtime.analysts.add("bob", "another long password")
    return ANALYST, PASSWORD


# ---------------------------------------------------------------- the app, in its own process


class Server:
    def __init__(self, env, log_path):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([sys.executable, str(SERVE), str(UPLOAD_LIMIT)], cwd=REPO,
                                     env={**os.environ, **env, "PYTHONPATH": str(REPO)},
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.stop()
            raise RuntimeError(f"the app did not start:\n{Path(log_path).read_text()[-3000:]}")
        wait_for(self._up, timeout=30, what=f"the app at {self.url}")

    def _up(self):
        if self.proc.poll() is not None:
            pytest.fail(f"the app exited:\n{self.logs()[-3000:]}")
        try:
            return httpx.get(self.url + "/login", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def logs(self) -> str:
        self.log.flush()
        return Path(self.log_path).read_text()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def server(web_env, data, analyst, tmp_path_factory):
    running = Server(web_env, tmp_path_factory.mktemp("web-log") / "server.log")
    yield running
    running.stop()


@pytest.fixture(scope="session")
def base_url(server):
    return server.url


# ---------------------------------------------------------------- Chromium, once per session


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("Chromium is not installed: sudo apt-get install chromium (or run `make test`)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def analyst_page(page, analyst):
    login(page)
    assert "/login" not in page.url, page.content()
    return page


@pytest.fixture
def tokens(runtime, data):
    return {name: runtime.tokens.issue(name, "tests")["token"] for name in ("labo-01", "labo-02")}


@pytest.fixture(scope="session")
def merged_leak(runtime, data):
    """A file of two labs (40 of labo-03's patients, 60 of labo-04's) posted on a paste site and
    reposted on a forum (shuffled, fewer columns): one leak of two sightings. And a leak of
    labo-04 alone. Returns (the merged leak's id, the lone leak's id, the rows of the merged file)."""
    labs = list(data.institutions.values())
    strangers = make_strangers(10, "leakwatch-web-leaks", exclude=labs)
    # Rows no other test scans: the match queue's tests count labo-01's and labo-02's matches.
    rows = data.institutions["labo-03"].rows[100:140] + data.institutions["labo-04"].rows[100:160] + strangers
    data.remember(rows)
    scanner = runtime.dump_scanner
    first = scanner.scan_path(write_leak(data.dirs / "two-labs.csv", rows), name="two-labs.csv", source="paste-site",
                              url="http://paste.test/raw/m3rg3d", title="lab results 2026 (two labs)")
    scanner.scan_path(write_repost(data.dirs / "two-labs-repost.csv", rows, seed=11), name="2labs.txt",
                      source="forum", url="http://forum.test/t/7001")
    lone_rows = data.institutions["labo-04"].rows[160:190] + strangers[:3]
    data.remember(lone_rows)
    lone = scanner.scan_path(write_leak(data.dirs / "lone.csv", lone_rows), name="lone.csv", source="forum",
                             url="http://forum.test/t/7002")
    for report in (first, lone):
        only_match(report, "labo-04")
    return first.sighting_id, lone.sighting_id, rows
