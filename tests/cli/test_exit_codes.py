"""`leakwatch scan` as cron sees it, in processes of its own: exit 0 clean, 1 a match (even beside
an error, which is then on stderr and in the file's `error`), 2 an error and no match. One bad
input among several costs the others nothing; a store that goes away or comes back empty is an
error, never a clean bill, and loses nothing it had recorded."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from small_table import LEAK, TABLE, nir

LEAKWATCH = str(Path(sys.executable).with_name("leakwatch"))
#: a file of strangers: scanned, matches nothing
CLEAN = "name;born;tel\nPAUL DURAND;3 mars 1955;+33 6 12 34 56 78\nANNE PETIT;12/09/1980;04 91 00 99 88\n"
#: a third registered patient's identifiers, for a second leak with a count of its own
LEAK_ONE = f"nir;email\n{nir('1850213055033')};moussa@ex.org\n"


def run(args, env, timeout=120, **kwargs):
    return subprocess.run([LEAKWATCH, *args], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def reports(done) -> dict:
    return {r["file"]: r for r in map(json.loads, done.stdout.splitlines())}


def records(report) -> int:
    return sum(m["records"] for m in report["matches"])


@pytest.fixture
def lab(tmp_path, env):
    """The lab's table registered with the real command; the files the tests scan."""
    table = tmp_path / "patients.csv"
    table.write_text(TABLE, encoding="latin-1")
    done = run(["register", "labo-a", str(table)], env)
    assert done.returncode == 0, done.stderr
    files = {"leak": LEAK, "clean": CLEAN, "leak-one": LEAK_ONE}
    paths = {}
    for name, text in files.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(text)
    paths["binary"] = tmp_path / "noise.bin"
    paths["binary"].write_bytes(bytes(range(256)) * 4096)
    paths["missing"] = tmp_path / "missing.csv"
    paths["deep"] = tmp_path / "deep.json"
    paths["deep"].write_text("[" * 100_000 + "]" * 100_000)
    return paths


def test_a_clean_scan_exits_0_with_nothing_on_stderr(lab, env):
    done = run(["scan", str(lab["clean"])], env)
    assert done.returncode == 0 and done.stderr == ""


def test_a_match_exits_1(lab, env):
    done = run(["scan", str(lab["leak"]), "--json"], env)
    assert done.returncode == 1 and done.stderr == ""
    assert records(reports(done)[str(lab["leak"])]) == 2


@pytest.mark.parametrize("bad", ["binary", "missing", "deep"])
def test_an_error_without_a_match_exits_2_with_its_line_on_stderr(lab, env, bad):
    done = run(["scan", str(lab["clean"]), str(lab[bad]), "--json"], env)
    assert done.returncode == 2
    report = reports(done)[str(lab[bad])]
    assert report["error"] and f"leakwatch: {' '.join(report['error'].split())}" in done.stderr.splitlines()
    assert reports(done)[str(lab["clean"])]["error"] is None


@pytest.mark.parametrize("bad", ["binary", "missing", "deep"])
def test_a_match_beside_an_error_exits_1_and_the_error_is_still_said(lab, env, bad):
    for order in ([lab["leak"], lab[bad]], [lab[bad], lab["leak"]]):
        done = run(["scan", *map(str, order), "--json"], env)
        assert done.returncode == 1, done.stderr  # the leak is never hidden by the error
        got = reports(done)
        assert records(got[str(lab["leak"])]) == 2
        assert got[str(lab[bad])]["error"]
        (line,) = done.stderr.splitlines()  # the error, on stderr too: cron mails it with the match
        assert line.startswith("leakwatch: ") and str(lab[bad]) in line


def test_without_json_a_match_beside_an_error_also_exits_1(lab, env):
    done = run(["scan", str(lab["binary"]), str(lab["leak"])], env)
    assert done.returncode == 1
    assert "binary data" in done.stderr and "labo-a" in done.stdout


