"""A per-source lock in Redis, with expiry: two overlapping cron runs never crawl one source.

SET NX EX takes it; the holder renews it while it works; a crashed holder's lock expires on
its own, and a holder killed with SIGKILL on this same machine is noticed at once (its
process is gone), so the next cron run need not wait for the expiry. Only the holder
(the token it set) can renew or release it.
"""

import os
import secrets
import socket

from .names import meta_prefix

_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) else return 0 end"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class SourceLock:
    def __init__(self, client, source: str, namespace: str = "lw", ttl: int = 120):
        if ttl < 5:
            raise ValueError("a lock ttl under 5 s would expire between renewals")
        self.client = client
        self.source = source
        self.key = f"{meta_prefix(namespace)}:lock:{source}"
        self.ttl = ttl
        self.token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"

    def acquire(self) -> bool:
        if self.client.set(self.key, self.token, nx=True, ex=self.ttl):
            return True
        holder = self.client.get(self.key)
        if holder is not None and dead_local_process(holder.decode(errors="replace")):
            # Compare-and-delete: only the dead holder's lock, not one taken meanwhile.
            self.client.eval(_RELEASE, 1, self.key, holder)
            return bool(self.client.set(self.key, self.token, nx=True, ex=self.ttl))
        return False

    def renew(self) -> bool:
        return bool(self.client.eval(_RENEW, 1, self.key, self.token, self.ttl))

    def release(self) -> bool:
        return bool(self.client.eval(_RELEASE, 1, self.key, self.token))

    def holder(self) -> str | None:
        value = self.client.get(self.key)
        return value.decode(errors="replace") if value is not None else None


def dead_local_process(holder: str) -> bool:
    """Whether a "host:pid:..." holder names a process of this machine that is gone."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not (pid.isascii() and pid.isdigit()):
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
