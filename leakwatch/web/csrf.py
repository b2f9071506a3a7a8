"""CSRF tokens: every state-changing form carries one, checked on the server.

After login the token is the session's own (stored with it in Redis). The login form has
no session yet: its token is an HMAC, under a secret of this deployment, of a random value
kept in a short-lived cookie, so a site that cannot read our cookies cannot forge the pair.
"""

import hashlib
import hmac
import secrets

from leakwatch.matchers.errors import LeakwatchError
from leakwatch.matchers.registry.names import meta_prefix

LOGIN_COOKIE = "lw_login"
LOGIN_COOKIE_SECONDS = 3600


class CsrfError(LeakwatchError):
    """A state-changing request without the right token: refused with 403."""


def same(expected: str, submitted: str | None) -> bool:
    return bool(expected) and bool(submitted) and hmac.compare_digest(expected.encode(), submitted.encode())


def check(expected: str, submitted: str | None) -> None:
    if not same(expected, submitted):
        raise CsrfError("the form's security token is missing or wrong: reload the page and try again")


def web_secret(client, namespace: str) -> bytes:
    """This deployment's secret for login tokens, made once and shared by every worker."""
    key = f"{meta_prefix(namespace)}:web:secret"
    client.set(key, secrets.token_bytes(32), nx=True)
    return client.get(key)


class LoginCsrf:
    def __init__(self, secret: bytes):
        self.secret = secret

    def new_nonce(self) -> str:
        return secrets.token_urlsafe(24)

    def token(self, nonce: str) -> str:
        return hmac.new(self.secret, f"login:{nonce}".encode(), hashlib.sha256).hexdigest()

    def check(self, nonce: str | None, submitted: str | None) -> None:
        if not nonce or len(nonce) > 100:
            raise CsrfError("the login form has expired: reload the page and try again")
        check(self.token(nonce), submitted)
