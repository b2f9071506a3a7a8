"""Scanning a stream of records against the token index: which registered records are in it.

Everything after tokenizing is vectorised: hits are grouped by (dump record, registered
record) with numpy, judged by `evidence.verdicts`, and collected as global record ids, so a
dump whose every row matches costs no more Python per row than one that matches nothing.
"""

import gc
import sys
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..distinct import changes, distinct, distinct_below
from ..extract.notes import Notes
from ..extract.readers.blocks import FIRST_RECORDS
from ..extract.readers.spans import CellSpans
from ..fingerprint import FLAG_CANARY, KIND_NAMES, TokenSketch, Tokenizer
from ..fingerprint.profile import profile_columns
from ..fingerprint.sketch import sample, whole
from ..fingerprint.tokens import NAME_DOB, fields_of
from ..pause_gc import paused_gc
from ..worker_heap import keep_freed_memory
from . import evidence
from ..fingerprint.weights import DEFAULTS
from .index import WEIGHTED_SLOTS
from .excerpt import excerpt_line, row_kinds
from .pool_pipes import widen_pipes

MEANWHILE_SWITCH_INTERVAL = 0.0005  # seconds: see Scanner._parallel
BATCH_RECORDS = 8192  # records per batch: big enough for numpy, small enough for flat memory
EVIDENCE_ROWS = 20    # dump row numbers kept per dataset as evidence
EXCERPT_ROWS = 3      # matched rows described (row number, kinds of fields) as the sighting's excerpt
_OWNER_SHIFT = np.uint64(40)  # pair key = dump record << 40 | global record id
_RECORD_MASK = np.uint64((1 << 40) - 1)
_COMPACT_AT = 1 << 20
PROFILE_SAMPLE = FIRST_RECORDS  # rows of a batch profiled to tell name columns from cities


@dataclass
class DatasetMatch:
    """What one dump holds of one registered dataset."""

    institution: str
    dataset: str
    records: int
    weak: int
    canaries: int
    fields: list
    matched_on: list
    rows: list = field(default_factory=list)
    chance: int = 0  # confirmed records that chance alone could explain in a dump this size
    # Record numbers in the dataset's fingerprint file (registry/positions.py), never in as_dict:
    # they go to the institution only, not into the sighting or a report.
    positions: np.ndarray | None = None
    weak_positions: np.ndarray | None = None
    table_rows: int = 0
    fingerprint_created_at: str = ""

    def as_dict(self) -> dict:
        return {
            "institution": self.institution,
            "dataset": self.dataset,
            "records": self.records,
            "records_low": max(self.records - self.chance, 0),
            "records_high": self.records + self.weak,
            "fields": self.fields,
            "matched_on": self.matched_on,
            "canaries": self.canaries,
            "evidence_rows": self.rows[:EVIDENCE_ROWS],
        }


@dataclass
class ScanOutcome:
    rows: int
    matches: list  # DatasetMatch with at least one confirmed record or canary
    sketch: TokenSketch
    tokens: int
    excerpt: list = field(default_factory=list)  # a few matched rows: number and kinds of fields (excerpt.py)
    errors: list = field(default_factory=list)   # blocks of lines that could not be read
    # what reading the blocks skipped, {note template: count}: the document's notes (extract Notes)
    notes: dict = field(default_factory=dict)


