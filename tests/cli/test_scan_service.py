"""`leakwatch scan-service` and `leakwatch scan` handing it files: real processes, the session's Redis.

Whether the service did a scan is told by what the client imported: a scan in the client's own
process imports numpy, one handed to the service imports none of the scanning code.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leakwatch.cli import app
from leakwatch.scan_service import wire
from small_table import LEAK, TABLE


@pytest.fixture
def service_env(tmp_path, env):
    """The CLI's environment with a HOME of its own: the service's socket goes under it."""
    (tmp_path / "user").mkdir()
    table = tmp_path / "patients.csv"
    table.write_text(TABLE, encoding="latin-1")
    registered = CliRunner().invoke(app, ["register", "labo-a", str(table)], env=env, catch_exceptions=False)
    assert registered.exit_code == 0, registered.output
    (tmp_path / "leak.csv").write_text(LEAK)
    return {**os.environ, **env, "HOME": str(tmp_path / "user")}


@contextlib.contextmanager
def running_service(env, cwd=None, args=()):
    proc = subprocess.Popen([sys.executable, "-m", "leakwatch", "scan-service", *args], env=env, cwd=cwd,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "scan service: listening on" in line, line + proc.stderr.read()
        yield proc, line.split("listening on ", 1)[1].strip()
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=60)
        proc.stderr.close()


def scan(env, *args, cwd=None, stdin=None):
    """(exit code, reports, stderr, whether this process imported numpy) of `leakwatch scan --json`."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "leakwatch", "scan", "--json", *args], env=env,
                         cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300)
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    said = "\n".join(line for line in out.stderr.splitlines() if not line.startswith("import time:"))
    return out.returncode, [json.loads(line) for line in out.stdout.splitlines()], said, "numpy" in imported


def same_result(report):
    """What a scan found, without what differs from one scan of a file to the next (the sighting)."""
    return {k: report[k] for k in ("file", "rows", "format", "matches", "error", "documents", "sha256")}


def test_the_service_scans_as_the_command_would_and_the_client_imports_no_scanning_code(tmp_path, service_env):
    leak, missing = tmp_path / "leak.csv", tmp_path / "missing.csv"
    with running_service(service_env) as (_, where):
        assert Path(where).parent == tmp_path / "user" / ".cache" / "leakwatch"
        assert oct(Path(where).stat().st_mode & 0o777) == "0o600"
        assert oct(Path(where).parent.stat().st_mode & 0o777) == "0o700"
        code, reports, said, in_process = scan(service_env, str(leak), str(missing), str(tmp_path))
    assert not in_process
    local = scan(service_env, "--local", str(leak), str(missing), str(tmp_path))
    assert local[3]
    assert code == local[0] == 1, (said, reports, local)
    assert [same_result(r) for r in reports] == [same_result(r) for r in local[1]]
    found, not_read, directory = reports
    assert [(m["institution"], m["records"]) for m in found["matches"]] == [("labo-a", 2)]
    assert found["sighting"]  # recorded, as any scan is
    assert not_read["error"] == f"cannot read {missing}: No such file or directory"
    assert directory["error"]
    # each error on stderr too, as the command prints them
    assert said.count("leakwatch: ") == local[2].count("leakwatch: ") == 2


def test_a_dataset_registered_while_the_service_runs_is_matched_by_its_next_scan(tmp_path, service_env):
    leak = str(tmp_path / "leak.csv")
    with running_service(service_env):
        assert [m["institution"] for m in scan(service_env, leak)[1][0]["matches"]] == ["labo-a"]
        registered = subprocess.run([sys.executable, "-m", "leakwatch", "register", "labo-b", str(tmp_path / "patients.csv")],
                                    env=service_env, capture_output=True, text=True, timeout=120)
        assert registered.returncode == 0, registered.stderr
        code, (report,), _, in_process = scan(service_env, leak)
    assert (code, in_process) == (1, False)
    assert sorted(m["institution"] for m in report["matches"]) == ["labo-a", "labo-b"]


