"""Fingerprinting an institution's own table: rows in, a `Fingerprint` out, no raw value kept."""

from array import array
from datetime import datetime, timezone
from itertools import chain, islice

import numpy as np

from .fpfile import FLAG_CANARY, FLAG_POSTCODE, TOKEN_DTYPE, Fingerprint
from .profile import profile_columns
from .sketch import TokenSketch
from .tokens import Tokenizer

PROFILE_ROWS = 5000  # enough rows to see postcodes repeat, few enough to hold in memory


class _Builder:
    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.tokens = array("Q")
        self.rids = array("I")
        self.kinds = array("B")
        self.slots = array("B")
        self.flags = array("B")
        self.fields = set()

    def add_table(self, records, canary: bool) -> int:
        records = iter(records)
        sample = list(islice(records, PROFILE_ROWS))
        if not sample:
            return 0
        profile = profile_columns(sample, self.tokenizer)
        self.fields.update(profile.fields)
        count = 0
        for row in chain(sample, records):
            rid = len(self.flags)
            result = self.tokenizer.record(row, profile.name_slots)
            self.tokens.extend(result.tokens)
            self.kinds.extend(result.kinds)
            self.slots.extend(result.slots)
            self.rids.extend([rid] * len(result.tokens))
            self.flags.append((FLAG_POSTCODE if result.has_postcode else 0) | (FLAG_CANARY if canary else 0))
            count += 1
        return count


def fingerprint_records(records, key, dataset: str, canary_records=()) -> Fingerprint:
    """Fingerprint rows (lists of cells) of one table, and optionally canary rows."""
    builder = _Builder(Tokenizer(key.hasher()))
    rows = builder.add_table(records, canary=False)
    canaries = builder.add_table(canary_records, canary=True)
    tokens = np.empty(len(builder.tokens), dtype=TOKEN_DTYPE)
    tokens["token"] = np.frombuffer(builder.tokens, dtype=np.uint64) if builder.tokens else []
    tokens["rid"] = np.frombuffer(builder.rids, dtype=np.uint32) if builder.rids else []
    tokens["kind"] = np.frombuffer(builder.kinds, dtype=np.uint8) if builder.kinds else []
    tokens["slot"] = np.frombuffer(builder.slots, dtype=np.uint8) if builder.slots else []
    sketch = TokenSketch()
    sketch.update(np.unique(tokens["token"]))
    return Fingerprint(
        key_id=key.key_id,
        dataset=dataset,
        rows=rows,
        canaries=canaries,
        fields=sorted(builder.fields),
        tokens=tokens,
        flags=np.frombuffer(builder.flags, dtype=np.uint8).copy(),
        minhash=sketch.minhash.hashvalues.copy(),
        cardinality=sketch.cardinality,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
