"""Fingerprinting an institution's own table: rows in, a `Fingerprint` out, no raw value kept."""

from datetime import datetime, timezone
from itertools import chain

import numpy as np

from ..pause_gc import paused_gc
from .fpfile import FLAG_CANARY, FLAG_POSTCODE, TOKEN_DTYPE, Fingerprint, presence_flags
from .profile import column_counts, profile_columns, sample_columns
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
        batches = _batches(records, self.tokenizer.native)
        sample, held = _sample(batches, PROFILE_ROWS)
        if not sample:
            return 0
        columns = sample_columns(sample)
        counts = column_counts(columns)
        profile = profile_columns(sample, self.tokenizer, header, counts, columns)
        self.fields.update(profile.fields)
        if not canary:
            self.weights = estimate(sample, profile, self.tokenizer.classify, counts)
        del sample, columns, counts
        count = 0
        for batch in chain(held, (batch for batch, _ in batches)):
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


def _batches(records, native: bool, parsed_first: int = PROFILE_ROWS):
    """(batch, rows) pairs. Batches are runs of rows (lists of cells) cut every BATCH_ROWS, and
    each block of lines the reader left unparsed (extract.Table.parts), read where it lies by
    the C tokenizer when it can be (cell spans). rows: the batch's records as lists while the
    first `parsed_first` records are given (the profile's sample), else None. A block there is
    parsed too: at once, which costs less than making half its rows from spans one by one, and
    its spans are still tokenized, at about 60 % of the cost of its rows."""
    run, given = [], 0
    for item in records:
        if not isinstance(item, list) and hasattr(item, "spans"):  # a RawBlock
            if run:
                yield run, run
                run = []
            rows = item.records() if given < parsed_first else None
            batch = (native and item.spans()) or rows or item.records()
            given += len(batch)
            yield batch, rows
            continue
        run.append(item)
        given += 1
        if len(run) == BATCH_ROWS:
            yield run, run
            run = []
    if run:
        yield run, run


def _sample(batches, size: int) -> tuple[list, list]:
    """The first `size` records of `batches` ((batch, rows) pairs) as lists of cells, and the
    batches they came from."""
    sample, held = [], []
    for batch, rows in batches:
        held.append(batch)
        sample.extend(rows if rows is not None else batch[: size - len(sample)])
        if len(sample) >= size:
            break
    return sample[:size], held


def fingerprint_records(records, key, dataset: str, canary_records=(), header=None) -> Fingerprint:
    """Fingerprint rows (lists of cells) of one table, and optionally canary rows. header: the
    table's column names, if it has some: a hint to the columns' roles (profile.py). Blocks of
    lines may stand among the rows (extract.Table.parts): the C tokenizer reads their cells
    where they lie, and the tokens are those of their rows."""
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
        fields, weights = sorted(builder.fields), builder.weights or default_weights()
        # Freed while the collector is paused: the tokenizer's cache holds an object per
        # distinct cell, which the collector would otherwise walk once more, just before they go.
        del builder
    return Fingerprint(
        key_id=key.key_id,
        dataset=dataset,
        rows=rows,
        canaries=canaries,
        fields=fields,
        tokens=tokens,
        flags=flags,
        minhash=sketch.minhash.hashvalues.copy(),
        cardinality=sketch.cardinality,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        weights=weights,
    )