def test_standard_input_is_handed_to_the_service(service_env):
    with running_service(service_env):
        code, (report,), _, in_process = scan(service_env, "-", stdin=LEAK)
    assert (code, in_process, report["file"], report["rows"]) == (1, False, "-", 2)
    assert [m["records"] for m in report["matches"]] == [2]


def test_a_client_of_other_settings_scans_in_its_own_process(tmp_path, service_env):
    other = {**service_env, "LEAKWATCH_NAMESPACE": service_env["LEAKWATCH_NAMESPACE"] + "-other"}
    with running_service(service_env):
        code, (report,), said, in_process = scan(other, str(tmp_path / "leak.csv"))
    assert in_process
    assert (code, report["matches"]) == (2, [])  # nothing registered in that namespace
    assert "no dataset is registered" in said


def test_a_relative_home_is_not_shared_with_a_client_in_another_directory(tmp_path, service_env):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    relative = {**service_env, "LEAKWATCH_HOME": "state"}
    leak = str(tmp_path / "leak.csv")
    assert subprocess.run([sys.executable, "-m", "leakwatch", "register", "labo-a", str(tmp_path / "patients.csv")],
                          env=relative, cwd=tmp_path / "a", capture_output=True).returncode == 0
    with running_service(relative, cwd=tmp_path / "a"):
        here = scan(relative, leak, cwd=tmp_path / "a")
        elsewhere = scan(relative, leak, cwd=tmp_path / "b")
    assert (here[0], here[3]) == (1, False)
    # Scanned in the client's process, with its own ./state: another home, another deployment
    # key, whose tokens the registry does not hold.
    assert (elsewhere[0], elsewhere[3]) == (0, True)
    assert (tmp_path / "b" / "state" / "deployment.key").exists()


def test_files_the_service_did_not_scan_are_scanned_by_the_client(tmp_path, service_env):
    """The client's process for the service dies while it waits on a FIFO: the client scans that
    file and the next itself, and nothing is lost."""
    fifo = tmp_path / "slow.fifo"
    os.mkfifo(fifo)
    with running_service(service_env) as (service, _):
        client = subprocess.Popen([sys.executable, "-m", "leakwatch", "scan", "--json", str(fifo),
                                   str(tmp_path / "leak.csv")], env=service_env, stdout=subprocess.PIPE, text=True)
        child = _child_of(service.pid)
        os.kill(child, signal.SIGKILL)
        _wait_dead(child)  # its end of the FIFO closed: what the writer writes goes to the client
        writer = threading.Thread(target=_write_when_read, args=(fifo, LEAK), daemon=True)
        writer.start()
        out, _ = client.communicate(timeout=300)
        writer.join(timeout=60)
    reports = [json.loads(line) for line in out.splitlines()]
    assert client.returncode == 1
    assert [(r["file"], r["rows"], [m["records"] for m in r["matches"]]) for r in reports] == [
        (str(fifo), 2, [2]), (str(tmp_path / "leak.csv"), 2, [2])]


def test_a_client_past_max_scans_is_told_at_once_and_scans_in_its_own_process(tmp_path, service_env):
    fifo = tmp_path / "slow.fifo"
    os.mkfifo(fifo)
    with running_service(service_env, args=["--max-scans", "1"]) as (service, _):
        first = subprocess.Popen([sys.executable, "-m", "leakwatch", "scan", "--json", str(fifo)], env=service_env,
                                 stdout=subprocess.PIPE, text=True)
        _child_of(service.pid)  # the one slot taken, its scan waiting on the FIFO
        code, (report,), _, in_process = scan(service_env, str(tmp_path / "leak.csv"))
        with wire.connect(service_env) as sock:
            # The answer comes on connecting, before any word of the client's, not when the slot
            # frees (it never would: see below).
            sock.settimeout(60)
            answer = wire.LineReader(sock, wire.REPLY_BYTES).read()
        _write_when_read(fifo, LEAK)  # the first client's scan can end
        out, _ = first.communicate(timeout=300)
    assert (code, in_process, [m["records"] for m in report["matches"]]) == (1, True, [2])
    assert answer == {"refused": "busy with 1 clients"}
    assert first.returncode == 1 and json.loads(out)["rows"] == 2


