"""Institutions' API tokens: a token names one institution and sees only its data.

A token is `lwt_<id>_<secret>`; Redis keeps only its SHA-256 (a leaked store does not give
working tokens). Keys: {ns}:token:<sha256> (hash: id, institution, label, created_at),
{ns}:tokens:<institution> (set of token ids), {ns}:token-id:<id> (the sha256); {ns} is the
namespace as a hash tag (`{lw}`), since a token's keys change in one transaction.
"""

import hashlib
import secrets
import time

from leakwatch.matchers.registry.names import check_name, meta_prefix


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InstitutionTokens:
    def __init__(self, client, namespace: str = "lw"):
        self.client = client
        self.namespace = namespace
        self.prefix = meta_prefix(namespace)

    def issue(self, institution: str, label: str = "") -> dict:
        check_name("institution", institution)
        token_id = secrets.token_hex(4)
        token = f"lwt_{token_id}_{secrets.token_urlsafe(32)}"
        digest = _digest(token)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(f"{self.prefix}:token:{digest}", mapping={
                "id": token_id, "institution": institution, "label": label, "created_at": time.time()})
            pipe.set(f"{self.prefix}:token-id:{token_id}", digest)
            pipe.sadd(f"{self.prefix}:tokens:{institution}", token_id)
            pipe.execute()
        return {"id": token_id, "institution": institution, "label": label, "token": token}

    def resolve(self, token: str) -> str | None:
        """The institution a token belongs to, or None."""
        if not token or not token.startswith("lwt_") or len(token) > 200:
            return None
        institution = self.client.hget(f"{self.prefix}:token:{_digest(token)}", "institution")
        return institution.decode() if institution else None

    def list(self, institution: str) -> list:
        out = []
        for raw in sorted(self.client.smembers(f"{self.prefix}:tokens:{institution}")):
            digest = self.client.get(f"{self.prefix}:token-id:{raw.decode()}")
            meta = self.client.hgetall(f"{self.prefix}:token:{digest.decode()}") if digest else {}
            if meta:
                entry = {k.decode(): v.decode() for k, v in meta.items()}
                entry["created_at"] = float(entry["created_at"])
                out.append(entry)
        return out

    def revoke(self, institution: str, token_id: str) -> bool:
        digest = self.client.get(f"{self.prefix}:token-id:{token_id}")
        if not digest or not self.client.sismember(f"{self.prefix}:tokens:{institution}", token_id):
            return False
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(f"{self.prefix}:token:{digest.decode()}", f"{self.prefix}:token-id:{token_id}")
            pipe.srem(f"{self.prefix}:tokens:{institution}", token_id)
            pipe.execute()
        return True