class BatchResult(NamedTuple):
    """What one batch contributes; small numpy arrays, cheap to send between processes."""

    rows: int
    tokens: int
    sample: np.ndarray         # the distinct sampled tokens, for the dump's MinHash (merged in the parent)
    fed: int                   # how many sampled tokens they stand for
    whole: np.ndarray | None   # all the distinct tokens, while the dump may be small (sketch.whole)
    confirmed: np.ndarray      # global record ids confirmed
    weak: np.ndarray           # global record ids with weak evidence
    datasets: np.ndarray       # per confirmed pair: its dataset
    field_bits: np.ndarray     # per confirmed pair: kinds of values of the dump record
    kinds_mask: np.ndarray     # per confirmed pair: kinds of evidence
    dump_rows: np.ndarray      # per confirmed pair: its record's number in the batch, from 1
    excerpt: list              # a few confirmed rows: (row in the batch from 1, kinds of their cells)
    error: str | None = None   # why a block of lines gave no records
    sure: np.ndarray | None = None  # global record ids confirmed far beyond chance (evidence.SURE_MARGIN)
    notes: dict | None = None  # what reading a block skipped: {note template: count} (extract Notes)


def _tokens(tokenizer, batch, columns):
    """Tokens of a batch under its columns' roles: (name slots, event-date columns), or None."""
    if columns is None:
        return tokenizer.batch(batch)
    name_slots, event_dates = columns
    return tokenizer.batch(batch, name_slots, event_dates)


def scan_batch(batch, index, tokenizer, columns) -> BatchResult:
    """Tokens, lookup and evidence for one batch of records: a pure function of its inputs.

    Row numbers in the result count from the batch's first record (1); merging places them.
    """
    tb = _tokens(tokenizer, batch, columns)
    sampled, fed = sample(tb.tokens)
    small = whole(tb.tokens, sampled)
    empty = np.empty(0, np.int64)
    query_pos, entries = index.lookup(tb.tokens) if len(tb.tokens) else (empty, empty)
    if not len(entries):
        return _nothing(len(batch), len(tb.tokens), sampled, fed, small)
    owners = tb.owners[query_pos].astype(np.uint64)
    records = index.record[entries].astype(np.uint64)
    kinds = index.kind[entries]
    pairs = (owners << _OWNER_SHIFT) | records
    # Groups are reduced with order-free operations. The C tokenizer gives a batch's tokens in
    # record order, so the hits come grouped by record (by owner, then in each run of the index):
    # a stable sort (timsort) finds the runs, where quicksort sorted them all again.
    order = np.argsort(pairs, kind="stable")
    pairs, kinds, slots = pairs[order], kinds[order], index.slot[entries][order]
    first = changes(pairs)  # hits are sorted by pair: a group starts wherever the pair changes
    starts = np.flatnonzero(first)
    groups = pairs[starts]
    mask = np.bitwise_or.reduceat(np.left_shift(1, kinds.astype(np.uint16)).astype(np.uint16), starts)
    group_owner = (groups >> _OWNER_SHIFT).astype(np.int64)
    group_record = (groups & _RECORD_MASK).astype(np.int64)
    group_dataset = index.dataset_of(group_record)
    # Distinct name fields per pair, (group, slot) among name-word hits, and what they weigh.
    named = kinds == NAME_DOB
    group_of_hit = np.cumsum(first) - 1
    name_keys = distinct(group_of_hit[named] * 256 + slots[named], kind="stable")  # sorted by group already
    key_group, key_slot = name_keys // 256, name_keys % 256
    slot_bits = np.where(key_slot < WEIGHTED_SLOTS,
                         index.name_weight[group_dataset[key_group] * WEIGHTED_SLOTS + np.minimum(key_slot, WEIGHTED_SLOTS - 1)],
                         DEFAULTS["name"])
    name_fields = np.bincount(key_group, minlength=len(groups))
    name_bits = np.bincount(key_group, weights=slot_bits, minlength=len(groups))
    name_max = np.zeros(len(groups))
    if len(key_group):
        key_starts = np.flatnonzero(changes(key_group))
        name_max[key_group[key_starts]] = np.maximum.reduceat(slot_bits, key_starts)
    score = evidence.scores(mask, name_bits, name_fields, tb.field_bits[group_owner], tb.has_postcode[group_owner],
                            index.flags[group_record], index.birth_weight[group_dataset],
                            index.postcode_weight[group_dataset], name_max)
    confirmed, weak, sure = evidence.verdicts(score, index.registered)
    owners_confirmed = group_owner[confirmed]
    excerpt = [(owner + 1, row_kinds(batch[owner], tokenizer.classify))
               for owner in distinct(owners_confirmed)[:EXCERPT_ROWS].tolist()]
    return BatchResult(
        len(batch), len(tb.tokens), sampled, fed, small,
        group_record[confirmed], group_record[weak], group_dataset[confirmed],
        tb.field_bits[owners_confirmed], mask[confirmed], owners_confirmed + 1, excerpt,
        sure=group_record[sure],
    )


