"""The fingerprint file (.lwfp): what an institution uploads instead of its data.

Layout, format version 2 (version 1 files are still read, see below): a ZIP archive in
NumPy's .npz layout (readable with `numpy.load(path, allow_pickle=False)`), members:
  header.npy  uint8 array holding UTF-8 JSON: {"format": "leakwatch-fingerprint",
              "version": 2, "key_id", "dataset", "rows", "canaries", "fields",
              "created_at", "tokens", "minhash": {"scheme", "num_perm", "seed",
              "sample_rate", "cardinality"}, "weights": {"birth_date", "postcode",
              "names": {slot: bits}}} (weights.py: how rare an agreement is in this table)
  tokens.npy  structured little-endian array, one row per token:
              token <u8 (keyed hash, see keyed.py), rid <u4 (record number),
              kind u1 (tokens.py codes), slot u1 (name field of a name word)
  flags.npy   uint8 per record: bit 0 the record has a postcode, bit 1 it is a canary,
              bits 2-4 it has a NIR, an e-mail, a phone, bit 5 two name fields or more,
              bit 6 a birth date (what a disagreement can be weighed against)
  minhash.npy <u8[num_perm]: the dataset's MinHash (sketch.py)
No raw value is stored; record numbers are positions, not identifiers.

Version 1 (before column roles and weights): the same members, no "weights", flags bits 0-1
only, and dates of every column combined (a sampling day too). It is still read: its presence
bits are taken from its tokens and its weights are the defaults, so it matches with less
evidence than it could. Fingerprinting the table again (`leakwatch fingerprint`, then
`leakwatch register`, which replaces the dataset atomically) gives version 2.
"""

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..distinct import distinct
from ..errors import LeakwatchError
from . import sketch

FORMAT = "leakwatch-fingerprint"
VERSION = 2
READABLE_VERSIONS = (1, 2)
TOKEN_DTYPE = np.dtype([("token", "<u8"), ("rid", "<u4"), ("kind", "u1"), ("slot", "u1")])
FLAG_POSTCODE = 1
FLAG_CANARY = 2
FLAG_NIR, FLAG_EMAIL, FLAG_PHONE = 4, 8, 16
FLAG_TWO_NAMES = 32
FLAG_BIRTH_DATE = 64
_KIND_FLAG = {1: FLAG_NIR, 2: FLAG_EMAIL, 3: FLAG_PHONE}


class FingerprintFileError(LeakwatchError, ValueError):
    """A .lwfp file that cannot be read: not one, damaged, or of an unknown version."""


@dataclass
class Fingerprint:
    key_id: str
    dataset: str
    rows: int
    canaries: int
    fields: list
    tokens: np.ndarray
    flags: np.ndarray
    minhash: np.ndarray
    cardinality: float
    created_at: str
    version: int = VERSION
    weights: dict | None = None  # weights.estimate(); None in version 1 files
    extra: dict = field(default_factory=dict)

    def header(self) -> dict:
        return {
            "format": FORMAT,
            "version": self.version,
            "key_id": self.key_id,
            "dataset": self.dataset,
            "rows": self.rows,
            "canaries": self.canaries,
            "fields": list(self.fields),
            "created_at": self.created_at,
            "tokens": int(len(self.tokens)),
            "minhash": {
                "scheme": sketch.SCHEME,
                "num_perm": sketch.NUM_PERM,
                "seed": sketch.SEED,
                "sample_rate": sketch.SAMPLE_RATE,
                "cardinality": self.cardinality,
            },
            **({"weights": self.weights} if self.weights is not None else {}),
        }

    def save(self, path) -> None:
        header = np.frombuffer(json.dumps(self.header(), sort_keys=True).encode(), dtype=np.uint8)
        if hasattr(path, "write"):
            self._write(path, header)
        else:
            with open(path, "wb") as handle:
                self._write(handle, header)

    def _write(self, handle, header) -> None:
        np.savez(handle, header=header, tokens=self.tokens.astype(TOKEN_DTYPE, copy=False),
                 flags=self.flags.astype(np.uint8, copy=False),
                 minhash=np.asarray(self.minhash, dtype="<u8"))

    @classmethod
    def load(cls, path) -> "Fingerprint":
        try:
            with np.load(Path(path), allow_pickle=False) as archive:
                header = json.loads(bytes(archive["header"]).decode())
                tokens, flags, minhash = archive["tokens"], archive["flags"], archive["minhash"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, EOFError) as exc:
            raise FingerprintFileError(f"{path}: not a leakwatch fingerprint file ({exc.__class__.__name__})") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise FingerprintFileError(f"{path}: not a leakwatch fingerprint file")
        version = header.get("version")
        if version not in READABLE_VERSIONS:
            raise FingerprintFileError(
                f"{path}: fingerprint format version {version} is not supported (this release reads "
                f"{', '.join(map(str, READABLE_VERSIONS))}): fingerprint the table again with this release")
        problem = _header_problem(header) or _arrays_problem(header, tokens, flags, minhash)
        if problem:
            raise FingerprintFileError(f"{path}: damaged fingerprint file ({problem})")
        if version == 1:
            flags = flags | presence_flags(tokens, len(flags))
        return cls(
            key_id=header["key_id"], dataset=header["dataset"], rows=header["rows"],
            canaries=header["canaries"], fields=header["fields"], tokens=tokens, flags=flags,
            minhash=minhash, cardinality=header["minhash"]["cardinality"], created_at=header["created_at"],
            version=version, weights=header.get("weights"),
        )

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()