def test_one_hostile_file_among_several_costs_the_others_nothing(lab, env):
    order = ["leak", "deep", "clean", "binary", "leak-one", "missing"]
    done = run(["scan", *(str(lab[n]) for n in order), "--json"], env)
    got = reports(done)
    assert list(got) == [str(lab[n]) for n in order]  # every file reported, in order
    assert records(got[str(lab["leak"])]) == 2 and got[str(lab["leak"])]["rows"] == 2
    assert records(got[str(lab["leak-one"])]) == 1 and got[str(lab["leak-one"])]["rows"] == 1
    assert got[str(lab["clean"])]["matches"] == [] and got[str(lab["clean"])]["rows"] == 2
    assert all(got[str(lab[n])]["error"] is None for n in ("leak", "clean", "leak-one"))
    assert all(got[str(lab[n])]["error"] for n in ("deep", "binary", "missing"))
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 3


# ---------------------------------------------------------------- the store going away


@pytest.fixture
def own_redis(tmp_path, redis_server):
    """A redis-server of this test's own (the session's is shared): it is killed here. Built with
    the class the session's server is of."""
    server = type(redis_server[0])(tmp_path / "own-redis")
    url = server.ensure()
    yield server, url
    server.stop()


def _kill(server) -> None:
    pid = int((server.directory / "redis.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
        time.sleep(0.05)


def _sightings(url: str, namespace: str) -> list[str]:
    client = redis.Redis.from_url(url)
    names = [client.hget(key, "name").decode() for key in client.scan_iter(f"{{{namespace}}}:sighting:s[0-9]*")]
    client.close()
    return sorted(names)


def test_redis_going_away_mid_scan_exits_2_and_keeps_the_sightings_recorded(lab, env, own_redis, tmp_path):
    server, url = own_redis
    env = {**env, "LEAKWATCH_REDIS_URL": url}
    table = tmp_path / "patients.csv"
    assert run(["register", "labo-a", str(table)], env).returncode == 0
    # the second input is a FIFO: the scan waits on it while the store is killed
    fifo = tmp_path / "second.csv"
    os.mkfifo(fifo)
    scan = subprocess.Popen([LEAKWATCH, "scan", str(lab["leak"]), str(fifo), str(lab["leak-one"]), "--json"],
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with open(fifo, "w") as pipe:  # opened once the scan has reached it
        first = json.loads(scan.stdout.readline())  # the first file is scanned and recorded
        assert first["file"] == str(lab["leak"]) and first["sighting"]
        time.sleep(1.5)  # appendfsync everysec: what was acknowledged a second ago is on disk
        _kill(server)
        pipe.write(LEAK)
    out, err = scan.communicate(timeout=120)
    assert scan.returncode == 2
    (line,) = err.splitlines()
    assert line.startswith("leakwatch: the store is not reachable"), err
    assert "Traceback" not in err + out
    # the sighting recorded before the store went away is there when it comes back
    url = server.ensure()
    assert _sightings(url, env["LEAKWATCH_NAMESPACE"]) == [str(lab["leak"])]


def test_a_restart_that_wipes_the_store_makes_the_next_scan_an_error(lab, env, own_redis, tmp_path):
    import shutil

    server, url = own_redis
    env = {**env, "LEAKWATCH_REDIS_URL": url}
    table = tmp_path / "patients.csv"
    assert run(["register", "labo-a", str(table)], env).returncode == 0
    assert run(["scan", str(lab["leak"])], env).returncode == 1  # the token index is now on local disk too
    _kill(server)
    shutil.rmtree(server.directory / "data")  # a restart on an empty data directory
    url = server.ensure()
    done = run(["scan", str(lab["leak"]), "--json"], {**env, "LEAKWATCH_REDIS_URL": url})
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "no dataset is registered" in line and "emptied" in line
    assert reports(done)[str(lab["leak"])]["matches"] == []  # nothing matched from a stale local index