def scan_job(job, index, tokenizer) -> BatchResult:
    """One job of a scan: a batch of records, or a block of lines parsed here first.

    A block (an item with a ``records()`` method, see extract/readers/blocks.py) is profiled
    like a batch: with the profile of the table so far if it has the same width.
    """
    batch, columns, profiled = job
    notes = None
    if not isinstance(batch, list):
        block = batch
        try:
            # As cell spans where the C tokenizer reads them (CSV and free-text blocks, spans.py),
            # else as lists of str.
            batch = (tokenizer.native and block.spans()) or block.records()
        except (MemoryError, RecursionError, UnicodeError, ValueError) as exc:
            return _nothing(0, error=f"a block of lines could not be read: {type(exc).__name__}")
        # What reading it skipped, to be reported with the document's own (JSON lines nested too deep)
        notes = block.notes.counts() if getattr(block, "notes", None) else None
        _, columns = profile_for(batch, profiled, tokenizer)
    try:
        result = scan_batch(batch, index, tokenizer, columns)
    except Exception as exc:  # noqa: BLE001 - see _scan_around
        result = _scan_around(batch, index, tokenizer, columns, exc)
    return result._replace(notes=notes) if notes else result


def _scan_around(batch, index, tokenizer, columns, exc) -> BatchResult:
    """A batch whose tokenizing raised, scanned without the records that make it raise.

    Such a record is a bug (a normalizer meeting a value it did not foresee: '0000000²' was
    one), not bad input to refuse: it is left out as an empty record, so the others keep their
    row numbers, and the dump's report says how many were left out. The message names the
    exception's type only: its text could quote the value.
    """
    kept, left_out = [], 0
    for record in batch:
        try:
            _tokens(tokenizer, [record], columns)
        except Exception:  # noqa: BLE001
            kept.append([])
            left_out += 1
        else:
            kept.append(record)
    reason = f"{type(exc).__name__} while reading values"
    try:
        result = scan_batch(kept, index, tokenizer, columns) if left_out else None
    except Exception:  # noqa: BLE001 - the records fail only together: the batch is lost, not the dump
        result = None
    if result is None:
        return _nothing(len(batch), error=f"a batch of {len(batch)} records was left out: {reason}")
    return result._replace(error=f"{left_out} record(s) left out: {reason}")


_NO_TOKENS = np.empty(0, np.uint64)


def _nothing(rows: int, tokens: int = 0, sampled=_NO_TOKENS, fed: int = 0, small=_NO_TOKENS,
             error: str | None = None) -> BatchResult:
    """A batch with no match."""
    empty = np.empty(0, np.int64)
    return BatchResult(rows, tokens, sampled, fed, small, empty, empty, empty,
                       empty.astype(np.uint16), empty.astype(np.uint16), empty, [], error)


