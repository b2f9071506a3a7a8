"""Fingerprinting an institution's own table: rows in, a `Fingerprint` out, no raw value kept."""

import multiprocessing
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
# Batches cut the same way whatever the number of processes: a batch's tokens come out in an
# order of its own (column by column, then the combinations), so the fingerprint stays the same.
BATCH_ROWS = 8192
# Below this many rows a table is tokenized in the calling process. Starting and stopping the
# workers (a fork of the caller, its tables and its cache) took 0.1 s on a shared 2-core machine,
# what a second core saves on some four batches: tables of 17,000 and 33,000 rows came out no
# faster, half a million in three quarters of the time while the machine was quiet.
PARALLEL_FROM_ROWS = 8 * BATCH_ROWS

# The tokenizer, column profile and table a forked worker inherited from its parent (copy-on-write).
_WORKER = {}


class _Builder:
    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.parts = []
        self.flags = []
        self.records = 0
        self.fields = set()
        self.weights = None

    def add_table(self, records, canary: bool, header=None, workers: int = 1) -> int:
        table = records if type(records) is list else None  # rows a forked worker can read in place
        records = iter(records)
        sample = list(islice(records, PROFILE_ROWS))
        if not sample:
            return 0
        profile = profile_columns(sample, self.tokenizer, header)
        self.fields.update(profile.fields)
        if not canary:
            self.weights = estimate(sample, profile, self.tokenizer.classify)
        count = 0
        for tb in _tokenized(self.tokenizer, profile, chain(sample, records), workers, table):
            size = len(tb.has_postcode)
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


def _tokenized(tokenizer, profile, rows, workers: int, table=None):
    """The TokenBatch of each batch of rows, in order: in this process, or by `workers` forked
    processes when the caller holds the table as a list (table: the same rows) big enough to
    be worth it (PARALLEL_FROM_ROWS). The workers read their rows in place, inherited.

    A table read as it goes stays in this process: this process reads each row anyway (as
    long as tokenizing it), and handing rows over cost as much as tokenizing them: 500,000
    rows through `leakwatch register` took 11-20 s with two workers (fed pickled batches, or
    forked a chunk at a time) against 9-13 s without, on a shared 2-core machine."""
    if workers > 1 and table is not None and len(table) >= PARALLEL_FROM_ROWS:
        yield from _parallel(tokenizer, profile, table, workers)
        return
    for batch in iter(lambda: list(islice(rows, BATCH_ROWS)), []):
        yield tokenizer.batch(batch, profile.name_slots, profile.event_dates)


def _parallel(tokenizer, profile, table: list, workers: int):
    _WORKER.update(tokenizer=tokenizer, profile=profile, table=table)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            # imap keeps order; pickling a batch to send it would cost a third of tokenizing it.
            yield from pool.imap(_tokenize_in_worker, range(0, len(table), BATCH_ROWS), chunksize=1)
    finally:
        _WORKER.clear()


def _tokenize_in_worker(start):
    profile = _WORKER["profile"]
    batch = _WORKER["table"][start:start + BATCH_ROWS]
    return _WORKER["tokenizer"].batch(batch, profile.name_slots, profile.event_dates)


def fingerprint_records(records, key, dataset: str, canary_records=(), header=None, workers: int = 1) -> Fingerprint:
    """Fingerprint rows (lists of cells) of one table, and optionally canary rows. header: the
    table's column names, if it has some: a hint to the columns' roles (profile.py). workers > 1
    tokenizes a big table given as a list in that many forked processes; the fingerprint is
    the same whatever the number."""
    if workers < 1:
        raise ValueError("workers must be 1 or more")
    builder = _Builder(Tokenizer(key.hasher()))
    with paused_gc():
        rows = builder.add_table(records, canary=False, header=header, workers=workers)
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
