"""A Redis Cluster on loopback: Debian's redis-server in cluster mode, for tests and benchmarks.

    with LocalRedisCluster(workdir, masters=3, replicas=1) as cluster:
        client = leakwatch.matchers.registry.connection.connect(cluster.url)
        cluster.kill_master_of("{lw}:sightings")   # SIGKILL; its replica takes over
        cluster.wait_for_failover("{lw}:sightings")

Each node is a redis-server process of this object (not daemonized, so it is killed and
waited for by pid), AOF on with `appendfsync everysec` like leakwatch's own server, and a
short cluster-node-timeout so that a failover takes seconds, not the 15 s of the default.
The cluster is made by `redis-cli --cluster create`, as an operator would.
"""

import random
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from leakwatch.matchers.registry.local_server import INSTALL_HINT, RedisServerError

# Ports are picked from this range so that port + 10000 (the cluster bus, fixed by Redis)
# is a valid port outside the kernel's ephemeral range too.
PORT_RANGE = (20000, 29999)
BUS_OFFSET = 10000


@dataclass
class ClusterNodeProcess:
    port: int
    directory: Path
    process: subprocess.Popen | None = None
    node_id: str = ""
    log: Path = field(init=False)

    def __post_init__(self):
        self.log = self.directory / "redis.log"

    @property
    def name(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self, **kwargs) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2, **kwargs)


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_port(taken: set) -> int:
    rng = random.Random()
    for _ in range(1000):
        port = rng.randint(*PORT_RANGE)
        if port not in taken and port + BUS_OFFSET not in taken and _bindable(port) and _bindable(port + BUS_OFFSET):
            return port
    raise RedisServerError(f"no free port pair (p, p+{BUS_OFFSET}) in {PORT_RANGE}")