def profile_for(batch, profiled, tokenizer):
    """(profiled, columns) for a batch: which columns of a table give name words, and which
    hold event dates rather than birth dates (see profile.py).

    A city, a doctor, a category give no name words and a sampling day no combination: the
    registry holds none of them, so hashing them would only cost time and make chance
    agreements. Prose and ragged rows keep every name cell and date. ``profiled`` is (table
    width, columns) of the batches before: a stream of batches of one table is one table,
    profiled once.
    """
    widths = batch.widths(PROFILE_SAMPLE) if isinstance(batch, CellSpans) else {len(row) for row in batch[:PROFILE_SAMPLE]}
    if len(widths) != 1 or widths == {1}:
        return profiled, None
    (width,) = widths
    if profiled[0] != width:
        try:
            profile = profile_columns(batch[:PROFILE_SAMPLE], tokenizer)
        except Exception:  # noqa: BLE001 - a value no normalizer foresaw: every name cell counts
            return profiled, None
        profiled = (width, ([0 if label == "name" else -1 for label in profile.labels], profile.event_dates))
    return profiled, profiled[1]


# The index and tokenizer a forked worker inherited from its parent (copy-on-write).
_WORKER = {}


def _worker_started():
    # A worker lives for one scan: cycles can wait for its exit. With the collector on, it
    # walked the tokenizer's cache between jobs (4 % of a scan's CPU).
    gc.disable()
    keep_freed_memory()


def _scan_in_worker(job):
    with paused_gc():
        return scan_job(job, _WORKER["index"], _WORKER["tokenizer"])


class Scanner:
    """Feeds records through tokenizer and index, weighing the evidence record by record.

    workers > 1 spreads batches over forked processes (for big inputs from the CLI: the
    work is CPU-bound); the result is the same as with one process. Records may come with
    blocks of unparsed lines among them (open_documents(..., blocks=True)): a block is parsed
    by the process that scans it, so the parent of a parallel scan does little but read.
    """

    def __init__(self, index, tokenizer: Tokenizer, batch_records: int = BATCH_RECORDS, workers: int = 1,
                 pools_to_end: list | None = None):
        """pools_to_end: a list that takes the workers' pool once every result is in, for the
        caller to end (terminate) once it has answered; None: ended here. Ending the workers and
        the pool's threads takes 5 ms that the scan service's client need not wait for."""
        if workers < 1:
            raise ValueError("workers must be 1 or more")
        self.index = index
        self.tokenizer = tokenizer
        self.batch_records = batch_records
        self.workers = workers
        self.pools_to_end = pools_to_end

    def scan(self, records, progress=None, meanwhile=None) -> ScanOutcome:
        """meanwhile: a call of the caller's own, made once the workers are scanning (not at all
        with none): what it waits for then costs the scan nothing while they have work."""
        with paused_gc():
            state = _ScanState(self.index)
            batches = self._batches(records, state)
            if self.workers > 1:
                results = self._parallel(batches, meanwhile)
            else:
                results = (scan_job(job, self.index, self.tokenizer) for job in batches)
            for result in results:
                state.merge(result)
                if progress:
                    progress(result.rows)
            return ScanOutcome(state.rows, state.results(), state.sketch(), state.tokens, state.excerpt, state.errors,
                               state.notes.counts())

    def _batches(self, records, state):
        """Jobs (batch, name columns, profile): records in batches; a block of lines is a job of its own."""
        batch = []
        for cells in records:
            if not isinstance(cells, list) and hasattr(cells, "records"):  # lines, parsed where scanned
                if batch:
                    yield batch, state.columns(batch, self.tokenizer), None
                    batch = []
                yield cells, None, state.profiled
                continue
            batch.append(cells)
            if len(batch) >= self.batch_records:
                yield batch, state.columns(batch, self.tokenizer), None
                batch = []
        if batch:
            yield batch, state.columns(batch, self.tokenizer), None

    def _parallel(self, batches, meanwhile=None):
        import multiprocessing

        batches = iter(batches)
        first = next(batches, None)
        if first is None:
            return
        # A single batch is not worth a process.
        second = next(batches, None)
        if second is None:
            yield scan_job(first, self.index, self.tokenizer)
            return
        self.index.prepare_lookups()
        _WORKER.update(index=self.index, tokenizer=self.tokenizer)
        context = multiprocessing.get_context("fork")
        pool = context.Pool(self.workers, initializer=_worker_started)
        every_result = False
        try:
            widen_pipes(pool)  # a block, a result: one write each way (pool_pipes.py)
            # imap keeps order; the pipe to the workers bounds the batches in flight. Its own
            # thread reads the input and hands the batches out, here and while `meanwhile` runs.
            results = pool.imap(_scan_in_worker, _chain(first, second, batches), chunksize=1)
            if meanwhile is not None:
                # That thread reads the file a block at a time, giving the interpreter up at each
                # read: with the default switch interval it would then wait up to 5 ms to get it
                # back from `meanwhile` at every block, and the workers would wait for blocks.
                interval = sys.getswitchinterval()
                sys.setswitchinterval(MEANWHILE_SWITCH_INTERVAL)
                try:
                    meanwhile()
                finally:
                    sys.setswitchinterval(interval)
            yield from results
            every_result = True
        finally:
            _WORKER.clear()
            if every_result and self.pools_to_end is not None:
                self.pools_to_end.append(pool)
            else:
                pool.terminate()


