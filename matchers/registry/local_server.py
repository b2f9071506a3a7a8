"""A redis-server of leakwatch's own: loopback only, AOF on, data directory under home.

Started by the first command that needs the store when no Redis URL is configured, and
reused by the next ones (its port is kept in the data directory). The tests start theirs
with the same class.
"""

import fcntl
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

from leakwatch.matchers.errors import LeakwatchError

INSTALL_HINT = "install it with: sudo apt-get install -y redis-server"


class RedisServerError(LeakwatchError, RuntimeError):
    """redis-server is missing or would not start."""


def free_port() -> int:
    # Port 0 means "no TCP" to Redis, so ask the kernel for a free port first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalRedis:
    def __init__(self, directory, binary: str = "redis-server", appendfsync: str = "everysec"):
        self.directory = Path(directory)
        self.binary = binary
        self.appendfsync = appendfsync

    @property
    def _port_file(self) -> Path:
        return self.directory / "redis.port"

    def url(self, port: int) -> str:
        return f"redis://127.0.0.1:{port}/0"

    def running_port(self) -> int | None:
        try:
            port = int(self._port_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        try:
            if redis.Redis(host="127.0.0.1", port=port, socket_timeout=1).ping():
                return port
        except redis.RedisError:
            return None
        return None

    def ensure(self) -> str:
        """URL of the running server, started first if need be."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "redis.lock", "w") as lock:
            # Two commands started together must not start two servers on one data directory.
            fcntl.flock(lock, fcntl.LOCK_EX)
            port = self.running_port()
            if port is None:
                port = self._start()
            return self.url(port)

    def _start(self) -> int:
        binary = shutil.which(self.binary)
        if binary is None:
            raise RedisServerError(f"{self.binary} is not installed; {INSTALL_HINT}")
        data = self.directory / "data"
        data.mkdir(exist_ok=True)
        port = free_port()
        conf = self.directory / "redis.conf"
        conf.write_text(
            "\n".join([
                "bind 127.0.0.1",
                f"port {port}",
                "protected-mode yes",
                f"dir {data}",
                "appendonly yes",
                f"appendfsync {self.appendfsync}",
                "daemonize yes",
                f"pidfile {self.directory / 'redis.pid'}",
                f"logfile {self.directory / 'redis.log'}",
                "save 900 1",
                "",
            ])
        )
        result = subprocess.run([binary, str(conf)], capture_output=True, text=True)
        if result.returncode != 0:
            raise RedisServerError(f"redis-server would not start: {result.stderr.strip() or result.stdout.strip()}")
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                # LOADING while the AOF replays: wait for it rather than fail.
                if client.ping():
                    self._port_file.write_text(str(port))
                    return port
            except (redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError):
                time.sleep(0.05)
        raise RedisServerError(f"redis-server did not answer on 127.0.0.1:{port}; see {self.directory / 'redis.log'}")

    def stop(self) -> bool:
        port = self.running_port()
        if port is None:
            return False
        try:
            redis.Redis(host="127.0.0.1", port=port).shutdown(nosave=False)
        except redis.ConnectionError:
            pass  # the connection drops as the server exits
        self._port_file.unlink(missing_ok=True)
        return True
