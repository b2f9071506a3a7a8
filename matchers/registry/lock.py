"""A per-source lock in Redis, with expiry: two overlapping cron runs never crawl one source.

SET NX EX takes it; a holder renews it while it works; a crashed holder's lock expires on
its own. Only the holder (the token it set) can renew or release it.
"""

import secrets

_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) else return 0 end"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class SourceLock:
    def __init__(self, client, source: str, namespace: str = "lw", ttl: int = 120):
        if ttl < 5:
            raise ValueError("a lock ttl under 5 s would expire between renewals")
        self.client = client
        self.key = f"{namespace}:lock:{{{source}}}"
        self.ttl = ttl
        self.token = secrets.token_hex(16)

    def acquire(self) -> bool:
        return bool(self.client.set(self.key, self.token, nx=True, ex=self.ttl))

    def renew(self) -> bool:
        return bool(self.client.eval(_RENEW, 1, self.key, self.token, self.ttl))

    def release(self) -> bool:
        return bool(self.client.eval(_RELEASE, 1, self.key, self.token))

    def holder_ttl(self) -> int:
        """Seconds left on the lock whoever holds it (-2: nobody)."""
        return int(self.client.ttl(self.key))