def _chain(first, second, rest):
    yield first
    yield second
    yield from rest


class _ScanState:
    def __init__(self, index):
        self.index = index
        self.rows = 0
        self.tokens = 0
        self._sketch = None  # made at the first merge: after the workers are forked (see sketch.new_minhash)
        self._confirmed = []
        self._weak = []
        self._sure = []
        self._pending = 0
        self._fields = {}     # dataset -> field bits
        self._kinds = {}      # dataset -> token kind bits
        self._rows = {}       # dataset -> dump row numbers (evidence)
        self.profiled = (None, None)  # (table width, name columns), see profile_for
        self.excerpt = []
        self.errors = []
        self.notes = Notes()  # what reading the blocks skipped (their document's notes)

    def sketch(self) -> TokenSketch:
        if self._sketch is None:
            self._sketch = TokenSketch()
        return self._sketch

    def columns(self, batch, tokenizer):
        self.profiled, columns = profile_for(batch, self.profiled, tokenizer)
        return columns

    def merge(self, result: BatchResult) -> None:
        if result.error:
            self.errors.append(result.error)
        for template, count in (result.notes or {}).items():
            self.notes.add(template, count)
        first_row = self.rows
        self.rows += result.rows
        self.tokens += result.tokens
        if result.fed:
            self.sketch().add_sample(result.sample, result.fed)
        if result.whole is None or len(result.whole):
            self.sketch().add_whole(result.whole)
        if len(result.confirmed) or len(result.weak):
            self.add(result.confirmed, result.weak, result.sure)
        if len(result.confirmed):
            self.note(result.datasets, result.field_bits, result.kinds_mask, result.dump_rows + first_row)
        if len(self.excerpt) < EXCERPT_ROWS:
            self.excerpt.extend(excerpt_line(row + first_row, kinds)
                                for row, kinds in result.excerpt[: EXCERPT_ROWS - len(self.excerpt)])

    def add(self, confirmed: np.ndarray, weak: np.ndarray, sure=None) -> None:
        self._confirmed.append(confirmed)
        self._weak.append(weak)
        if sure is not None and len(sure):
            self._sure.append(sure)
        self._pending += len(confirmed) + len(weak)
        if self._pending > _COMPACT_AT:
            # Keep memory bounded by the registry's size, not the dump's.
            self._confirmed = [distinct(np.concatenate(self._confirmed))]
            self._weak = [distinct(np.concatenate(self._weak))]
            if self._sure:
                self._sure = [distinct(np.concatenate(self._sure))]
            self._pending = len(self._confirmed[0]) + len(self._weak[0])

    def note(self, datasets, field_bits, kinds_mask, rows) -> None:
        """Per dataset of a batch's confirmed pairs: the kinds of fields and of evidence seen, and
        the first dump rows kept as evidence. Grouped by one sort rather than a mask per dataset:
        with 30 datasets that was 3,000 numpy calls in the parent for a 20-block file."""
        if not len(datasets):
            return
        order = np.argsort(datasets, kind="stable")
        ordered = datasets[order]
        starts = np.flatnonzero(changes(ordered))
        ends = starts[1:].tolist() + [len(ordered)]
        fields = np.bitwise_or.reduceat(field_bits[order], starts).tolist()
        kinds = np.bitwise_or.reduceat(kinds_mask[order], starts).tolist()
        for n, (ds, start, end) in enumerate(zip(ordered[starts].tolist(), starts.tolist(), ends)):
            self._fields[ds] = self._fields.get(ds, 0) | fields[n]
            self._kinds[ds] = self._kinds.get(ds, 0) | kinds[n]
            kept = self._rows.setdefault(ds, [])
            if len(kept) < EVIDENCE_ROWS:
                kept.extend(distinct(rows[order[start:end]])[: EVIDENCE_ROWS - len(kept)].tolist())

    def results(self) -> list:
        index = self.index
        records = len(index.flags)
        confirmed = distinct_below(np.concatenate(self._confirmed), records) if self._confirmed else np.empty(0, np.int64)
        weak = distinct_below(np.concatenate(self._weak), records) if self._weak else np.empty(0, np.int64)
        weak = np.setdiff1d(weak, confirmed, assume_unique=True)
        canary = (index.flags[confirmed] & FLAG_CANARY) != 0
        weak = weak[(index.flags[weak] & FLAG_CANARY) == 0]
        n = len(index.datasets)
        # Canaries are planted people: they prove the leak, but are not records at stake.
        real_counts = np.bincount(index.dataset_of(confirmed[~canary]), minlength=n)
        canary_counts = np.bincount(index.dataset_of(confirmed[canary]), minlength=n)
        weak_counts = np.bincount(index.dataset_of(weak), minlength=n)
        # Records confirmed far beyond the threshold (a NIR, an e-mail) are never chance's work:
        # the allowance for chance is taken from the others only.
        sure = distinct_below(np.concatenate(self._sure), records) if self._sure else np.empty(0, np.int64)
        sure = sure[(index.flags[sure] & FLAG_CANARY) == 0]
        sure_counts = np.bincount(index.dataset_of(sure), minlength=n)
        found = []
        registered = index.registered
        sizes = np.diff(index.offsets)
        confirmed_ds, weak_ds = index.dataset_of(confirmed), index.dataset_of(weak)
        for ds in np.nonzero(real_counts + canary_counts)[0].tolist():
            meta = index.datasets[ds]
            kinds = self._kinds.get(ds, 0)
            chance = min(evidence.chance_allowance(evidence.chance_records(self.rows, registered, int(sizes[ds]))),
                         int(real_counts[ds] - sure_counts[ds]))
            if real_counts[ds] <= chance and not canary_counts[ds]:
                continue  # no more than chance would confirm in a dump this large: not a match
            found.append(DatasetMatch(
                institution=meta["institution"],
                dataset=meta["dataset"],
                records=int(real_counts[ds]),
                weak=int(weak_counts[ds]),
                canaries=int(canary_counts[ds]),
                fields=sorted(fields_of(self._fields.get(ds, 0))),
                matched_on=sorted(name for code, name in KIND_NAMES.items() if kinds & (1 << code)),
                rows=sorted(self._rows.get(ds, [])),
                chance=chance,
                positions=(confirmed[confirmed_ds == ds] - index.offsets[ds]).astype(np.uint32),
                weak_positions=(weak[weak_ds == ds] - index.offsets[ds]).astype(np.uint32),
                table_rows=int(meta.get("rows", sizes[ds])),
                fingerprint_created_at=str(meta.get("fingerprint_created_at") or ""),
            ))
        return sorted(found, key=lambda m: (-m.records, m.institution, m.dataset))
