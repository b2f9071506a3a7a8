"""`FixtureSites`: the fixture-sites process seen from a test or the demo.

    with FixtureSites(content_dir) as sites:
        sites.urls["paste"]           # "http://127.0.0.1:PORT"
        sites.publish("paste", 2)     # two hidden pastes appear
        sites.access_log()            # every request so far, as dicts
        sites.set_latency("paste", 50)  # a slow site; sites.in_flight("paste")["max"]

Like Scrapy's BaseMockServer: a real subprocess, its URLs read from its stdout.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

from leakwatch.matchers.errors import LeakwatchError

START_TIMEOUT = 20.0     # seconds; a cold start imports world.synth and binds four ports in well under 1 s


class FixtureSitesError(LeakwatchError, RuntimeError):
    """The fixture-sites process would not start, or an admin call failed."""


class FixtureSites:
    def __init__(self, content_dir, port_base: int = 0, timeout: float = START_TIMEOUT):
        self.content_dir = Path(content_dir)
        if not (self.content_dir / "content.json").is_file():
            raise FixtureSitesError(f"{self.content_dir / 'content.json'} is missing; make it with "
                                    "`python -m world.sites build --out DIR` or build_content(DIR, ...)")
        if port_base < 0:
            raise ValueError(f"port_base must be 0 (free ports) or a port number, got {port_base}")
        self.port_base = port_base
        self.timeout = timeout
        self.process = None
        self.urls = {}

    def start(self) -> "FixtureSites":
        if self.process is not None:
            return self
        self._stderr = tempfile.TemporaryFile()
        cmd = [sys.executable, "-m", "world.sites", "serve", "--content", str(self.content_dir),
               "--port-base", str(self.port_base), "--stop-on-eof"]
        # stdin stays open on our side: if this process dies, the child reads EOF and exits.
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                        env=dict(os.environ, PYTHONUNBUFFERED="1"))
        line = self._read_ready()
        if not line.startswith("READY "):
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            message = f"fixture sites did not start: {line or 'no READY line'}; stderr: {self._stderr_tail()}"
            self.stop()
            raise FixtureSitesError(message)
        self.urls = json.loads(line[len("READY "):])
        return self

    def _read_ready(self) -> str:
        # readline() would block for ever on a hung child: read it in a thread, wait with a timeout.
        result = []
        reader = threading.Thread(target=lambda: result.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.timeout)
        return result[0].decode("utf-8", "replace").strip() if result else ""

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()[-2000:].decode("utf-8", "replace").strip() or "(empty)"

    def _admin(self, site: str, path: str, method: str = "GET"):
        if site not in self.urls:
            raise ValueError(f"unknown site {site!r}; one of {sorted(self.urls) or 'none: call start() first'}")
        request = urllib.request.Request(self.urls[site] + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def publish(self, site: str, n: int) -> int:
        """Make the next n hidden items of `site` visible; returns how many items are visible now."""
        return self._admin(site, f"/admin/publish?n={int(n)}", "POST")["visible"]

    def set_latency(self, site: str, ms: int) -> None:
        """Make every non-admin request of `site` take `ms` milliseconds more (0: none)."""
        self._admin(site, f"/admin/latency?ms={int(ms)}", "POST")

    def in_flight(self, site: str) -> dict:
        """{"now": requests `site` is answering, "max": the most it answered at once}."""
        return self._admin(site, "/admin/in_flight")

    def stats(self, site: str) -> dict:
        return self._admin(site, "/admin/stats")

    def access_log(self) -> list:
        path = self.content_dir / "access.log"
        if not path.exists():
            return []
        # Only whole lines: the server may be writing the last one right now.
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        return [json.loads(line) for line in lines if line.endswith("\n")]

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdin, process.stdout, self._stderr):
            stream.close()

    def __enter__(self) -> "FixtureSites":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
