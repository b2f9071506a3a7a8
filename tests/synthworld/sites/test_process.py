"""The process: loopback only, an access log of every request, stats, nothing left after stop."""

import http.client
import json
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

from world.sites import FixtureSites

from .client import fetch


def _listening(pid: int) -> list:
    """(address, port) of every TCP socket of `pid` in LISTEN state, from /proc."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    out = []
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:      # 0A: LISTEN
                    addr, port = fields[1].split(":")
                    out.append((addr, int(port, 16)))
    return out


def test_every_site_listens_on_loopback_only(fixture_sites):
    assert set(fixture_sites.urls) == {"paste", "forum", "js", "limited", "files", "unread", "telegram", "leaks"}
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in fixture_sites.urls.values())
    sockets = _listening(fixture_sites.process.pid)
    assert sorted(p for _, p in sockets) == sorted(urlsplit(u).port for u in fixture_sites.urls.values())
    assert all(addr == "0100007F" for addr, _ in sockets)        # 127.0.0.1, little-endian hex


def test_access_log_has_one_line_per_request_with_the_client_port(fresh_sites):
    base = urlsplit(fresh_sites.urls["paste"])
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=5)
    conn.request("GET", "/archive?page=2", headers={"User-Agent": "leakwatch-test/1"})
    body = conn.getresponse().read()
    local_port = conn.sock.getsockname()[1]
    conn.close()
    fetch(fresh_sites.urls["forum"] + "/index.php")
    log = fresh_sites.access_log()
    assert log[0] == {"t": log[0]["t"], "site": "paste", "client": "127.0.0.1", "port": local_port, "method": "GET",
                      "path": "/archive?page=2", "status": 200, "ua": "leakwatch-test/1", "bytes": len(body)}
    assert abs(log[0]["t"] - time.time()) < 30
    assert (log[1]["site"], log[1]["path"], log[1]["status"]) == ("forum", "/index.php", 302)


def test_stats_count_requests_by_path(fresh_sites):
    base = fresh_sites.urls["paste"]
    for path in ("/archive?page=1", "/archive?page=1", "/p/nosuchky"):
        fetch(base + path)
    assert fresh_sites.stats("paste") == {"requests": 3, "by_path": {"/archive?page=1": 2, "/p/nosuchky": 1}}


def test_stop_leaves_no_process_and_no_listener(content_dir, tmp_path):
    sites = FixtureSites(content_dir).start()
    pid, url = sites.process.pid, sites.urls["paste"]
    sites.stop()
    assert not os.path.exists(f"/proc/{pid}")             # exited and reaped
    try:
        fetch(url + "/archive")
        raise AssertionError("still answering after stop")
    except ConnectionRefusedError:
        pass
    sites.stop()       # a second stop is harmless


def test_a_killed_parent_takes_the_sites_down_with_it(content_dir, tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom world.sites import FixtureSites\n"
        f"s = FixtureSites({str(content_dir)!r}).start()\n"
        "print(s.process.pid, flush=True)\ntime.sleep(60)\n")], stdout=subprocess.PIPE)
    child = int(parent.stdout.readline())
    parent.kill()             # SIGKILL: no __exit__, no stop()
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 5
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child)


def _running(pid: int) -> bool:
    # A zombie is only a pid left for init to reap: no code runs, no socket is left.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_broken_content_dir_fails_with_what_to_do(tmp_path):
    try:
        FixtureSites(tmp_path)
        raise AssertionError("accepted a directory without content.json")
    except Exception as exc:
        assert "python -m world.sites build" in str(exc)
    (tmp_path / "content.json").write_text(json.dumps({"paste": {}}))
    try:
        FixtureSites(tmp_path, timeout=10).start()
        raise AssertionError("started on broken content")
    except Exception as exc:
        assert "did not start" in str(exc) and "KeyError" in str(exc)
