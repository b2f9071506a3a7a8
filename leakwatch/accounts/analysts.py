"""Analysts' accounts: names and argon2 password hashes in Redis, and a login throttle.

Keys: {ns}:analyst:<name> (hash: name, password, created_at), {ns}:analysts (set of names),
{ns}:login:fail:<name> and {ns}:login:fail-ip:<address> (failure counters with a window);
{ns} is the namespace as a hash tag (`{lw}`): an account and the set of names change in one
transaction, which a Redis Cluster allows within one slot.
"""

import functools
import re
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from leakwatch.matchers.errors import LeakwatchError
from leakwatch.matchers.registry.names import meta_prefix

_NAME = re.compile(r"[a-z0-9][a-z0-9._\-]{0,31}")
MIN_PASSWORD = 10

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name costs as much as a wrong password.

    Made on first use: an Argon2 hash takes 0.1 s, which every command would pay at import.
    """
    return _hasher.hash("leakwatch-no-such-analyst")


class AccountError(LeakwatchError, ValueError):
    """An account request that cannot be carried out: bad name, weak password, exists, unknown."""


def check_analyst_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise AccountError(f"analyst name {name!r} is not valid: use 1-32 lower-case letters, digits, '.', '_' or '-'")
    return name


class AnalystStore:
    def __init__(self, client, namespace: str = "lw"):
        self.client = client
        self.namespace = namespace
        self.prefix = meta_prefix(namespace)

    def _key(self, name: str) -> str:
        return f"{self.prefix}:analyst:{name}"

    def add(self, name: str, password: str, *, replace: bool = False) -> None:
        check_analyst_name(name)
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
        if not replace and self.exists(name):
            raise AccountError(f"analyst {name!r} exists already (use --reset to set a new password)")
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(name), mapping={"name": name, "password": _hasher.hash(password),
                                                "created_at": time.time()})
            pipe.sadd(f"{self.prefix}:analysts", name)
            pipe.execute()

    def exists(self, name: str) -> bool:
        return bool(self.client.exists(self._key(name)))

    def names(self) -> list:
        return sorted(n.decode() for n in self.client.smembers(f"{self.prefix}:analysts"))

    def remove(self, name: str) -> None:
        if not self.exists(name):
            raise AccountError(f"no analyst {name!r}")
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(name))
            pipe.srem(f"{self.prefix}:analysts", name)
            pipe.execute()

    def verify(self, name: str, password: str) -> bool:
        stored = self.client.hget(self._key(name), "password") if _NAME.fullmatch(name or "") else None
        try:
            _hasher.verify(stored.decode() if stored else _dummy_hash(), password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return stored is not None


class LoginThrottle:
    """At most `max_failures` failed logins per name and per address within `window` seconds."""

    def __init__(self, client, namespace: str = "lw", max_failures: int = 5, window: int = 300):
        self.client = client
        self.namespace = namespace
        self.prefix = meta_prefix(namespace)
        self.max_failures = max_failures
        self.window = window

    def _keys(self, name: str, address: str) -> list:
        return [f"{self.prefix}:login:fail:{name[:64]}", f"{self.prefix}:login:fail-ip:{address}"]

    def blocked(self, name: str, address: str) -> int:
        """Seconds until a login may be tried again (0 = now)."""
        wait = 0
        for key in self._keys(name, address):
            count = self.client.get(key)
            if count is not None and int(count) >= self.max_failures:
                wait = max(wait, int(self.client.ttl(key)), 1)
        return wait

    def failed(self, name: str, address: str) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            for key in self._keys(name, address):
                pipe.incr(key)
                pipe.expire(key, self.window, nx=True)
            pipe.execute()

    def succeeded(self, name: str, address: str) -> None:
        self.client.delete(self._keys(name, address)[0])
