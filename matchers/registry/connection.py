"""The store's Redis client, made in one place: one Redis server, or a Redis Cluster.

    redis://[user:password@]host:port/db                       one Redis server
    redis+cluster://[user:password@]host:port[,host:port...]   a Redis Cluster (the nodes to start from)

`rediss://` and `rediss+cluster://` are the same over TLS. A cluster client finds every node
from the ones named, follows the cluster's moves (MOVED) and runs each transaction on the
node of its slot: leakwatch keeps the keys of each transaction in one slot (see
matchers.registry.names).

Failover. When a master dies, its replica takes over cluster-node-timeout later (15 s by
default) plus an election. redis-py 8 retries a failed command at once, a few times, without
waiting (only transactions back off), so on its own a command fails during a failover.
The cluster client made here waits it out: a command, or a pipeline, that fails because a
node does not answer is tried again, with a growing pause, for up to `retry_seconds`.
A command whose answer was lost may so run twice: every write leakwatch makes is either
idempotent or harmless twice (a sighting number skipped, an alert event that the sender
takes once by its id).
"""

import logging
import re
import time
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.cluster import ClusterNode, ClusterPipeline, PipelineStrategy, RedisCluster
from redis.exceptions import ClusterDownError, RedisClusterException, SlotNotCoveredError, TryAgainError
from redis.retry import Retry

from leakwatch.matchers.errors import LeakwatchError

log = logging.getLogger(__name__)

CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}
SERVER_SCHEMES = ("redis", "rediss", "unix")
# The default of the setting redis_cluster_retry_seconds: cluster-node-timeout's default
# (15 s), an election, and room to spare.
CLUSTER_RETRY_SECONDS = 30.0
# A node that does not answer, a cluster without a master for some slot: what a failover looks like.
FAILOVER_ERRORS = (redis.ConnectionError, redis.TimeoutError, ClusterDownError, SlotNotCoveredError, TryAgainError)


class StoreURLError(LeakwatchError, ValueError):
    """A Redis URL leakwatch cannot use."""


def is_cluster_url(url: str) -> bool:
    return urlsplit(url).scheme.lower() in CLUSTER_SCHEMES


def is_cluster(client) -> bool:
    return isinstance(client, RedisCluster)


def shown(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"//[^@/]*@", "//", url)


