"""After a commit on a Redis Cluster, wait until a replica has it (WAIT), so that a master
dying right after the commit loses nothing: its replica, promoted, holds the commit.

WAIT counts the writes made on the connection it is sent on, and a cluster client sends
each command on a pooled connection of its own. So the wait is a small write of its own
(INCR of a marker key in the committed keys' slot) followed by WAIT, pipelined on one
connection to that slot's master: a master's replication stream is in order, so a replica
that has the marker has the commit made before it.

A single Redis server has no replica to wait for: its commits rest on its AOF.
"""

import logging
import time

from redis.cluster import RedisCluster

log = logging.getLogger(__name__)

# How long the number of replicas a master has is trusted before it is asked again:
# after a failover the promoted master has none until the old one comes back.
REPLICAS_TTL_SECONDS = 5.0


def marker_key(key: str) -> str:
    """A key in `key`'s slot for the wait's own write: its hash tag, then ':replicated'."""
    start = key.find("{")
    end = key.find("}", start + 1) if start >= 0 else -1
    if start < 0 or end <= start + 1:
        raise ValueError(f"{key!r} has no hash tag: it could not be waited for on its slot's master")
    return key[:end + 1] + ":replicated"


class ReplicaWait:
    def __init__(self, replicas: int = 1, timeout_ms: int = 1000):
        if replicas < 0 or timeout_ms < 1:
            raise ValueError("replicas must be 0 or more and timeout_ms 1 or more "
                             "(settings redis_wait_replicas, redis_wait_ms)")
        self.replicas = replicas
        self.timeout_ms = timeout_ms
        self._known = {}  # node name -> (replicas it has, until when that is trusted)

    def __call__(self, client, key: str) -> int | None:
        """Block until the commit just made to `key`'s slot is on a replica (or timeout_ms
        passed); returns the replicas that acknowledged it, None when nothing was waited for."""
        if not self.replicas or not isinstance(client, RedisCluster):
            return None
        node = client.get_node_from_key(key)
        node_client = client.get_redis_connection(node)
        wanted = min(self.replicas, self._replicas_of(node.name, node_client))
        if not wanted:
            return None
        with node_client.pipeline(transaction=False) as pipe:
            pipe.incr(marker_key(key))
            pipe.wait(wanted, self.timeout_ms)
            _, acked = pipe.execute()
        if acked < wanted:
            self._known.pop(node.name, None)  # a replica may have gone: ask again next time
            log.warning("a commit on %s reached %d of %d replicas within %d ms: it rests on that master alone "
                        "until they catch up", node.name, acked, wanted, self.timeout_ms)
        return acked

    def _replicas_of(self, name: str, node_client) -> int:
        known = self._known.get(name)
        if known is None or known[1] < time.monotonic():
            count = int(node_client.info("replication").get("connected_slaves", 0))
            known = (count, time.monotonic() + REPLICAS_TTL_SECONDS)
            self._known[name] = known
        return known[0]