def presence_flags(tokens: np.ndarray, records: int) -> np.ndarray:
    """Per record, the FLAG_ bits of the identifiers, name fields and birth date its tokens show."""
    flags = np.zeros(records, dtype=np.uint8)
    for kind, bit in _KIND_FLAG.items():
        flags[tokens["rid"][tokens["kind"] == kind]] |= bit
    dated = tokens["kind"] >= 4
    flags[tokens["rid"][dated]] |= FLAG_BIRTH_DATE
    named = tokens[tokens["kind"] == 4]
    if len(named):
        # Distinct (record, slot) pairs; a record with two or more has two name fields.
        pairs = distinct(named["rid"].astype(np.uint64) << np.uint64(8) | named["slot"].astype(np.uint64))
        per_record = np.bincount((pairs >> np.uint64(8)).astype(np.int64), minlength=records)
        flags[per_record >= 2] |= FLAG_TWO_NAMES
    return flags


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _header_problem(header: dict) -> str | None:
    """What is wrong with a header's values, if anything: a file from outside (the institutions'
    API takes uploads) must not put a non-number where a count belongs."""
    minhash = header.get("minhash")
    fields = header.get("fields")
    if not all(_is_count(header.get(name)) for name in ("rows", "canaries", "tokens")):
        return "rows, canaries and tokens must be counts"
    if not all(isinstance(header.get(name), str) and len(header[name]) <= 256
               for name in ("key_id", "dataset", "created_at")):
        return "key_id, dataset and created_at must be short texts"
    if not (isinstance(fields, list) and len(fields) <= 64 and all(isinstance(f, str) and len(f) <= 64 for f in fields)):
        return "fields must be a short list of kinds"
    if not isinstance(minhash, dict) or (minhash.get("scheme"), minhash.get("num_perm"), minhash.get("seed")) != (
            sketch.SCHEME, sketch.NUM_PERM, sketch.SEED):
        return "its MinHash is not the one this release makes"
    weights = header.get("weights")
    if weights is not None and not _weights_ok(weights):
        return "its weights are not numbers of bits"
    cardinality = minhash.get("cardinality")
    if not isinstance(cardinality, (int, float)) or isinstance(cardinality, bool) or not 0 <= cardinality < 1e15:
        return "the MinHash cardinality must be a number"
    return None


def _weights_ok(weights) -> bool:
    def bits(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 64

    names = weights.get("names") if isinstance(weights, dict) else None
    return (isinstance(weights, dict) and bits(weights.get("birth_date")) and bits(weights.get("postcode"))
            and isinstance(names, dict) and len(names) <= 256
            and all(isinstance(k, str) and k.isdigit() and int(k) < 256 and bits(v) for k, v in names.items()))


def _arrays_problem(header: dict, tokens, flags, minhash) -> str | None:
    if tokens.dtype != TOKEN_DTYPE or tokens.ndim != 1 or len(tokens) != header["tokens"]:
        return "the tokens do not match the header"
    if flags.dtype != np.uint8 or flags.ndim != 1 or len(flags) != header["rows"] + header["canaries"]:
        return "the record flags do not match the header"
    if minhash.dtype.kind != "u" or minhash.ndim != 1 or len(minhash) != sketch.NUM_PERM:
        return "the MinHash does not match the header"
    if len(tokens) and (int(tokens["rid"].max()) >= len(flags) or int(tokens["kind"].min()) < 1
                        or int(tokens["kind"].max()) > 5):
        return "a token names a record or a kind that does not exist"
    return None