def connect(url: str, *, retry_seconds: float = CLUSTER_RETRY_SECONDS, **kwargs):
    """A `redis.Redis` for a redis:// URL, a `StoreCluster` (a redis-py `RedisCluster`) for a
    redis+cluster:// one.

    kwargs go to the client (socket_timeout, ...). retry_seconds: how long a cluster client
    keeps trying while a node does not answer; a single server's client keeps redis-py's
    defaults.
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme not in SERVER_SCHEMES and scheme not in CLUSTER_SCHEMES:
        raise StoreURLError(f"{shown(url)}: not a Redis URL; one of "
                            f"{', '.join(s + '://' for s in (*SERVER_SCHEMES, *CLUSTER_SCHEMES))}")
    if scheme in SERVER_SCHEMES:
        try:
            return redis.Redis.from_url(url, **kwargs)
        except ValueError as exc:  # a port or option redis-py cannot read
            raise StoreURLError(f"{shown(url)}: {exc}") from None
    parts = urlsplit(url)
    hosts = parts.netloc.rpartition("@")[2]
    nodes = []
    for address in hosts.split(","):
        host, _, port = address.strip().rpartition(":")
        if not host or not (port.isascii() and port.isdigit()):
            raise StoreURLError(f"{shown(url)}: name each node as host:port, comma-separated "
                                f"(redis+cluster://10.0.0.1:7000,10.0.0.2:7000)")
        nodes.append(ClusterNode(host.strip("[]"), int(port)))
    if parts.path not in ("", "/", "/0"):
        raise StoreURLError(f"{shown(url)}: a Redis Cluster has database 0 only; drop {parts.path!r}")
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if parts.username:
        kwargs.setdefault("username", unquote(parts.username))
    if parts.password:
        kwargs.setdefault("password", unquote(parts.password))
    if CLUSTER_SCHEMES[parts.scheme.lower()]:
        kwargs.setdefault("ssl", True)
    for name in ("socket_timeout", "socket_connect_timeout"):
        if name in options:
            try:
                kwargs.setdefault(name, float(options[name]))
            except ValueError:
                raise StoreURLError(f"{shown(url)}: {name} must be a number of seconds") from None
    # A transaction retries through this (with its pauses); a command through StoreCluster's loop.
    kwargs.setdefault("retry", Retry(ExponentialBackoff(cap=1.0, base=0.05), _retries_within(retry_seconds)))
    try:
        return StoreCluster(startup_nodes=nodes, retry_seconds=retry_seconds, **kwargs)
    except RedisClusterException as exc:
        # No node answered: the same error as an unreachable single server, for callers.
        raise redis.ConnectionError(f"Redis Cluster at {shown(url)}: {exc}") from None


def _retries_within(seconds: float) -> int:
    backoff = ExponentialBackoff(cap=1.0, base=0.05)
    waited, retries = 0.0, 0
    while waited < seconds:
        retries += 1
        waited += backoff.compute(retries)
    return retries


def patiently(seconds: float, call, what: str = "the store"):
    """call() until it does not fail with a failover error, for up to `seconds`."""
    deadline = time.monotonic() + seconds
    pause = 0.05
    warned = False
    while True:
        try:
            return call()
        except FAILOVER_ERRORS as exc:
            if time.monotonic() + pause > deadline:
                raise
            if not warned:
                # The class only: a message could name keys.
                log.warning("%s does not answer (%s): retrying for up to %.0f s (a failover?)",
                            what, type(exc).__name__, seconds)
                warned = True
            time.sleep(pause)
            pause = min(1.0, pause * 2)


class StoreCluster(RedisCluster):
    """A RedisCluster whose commands and pipelines wait out a failover (see the module's doc)."""

    def __init__(self, *args, retry_seconds: float = CLUSTER_RETRY_SECONDS, **kwargs):
        self.retry_seconds = retry_seconds  # first: the parent's __init__ sends commands
        super().__init__(*args, **kwargs)

    def execute_command(self, *args, **kwargs):
        return patiently(self.retry_seconds, lambda: super(StoreCluster, self).execute_command(*args, **kwargs))

    def pipeline(self, transaction=None, shard_hint=None):
        pipe = super().pipeline(transaction=transaction, shard_hint=shard_hint)
        # The same object with a patient execute(): the class is swapped rather than the
        # pipeline rebuilt, so every option redis-py gives it is kept.
        pipe.__class__ = StoreClusterPipeline
        pipe.retry_seconds = self.retry_seconds
        return pipe


class StoreClusterPipeline(ClusterPipeline):
    def execute(self, raise_on_error: bool = True):
        strategy = self._execution_strategy
        if not isinstance(strategy, PipelineStrategy):
            # A transaction: redis-py retries it itself, pausing as the client's Retry says
            # (connect() makes that span retry_seconds); a WATCHed one fails with WatchError
            # if its slot moved, and the caller reads again.
            return super().execute(raise_on_error)
        queued = [(c.args, c.options) for c in strategy.command_queue]

        def again():
            if not strategy.command_queue:  # reset by the failed attempt: queue them again
                for args, options in queued:
                    self.pipeline_execute_command(*args, **options)
            return ClusterPipeline.execute(self, raise_on_error)

        return patiently(self.retry_seconds, again)


def summary(client) -> dict:
    """Version, AOF and key count of the store, a cluster's summed over its masters."""
    if not is_cluster(client):
        info = client.info()
        return {"redis_version": info["redis_version"], "aof": bool(info.get("aof_enabled")),
                "keys": int(client.dbsize()), "masters": 1}
    infos = client.info(target_nodes=RedisCluster.PRIMARIES)
    if not all(isinstance(v, dict) for v in infos.values()):
        infos = {"": infos}  # a cluster of one master answers with its INFO alone
    return {"redis_version": min(i["redis_version"] for i in infos.values()),
            "aof": all(i.get("aof_enabled") for i in infos.values()),
            "keys": sum(int(i.get("db0", {}).get("keys", 0)) for i in infos.values()),
            "masters": len(infos)}