def _write_when_read(fifo: Path, text: str, timeout: float = 120) -> None:
    """Write `text` to `fifo` once a reader has it open (none may come: the test then fails, it does not hang)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: no reader yet
            time.sleep(0.01)
            continue
        os.set_blocking(fd, True)
        with os.fdopen(fd, "w") as writer:
            writer.write(text)
        return


def _child_of(pid: int, timeout: float = 60) -> int:
    """The first process `pid` forks (the service's process for its client)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.02)
    raise AssertionError("the service forked no process for its client")


def _wait_dead(pid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not end")


def _registered_on(store_env, tmp_path) -> None:
    registered = subprocess.run([sys.executable, "-m", "leakwatch", "register", "labo-a", str(tmp_path / "patients.csv")],
                                env=store_env, capture_output=True, text=True, timeout=120)
    assert registered.returncode == 0, registered.stderr


def test_a_service_whose_own_store_died_starts_it_again(tmp_path, service_env):
    """leakwatch's own redis-server (no redis_url) died under the service: the service starts it
    again, as a command would (its data is on disk), and scans."""
    from leakwatch.matchers.registry.local_server import LocalRedis

    env = {k: v for k, v in service_env.items() if k != "LEAKWATCH_REDIS_URL"}
    store = LocalRedis(Path(env["LEAKWATCH_HOME"]) / "redis")
    try:
        _registered_on(env, tmp_path)
        with running_service(env):
            dead = int((store.directory / "redis.pid").read_text())
            os.kill(dead, signal.SIGKILL)
            _wait_dead(dead)
            code, (report,), said, in_process = scan(env, str(tmp_path / "leak.csv"))
        assert (code, in_process, [m["records"] for m in report["matches"]]) == (1, False, [2]), said
        assert store.running_port() is not None
    finally:
        store.stop()


@pytest.fixture
def lost_store_env(tmp_path, service_env):
    """service_env on a store of its own (redis_url), with the table registered there, and a call
    that stops that store."""
    from leakwatch.matchers.registry.local_server import LocalRedis

    store = LocalRedis(tmp_path / "store")
    env = {**service_env, "LEAKWATCH_REDIS_URL": store.ensure()}
    try:
        _registered_on(env, tmp_path)
        yield env, store.stop
    finally:
        store.stop()


def test_a_file_the_service_could_not_scan_for_its_store_is_scanned_by_the_command(tmp_path, lost_store_env):
    """The store went away under the service: the command scans in its own process, and says what
    it would say alone."""
    env, stop_store = lost_store_env
    with running_service(env):
        stop_store()
        code, reports, said, in_process = scan(env, str(tmp_path / "leak.csv"))
    assert (code, reports, in_process) == (2, [], True)
    assert said.startswith("leakwatch: the store is not reachable")


def test_standard_input_a_service_could_not_scan_is_reported_lost_not_scanned_empty(lost_store_env):
    env, stop_store = lost_store_env
    with running_service(env):
        stop_store()
        code, reports, said, _ = scan(env, "-", stdin=LEAK)
    assert (code, reports) == (2, [])
    assert "leakwatch: -: not scanned: the store is not reachable" in said and "it cannot be read again" in said


def test_one_service_per_settings_and_it_stops_cleanly(service_env):
    with running_service(service_env) as (service, where):
        second = subprocess.run([sys.executable, "-m", "leakwatch", "scan-service"], env=service_env,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        assert "a scan service of the same settings already runs" in second.stderr
        service.terminate()
        assert service.wait(timeout=60) == 0
        assert not Path(where).exists()
