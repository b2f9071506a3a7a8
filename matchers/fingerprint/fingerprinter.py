"""Fingerprinting an institution's own table: rows in, a `Fingerprint` out, no raw value kept."""

from datetime import datetime, timezone
from itertools import chain, islice

import numpy as np

from ..pause_gc import paused_gc
from .fpfile import FLAG_CANARY, FLAG_POSTCODE, TOKEN_DTYPE, Fingerprint, presence_flags
from .profile import profile_columns
from .sketch import TokenSketch
from .tokens import Tokenizer
from .weights import default_weights, estimate

PROFILE_ROWS = 5000  # enough rows to see postcodes repeat, few enough to hold in memory
BATCH_ROWS = 8192


class _Builder:
    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.parts = []
        self.flags = []
        self.records = 0
        self.fields = set()
        self.weights = None

    def add_table(self, records, canary: bool, header=None) -> int:
        records = iter(records)
        sample = list(islice(records, PROFILE_ROWS))
        if not sample:
            return 0
        profile = profile_columns(sample, self.tokenizer, header)
        self.fields.update(profile.fields)
        if not canary:
            self.weights = estimate(sample, profile, self.tokenizer.classify)
        count = 0
        rows = chain(sample, records)
        for batch in iter(lambda: list(islice(rows, BATCH_ROWS)), []):
            tb = self.tokenizer.batch(batch, profile.name_slots, profile.event_dates)
            size = len(batch)
            part = np.empty(len(tb.tokens), dtype=TOKEN_DTYPE)
            part["token"], part["kind"], part["slot"] = tb.tokens, tb.kinds, tb.slots
            part["rid"] = tb.owners + self.records
            self.parts.append(part)
            flags = np.where(tb.has_postcode, FLAG_POSTCODE, 0).astype(np.uint8)
            if canary:
                flags |= FLAG_CANARY
            self.flags.append(flags)
            self.records += size
            count += size
        return count


def fingerprint_records(records, key, dataset: str, canary_records=(), header=None) -> Fingerprint:
    """Fingerprint rows (lists of cells) of one table, and optionally canary rows. header: the
    table's column names, if it has some: a hint to the columns' roles (profile.py)."""
    builder = _Builder(Tokenizer(key.hasher()))
    # The sketch too: datasketch is fed lists of Python ints, enough allocations to start full
    # collections that walk whatever the caller holds (a tenth of registering 500,000 records).
    with paused_gc():
        rows = builder.add_table(records, canary=False, header=header)
        canaries = builder.add_table(canary_records, canary=True)
        tokens = np.concatenate(builder.parts) if builder.parts else np.empty(0, TOKEN_DTYPE)
        flags = np.concatenate(builder.flags) if builder.flags else np.empty(0, np.uint8)
        flags |= presence_flags(tokens, len(flags))
        sketch = TokenSketch()
        sketch.update(tokens["token"])  # the sample it feeds is made distinct there
    return Fingerprint(
        key_id=key.key_id,
        dataset=dataset,
        rows=rows,
        canaries=canaries,
        fields=sorted(builder.fields),
        tokens=tokens,
        flags=flags,
        minhash=sketch.minhash.hashvalues.copy(),
        cardinality=sketch.cardinality,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        weights=builder.weights or default_weights(),
    )
