"""Scanning a stream of records against the token index: which registered records are in it."""

from array import array
from dataclasses import dataclass, field

import numpy as np

from ..fingerprint import FLAG_CANARY, KIND_NAMES, TokenSketch, Tokenizer
from ..fingerprint.tokens import NAME_DOB
from . import evidence

BATCH_RECORDS = 8192  # records per lookup batch: big enough for numpy, small enough for flat memory
EVIDENCE_ROWS = 20    # dump row numbers kept per dataset as evidence


@dataclass
class DatasetMatch:
    """What one dump holds of one registered dataset."""

    institution: str
    dataset: str
    confirmed: set = field(default_factory=set)
    weak: set = field(default_factory=set)
    canaries: set = field(default_factory=set)
    fields: set = field(default_factory=set)
    matched_on: set = field(default_factory=set)
    rows: list = field(default_factory=list)

    def as_dict(self) -> dict:
        # Canaries are planted people: they prove the leak, but are not records at stake.
        real = self.confirmed - self.canaries
        weak = self.weak - self.confirmed - self.canaries
        records = len(real)
        return {
            "institution": self.institution,
            "dataset": self.dataset,
            "records": records,
            "records_low": records,
            "records_high": records + len(weak),
            "fields": sorted(self.fields),
            "matched_on": sorted(self.matched_on),
            "canaries": len(self.canaries),
            "evidence_rows": self.rows[:EVIDENCE_ROWS],
        }


@dataclass
class ScanOutcome:
    rows: int
    matches: list  # DatasetMatch with at least one confirmed record or canary
    sketch: TokenSketch
    tokens: int


class Scanner:
    """Feeds records through tokenizer and index, weighing the evidence record by record."""

    def __init__(self, index, tokenizer: Tokenizer, batch_records: int = BATCH_RECORDS):
        self.index = index
        self.tokenizer = tokenizer
        self.batch_records = batch_records

    def scan(self, records, progress=None) -> ScanOutcome:
        state = _ScanState(self.index)
        batch = []
        for cells in records:
            batch.append(cells)
            if len(batch) >= self.batch_records:
                self._scan_batch(batch, state)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            self._scan_batch(batch, state)
            if progress:
                progress(len(batch))
        return ScanOutcome(state.rows, state.results(), state.sketch, state.tokens)

    def _scan_batch(self, batch, state) -> None:
        tokens = array("Q")
        owners = array("I")
        record_tokens = []
        record = self.tokenizer.record
        for position, cells in enumerate(batch):
            result = record(cells)
            record_tokens.append(result)
            if result.tokens:
                tokens.extend(result.tokens)
                owners.extend([position] * len(result.tokens))
        first_row = state.rows
        state.rows += len(batch)
        if not tokens:
            return
        queries = np.frombuffer(tokens, dtype=np.uint64)
        state.tokens += len(queries)
        state.sketch.update(queries)
        if not len(self.index):
            return
        hits, lefts, rights = self.index.lookup(queries)
        if not len(hits):
            return
        index = self.index
        # (dump record, dataset, rid) -> [kinds bitmask, name slots]
        pairs: dict = {}
        for query_pos, left, right in zip(hits.tolist(), lefts.tolist(), rights.tolist()):
            owner = owners[query_pos]
            for entry in range(left, right):
                key = (owner, int(index.ds[entry]), int(index.rid[entry]))
                slot = pairs.get(key)
                if slot is None:
                    slot = pairs[key] = [0, set()]
                kind = int(index.kind[entry])
                slot[0] |= 1 << kind
                if kind == NAME_DOB:
                    slot[1].add(int(index.slot[entry]))
        for (owner, ds, rid), (mask, slots) in pairs.items():
            flags = int(index.flags[ds][rid])
            tokens_of_record = record_tokens[owner]
            outcome = evidence.verdict(mask, slots, tokens_of_record.has_postcode, flags)
            if outcome == evidence.NONE:
                continue
            match = state.match_for(ds)
            if outcome == evidence.CONFIRMED:
                match.confirmed.add(rid)
                match.fields.update(tokens_of_record.fields)
                match.matched_on.update(KIND_NAMES[k] for k in KIND_NAMES if mask & (1 << k))
                if flags & FLAG_CANARY:
                    match.canaries.add(rid)
                if len(match.rows) < EVIDENCE_ROWS:
                    match.rows.append(first_row + owner + 1)
            else:
                match.weak.add(rid)


class _ScanState:
    def __init__(self, index):
        self.index = index
        self.rows = 0
        self.tokens = 0
        self.sketch = TokenSketch()
        self._matches: dict = {}

    def match_for(self, ds: int) -> DatasetMatch:
        match = self._matches.get(ds)
        if match is None:
            meta = self.index.datasets[ds]
            match = self._matches[ds] = DatasetMatch(meta["institution"], meta["dataset"])
        return match

    def results(self) -> list:
        found = [m for m in self._matches.values() if m.confirmed or m.canaries]
        return sorted(found, key=lambda m: (-len(m.confirmed), m.institution, m.dataset))
