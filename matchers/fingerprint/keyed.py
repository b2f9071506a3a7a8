"""The deployment key and the keyed hash every token goes through.

Token = first 8 bytes of BLAKE2b(key=deployment key, person='leakwatch-fp-v1', data=token text),
read little-endian as an unsigned 64-bit integer. This is format v1: changing any part of
it would orphan every registered dataset, so a new scheme gets a new version instead.
"""

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from ..errors import LeakwatchError

PERSON = b"leakwatch-fp-v1"
KEY_BYTES = 32


class DeploymentKeyError(LeakwatchError, ValueError):
    """The deployment key file is missing or malformed."""


class DeploymentKey:
    """A 32-byte secret shared by the monitor and the institutions of one deployment."""

    def __init__(self, secret: bytes):
        if not isinstance(secret, bytes) or len(secret) != KEY_BYTES:
            raise DeploymentKeyError(f"a deployment key is {KEY_BYTES} bytes; got {len(secret) if isinstance(secret, bytes) else type(secret).__name__}")
        self._secret = secret
        # Identifies the key in fingerprint files and the registry without revealing it.
        self.key_id = hmac.new(secret, b"leakwatch key id", "sha256").hexdigest()[:16]

    @classmethod
    def generate(cls) -> "DeploymentKey":
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "DeploymentKey":
        try:
            text = Path(path).read_text().strip()
        except FileNotFoundError:
            raise DeploymentKeyError(f"no deployment key at {path}: create one with `leakwatch key init` or pass --key") from None
        except UnicodeDecodeError:  # a binary file given as the key
            raise DeploymentKeyError(f"{path} is not a deployment key (expected {KEY_BYTES * 2} hex characters)") from None
        try:
            return cls(bytes.fromhex(text))
        except ValueError:
            raise DeploymentKeyError(f"{path} is not a deployment key (expected {KEY_BYTES * 2} hex characters)") from None

    def save(self, path: str | os.PathLike) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created 0600 before the secret is written: never world-readable, not even briefly.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self._secret.hex() + "\n")

    def hasher(self) -> "TokenHasher":
        return TokenHasher(self._secret)


class TokenHasher:
    """Hashes token texts to 64-bit integers under the deployment key."""

    def __init__(self, secret: bytes):
        # Keying BLAKE2b costs a compression; copying a keyed state is cheaper.
        self._base = hashlib.blake2b(key=secret, digest_size=8, person=PERSON)
        self._secret = secret

    @property
    def secret(self) -> bytes:
        """The key, for the C tokenizer (tokens.py), which keys its own BLAKE2b state."""
        return self._secret

    def __call__(self, text: str) -> int:
        """The token of one text (the reference; tokens.py inlines it with `new_state`)."""
        state = self._base.copy()
        state.update(text.encode())
        return int.from_bytes(state.digest(), "little")

    @property
    def new_state(self):
        """A function returning a fresh keyed state: the hot loops inline the hashing with it."""
        return self._base.copy
