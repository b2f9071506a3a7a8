"""Analysts' login sessions, kept server-side in Redis.

The browser holds only a random session id (an HttpOnly cookie); Redis keeps its SHA-256,
so a copy of the store gives no working cookie. A session lasts `hours` from login, then
expires in Redis by itself; logging out deletes it at once.

Keys: {ns}:web:session:<sha256 of the id> (hash: analyst, csrf, created_at); {ns} is the
namespace as a hash tag, like every key but a dataset's (matchers.registry.names.meta_prefix).
"""

import hashlib
import secrets
import time
from dataclasses import dataclass

from leakwatch.matchers.registry.names import meta_prefix

from ..settings import SettingsError


@dataclass(frozen=True)
class Session:
    id: str
    analyst: str
    csrf: str          # the token every state-changing form of this session carries
    created_at: float


class SessionStore:
    def __init__(self, client, namespace: str = "lw", hours: int = 12):
        if hours <= 0:
            raise SettingsError("session hours must be a positive number of hours (setting session_hours)")
        self.client = client
        self.prefix = meta_prefix(namespace)
        self.seconds = int(hours * 3600)

    def _key(self, session_id: str) -> str:
        return f"{self.prefix}:web:session:{hashlib.sha256(session_id.encode()).hexdigest()}"

    def create(self, analyst: str) -> Session:
        session = Session(secrets.token_urlsafe(32), analyst, secrets.token_urlsafe(32), time.time())
        key = self._key(session.id)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"analyst": analyst, "csrf": session.csrf, "created_at": session.created_at})
            pipe.expire(key, self.seconds)
            pipe.execute()
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id or len(session_id) > 100:
            return None
        raw = self.client.hgetall(self._key(session_id))
        if not raw:
            return None
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        return Session(session_id, fields["analyst"], fields["csrf"], float(fields["created_at"]))

    def delete(self, session_id: str) -> None:
        self.client.delete(self._key(session_id))
