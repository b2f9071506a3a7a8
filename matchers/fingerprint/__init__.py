"""Fingerprints: keyed tokens of records, MinHash sketches, and the .lwfp file that carries them."""

from .fingerprinter import fingerprint_records
from .fpfile import FLAG_CANARY, FLAG_POSTCODE, TOKEN_DTYPE, Fingerprint, FingerprintFileError
from .keyed import DeploymentKey, DeploymentKeyError, TokenHasher
from .sketch import TokenSketch, containment, new_minhash
from .tokens import KIND_NAMES, TokenBatch, Tokenizer

__all__ = [
    "FLAG_CANARY",
    "FLAG_POSTCODE",
    "KIND_NAMES",
    "TOKEN_DTYPE",
    "DeploymentKey",
    "DeploymentKeyError",
    "Fingerprint",
    "FingerprintFileError",
    "TokenBatch",
    "TokenHasher",
    "TokenSketch",
    "Tokenizer",
    "containment",
    "fingerprint_records",
    "new_minhash",
]