class LocalRedisCluster:
    def __init__(self, workdir, masters: int = 3, replicas: int = 1, *, node_timeout_ms: int = 2000,
                 appendfsync: str = "everysec", binary: str = "redis-server", cli: str = "redis-cli"):
        if masters < 3:
            raise ValueError("a Redis Cluster needs at least 3 masters (redis-cli --cluster create refuses fewer)")
        if replicas < 0:
            raise ValueError("replicas must be 0 or more")
        self.workdir = Path(workdir)
        self.masters = masters
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.appendfsync = appendfsync
        self.binary = binary
        self.cli = cli
        self.nodes: list[ClusterNodeProcess] = []

    # ------------------------------------------------------------------ start and stop

    def __enter__(self) -> "LocalRedisCluster":
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout: float = 60) -> "LocalRedisCluster":
        for tool in (self.binary, self.cli):
            if shutil.which(tool) is None:
                raise RedisServerError(f"{tool} is not installed; {INSTALL_HINT}")
        self.workdir.mkdir(parents=True, exist_ok=True)
        taken: set = set()
        try:
            for i in range(self.masters * (1 + self.replicas)):
                port = free_cluster_port(taken)
                taken |= {port, port + BUS_OFFSET}
                node = ClusterNodeProcess(port, self.workdir / f"node-{port}")
                node.directory.mkdir(parents=True, exist_ok=True)
                self.nodes.append(node)
                self._launch(node)
            for node in self.nodes:
                self._wait_answering(node, timeout)
            created = subprocess.run(
                [self.cli, "--cluster", "create", *(n.name for n in self.nodes),
                 "--cluster-replicas", str(self.replicas), "--cluster-yes"],
                capture_output=True, text=True, timeout=timeout)
            if created.returncode != 0:
                raise RedisServerError(f"redis-cli --cluster create failed: {created.stdout[-2000:]}{created.stderr[-2000:]}")
            self.wait_ok(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, node: ClusterNodeProcess) -> None:
        conf = node.directory / "redis.conf"
        conf.write_text("\n".join([
            "bind 127.0.0.1",
            f"port {node.port}",
            "protected-mode yes",
            f"dir {node.directory}",
            "cluster-enabled yes",
            "cluster-config-file nodes.conf",
            f"cluster-node-timeout {self.node_timeout_ms}",
            "appendonly yes",
            f"appendfsync {self.appendfsync}",
            "daemonize no",
            f"logfile {node.log}",
            'save ""',
            "",
        ]))
        node.process = subprocess.Popen([self.binary, str(conf)], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _wait_answering(self, node: ClusterNodeProcess, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        client = node.client()
        try:
            while time.monotonic() < deadline:
                if not node.alive:
                    raise RedisServerError(f"redis-server on port {node.port} exited; see {node.log}")
                try:
                    if client.ping():
                        node.node_id = client.execute_command("CLUSTER", "MYID").decode()
                        return
                except (redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError):
                    time.sleep(0.05)
        finally:
            client.close()
        raise RedisServerError(f"redis-server did not answer on {node.name}; see {node.log}")

    def stop(self) -> None:
        """Stop every node and wait for each: no process is left behind.

        Replicas first: a master told to stop waits (shutdown-timeout, 10 s) for replicas
        that are catching up, and a replica stopping at the same moment looks like one."""
        try:
            masters = set(self.masters_now())
        except (redis.RedisError, RedisServerError):
            masters = set()
        replicas = [n for n in self.nodes if n.port not in masters]
        for group in (replicas, [n for n in self.nodes if n.port in masters]):
            for node in group:
                if node.alive:
                    node.process.send_signal(signal.SIGTERM)
            for node in group:
                if node.process is None:
                    continue
                try:
                    node.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    node.process.wait()

    # ------------------------------------------------------------------ what clients need

    @property
    def url(self) -> str:
        """The store URL of this cluster: every node, so a client starts from any that answers."""
        return "redis+cluster://" + ",".join(n.name for n in self.nodes)

    def node(self, name_or_port) -> ClusterNodeProcess:
        for node in self.nodes:
            if name_or_port in (node.name, node.port, node.node_id):
                return node
        raise KeyError(name_or_port)

    def slot_of(self, key: str) -> int:
        return int(self._ask("CLUSTER", "KEYSLOT", key))

    def master_of(self, key: str) -> ClusterNodeProcess:
        """The node serving `key`'s slot now, as the cluster sees it."""
        slot = self.slot_of(key)
        for start, end, master, *_ in self._slots():
            if start <= slot <= end:
                return self.node(int(master[1]))
        raise RedisServerError(f"slot {slot} is not served")

    def masters_now(self) -> list:
        return sorted({int(master[1]) for _, _, master, *_ in self._slots()})

    def _slots(self) -> list:
        return self._ask("CLUSTER", "SLOTS")

    def _ask(self, *command):
        """A command's answer from the first live node that gives one."""
        for node in self.nodes:
            if node.alive:
                client = node.client()
                try:
                    return client.execute_command(*command)
                except redis.RedisError:
                    continue
                finally:
                    client.close()
        raise RedisServerError("no node of the cluster answers")

    # ------------------------------------------------------------------ faults

    def kill_master_of(self, key: str) -> ClusterNodeProcess:
        """SIGKILL the master of `key`'s slot: no shutdown, no last AOF write."""
        node = self.master_of(key)
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()
        return node

    def wait_for_failover(self, key: str, dead: ClusterNodeProcess, timeout: float = 60) -> ClusterNodeProcess:
        """Wait until a replica took over `key`'s slot from `dead` and the cluster is ok again."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                master = self.master_of(key)
                if master is not dead and master.alive and self._state_ok(master):
                    self.wait_ok(max(1.0, deadline - time.monotonic()), skip_dead=True)
                    return master
            except (redis.RedisError, RedisServerError):
                pass
            time.sleep(0.1)
        raise RedisServerError(f"no replica took over from {dead.name} within {timeout} s")

    def restart(self, node: ClusterNodeProcess, timeout: float = 60) -> None:
        """Start a stopped node again on its data (nodes.conf, AOF): it rejoins, as a replica
        if another node took its slots meanwhile."""
        if node.alive:
            return
        self._launch(node)
        self._wait_answering(node, timeout)
        self.wait_ok(timeout)

    # ------------------------------------------------------------------ readiness

    def _state_ok(self, node: ClusterNodeProcess) -> bool:
        client = node.client()
        try:
            info = client.execute_command("CLUSTER", "INFO").decode()
        finally:
            client.close()
        return "cluster_state:ok" in info

    def wait_ok(self, timeout: float = 60, skip_dead: bool = False) -> None:
        """Until every live node says cluster_state:ok and every replica is in sync with its master."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                if self._all_ok():
                    return
            except redis.RedisError as exc:
                last = str(exc)
            time.sleep(0.1)
        raise RedisServerError(f"the cluster did not become ok within {timeout} s {last}".strip())

    def _all_ok(self) -> bool:
        live = [n for n in self.nodes if n.alive]
        masters = set()
        for node in live:
            if not self._state_ok(node):
                return False
            client = node.client()
            try:
                replication = client.info("replication")
            finally:
                client.close()
            if replication["role"] == "slave":
                if replication.get("master_link_status") != "up":
                    return False
            else:
                masters.add(node.port)
        # Every live node agrees on who serves the slots (a promotion is known everywhere).
        served = set(self.masters_now())
        return served <= masters and len(served) == self.masters
