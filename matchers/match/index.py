"""The in-process token index: every registered token in sorted arrays.

A dump's tokens are looked up in batches, sorted, against the sorted index (in C, _find.c,
or with numpy's searchsorted), so a 200,000-row dump costs a few passes rather than millions
of Redis round trips.

Registered records are numbered across datasets ("global record ids"): the dataset at
position d owns ids offsets[d] .. offsets[d+1]-1, so one integer names a (dataset, record) pair.

The index follows the registry by what changed, not by rebuilding it. Its entries sit in two
sorted runs, both looked up: the main run, and a small delta run that takes the tokens of the
datasets registered since the last merge. A dataset removed, or registered again, is masked
(its position marked dead) and the new generation gets a new position at the end. When the
delta run and the dead entries grow past a fraction of the main run, a merge folds the delta
into the main run, drops the dead entries and renumbers the records, without sorting again.
So a registration costs the sort of its own tokens and a copy of the delta run (bounded by that
fraction), and the merges, amortised, some 300 bytes copied per token registered; nothing of
it grows with the number of datasets. An index object never changes once built (the arrays
that only grow are shared, each index reading its own prefix): a scan keeps the one it started
with while the cache moves on.
"""

import functools
import threading
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..fingerprint.weights import BIRTH_DATE, DEFAULTS, NAMES, POSTCODE
from ..registry.names import RegistryError
from .snapshot import load_index, save_index

try:
    from . import _find as _native
except ImportError:  # not built (no compiler at install time): numpy's searchsorted does it
    _native = None

# The delta run and the dead entries are merged away once they pass 1/MERGE_FRACTION of the
# main run (or MERGE_MIN entries, for a small registry): a registration then copies at most
# that fraction of the index (about 16 MB at 100,000 datasets of 20 records), and a merge,
# which copies it all, comes once every that-many registered tokens.
MERGE_FRACTION = 16
MERGE_MIN = 1 << 16
# Reads of a dataset that was replaced while it was read, before giving up.
READ_ATTEMPTS = 5


class _Run(NamedTuple):
    """Index entries sorted by token."""

    tokens: np.ndarray  # uint64, sorted
    record: np.ndarray  # int64, global record id
    kind: np.ndarray    # uint8
    slot: np.ndarray    # uint8

    @classmethod
    def empty(cls) -> "_Run":
        return cls(np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0, np.uint8), np.empty(0, np.uint8))

    def take(self, keep: np.ndarray) -> "_Run":
        return _Run(*(column[keep] for column in self))


def _sorted_run(tables: list, bases: np.ndarray) -> _Run:
    """The entries of datasets' token tables, dataset n's records numbered from bases[n]."""
    if not tables:
        return _Run.empty()
    merged = np.concatenate([tokens for tokens, _ in tables]) if len(tables) > 1 else tables[0][0]
    base = np.repeat(np.asarray(bases, dtype=np.int64), [len(tokens) for tokens, _ in tables])
    order = np.argsort(merged["token"], kind="stable")
    return _Run(np.ascontiguousarray(merged["token"][order]),
                (base[order] + merged["rid"][order]).astype(np.int64),
                np.ascontiguousarray(merged["kind"][order]),
                np.ascontiguousarray(merged["slot"][order]))


def _merge(a: _Run, b: _Run) -> _Run:
    """Two sorted runs as one, in one pass (b's entries after a's of an equal token)."""
    if not len(b.tokens):
        return a
    if not len(a.tokens):
        return b
    at = np.searchsorted(a.tokens, b.tokens, side="right") + np.arange(len(b.tokens))
    from_a = np.ones(len(a.tokens) + len(b.tokens), dtype=bool)
    from_a[at] = False
    out = []
    for x, y in zip(a, b):
        column = np.empty(len(from_a), dtype=x.dtype)
        column[at] = y
        column[from_a] = x
        out.append(column)
    return _Run(*out)


def _find(tokens: np.ndarray, ordered: np.ndarray):
    """(position in `ordered`, position in `tokens`) of every equal pair; both are sorted.

    In C when the extension is built (_find.c: a forward walk that gallops from one query to
    the next); `_find_numpy` is the reference.
    """
    if _native is None or not len(tokens) or not len(ordered) or tokens.dtype != np.uint64 \
            or ordered.dtype != np.uint64:
        return _find_numpy(tokens, ordered)
    hits, entries = _native.find(np.ascontiguousarray(tokens), np.ascontiguousarray(ordered))
    return np.frombuffer(hits, np.int64), np.frombuffer(entries, np.int64)


def _directory(tokens: np.ndarray):
    """(bits, where each value of the tokens' top bits starts) for `_probe`: about eight tokens
    to a value of the top bits (one byte of directory a token, against the index's 18; four
    tokens a value made lookups no faster). None: no tokens, so no pair."""
    if not len(tokens):
        return None
    bits = min(30, max(1, len(tokens).bit_length() - 4))
    return bits, _native.directory(np.ascontiguousarray(tokens), bits)


def _probe(tokens: np.ndarray, directory, queries: np.ndarray):
    """(position in `queries`, position in `tokens`) of every equal pair, `queries` in any order:
    `_find` without sorting them first (_find.c's probe: three times faster for a batch's
    47,000 queries against a million tokens). `tokens` must be sorted."""
    if directory is None:
        empty = np.empty(0, np.int64)
        return empty, empty
    bits, table = directory
    hits, entries = _native.probe(np.ascontiguousarray(tokens), table, bits, queries)
    return np.frombuffer(hits, np.int64), np.frombuffer(entries, np.int64)


def _find_numpy(tokens: np.ndarray, ordered: np.ndarray):
    """`_find` with numpy's searchsorted."""
    empty = np.empty(0, np.int64)
    if not len(tokens):
        return empty, empty
    left = np.searchsorted(tokens, ordered, side="left")
    found = tokens[np.minimum(left, len(tokens) - 1)] == ordered
    hit = np.nonzero(found)[0]
    if not len(hit):
        return empty, empty
    lefts = left[hit]
    # Most tokens appear once; a shared phone or a name word + date can appear many times:
    # only those where the next entry is the same token are searched for their end.
    counts = np.ones(len(hit), np.int64)
    queries = ordered[hit]
    repeated = tokens[np.minimum(lefts + 1, len(tokens) - 1)] == queries
    repeated &= lefts + 1 < len(tokens)
    if repeated.any():
        counts[repeated] = np.searchsorted(tokens, queries[repeated], side="right") - lefts[repeated]
    starts = np.cumsum(counts) - counts
    entries = np.repeat(lefts - starts, counts) + np.arange(int(counts.sum()))
    return np.repeat(hit, counts), entries


class _Column:
    """One column of the entries of both runs, indexed by the entry positions `lookup`
    returns: the main run's first, then the delta run's."""

    __slots__ = ("main", "delta")

    def __init__(self, main: np.ndarray, delta: np.ndarray):
        self.main, self.delta = main, delta

    def __len__(self) -> int:
        return len(self.main) + len(self.delta)

    def __getitem__(self, entries):
        entries = np.asarray(entries)
        split = len(self.main)
        in_main = entries < split
        out = np.empty(entries.shape, dtype=self.main.dtype)
        out[in_main] = self.main[entries[in_main]]
        out[~in_main] = self.delta[entries[~in_main] - split]
        return out


_ALIVE = np.iinfo(np.int64).max
# Name fields with a weight of their own per dataset (slot = 4 x name column + piece): four
# name columns cover every table seen; a word of a field beyond gets the default weight.
WEIGHTED_SLOTS = 16


def _weights_of(datasets: list):
    """(birth date, postcode, name slots flattened WEIGHTED_SLOTS a dataset) weights of
    datasets' metadata, in bits (weights.py); defaults for a dataset registered without."""
    birth = np.full(len(datasets), DEFAULTS[BIRTH_DATE], dtype=np.float32)
    postcode = np.full(len(datasets), DEFAULTS[POSTCODE], dtype=np.float32)
    names = np.full((len(datasets), WEIGHTED_SLOTS), DEFAULTS["name"], dtype=np.float32)
    for n, meta in enumerate(datasets):
        weights = meta.get("weights") if isinstance(meta, dict) else None
        if not weights:
            continue
        birth[n], postcode[n] = weights[BIRTH_DATE], weights[POSTCODE]
        for slot, bits in weights.get(NAMES, {}).items():
            if int(slot) < WEIGHTED_SLOTS:
                names[n, int(slot)] = bits
    return birth, postcode, names.reshape(-1)


class _Buffer:
    """An array that grows at its end, with room to spare: each index sees its own prefix."""

    __slots__ = ("data", "size")

    def __init__(self, data: np.ndarray):
        self.data, self.size = data, len(data)

    def extend(self, values: np.ndarray) -> np.ndarray:
        end = self.size + len(values)
        if end > len(self.data):
            # A quarter more than needed: appends cost amortised O(1) a value.
            grown = np.empty(end + max(end // 4, 1024), dtype=self.data.dtype)
            grown[:self.size] = self.data[:self.size]
            self.data = grown
        self.data[self.size:end] = values
        self.size = end
        return self.data[:end]


class _Shared:
    """What an index and the indexes updated from it share, since it only grows: per dataset
    position its metadata, record offsets, entry count and the update that killed it (_ALIVE
    if none), per record its flags. An index reads its own prefix and, for deaths, compares
    with its own update number: later updates change nothing it sees."""

    def __init__(self, datasets: list, offsets, flags, entries, died, weights=None):
        self.datasets = list(datasets)
        self.offsets, self.flags = _Buffer(offsets), _Buffer(flags)
        self.entries, self.died = _Buffer(entries), _Buffer(died)
        self.weights = tuple(map(_Buffer, weights if weights is not None else _weights_of(self.datasets)))
        self.head = 0  # update number of the newest index on these arrays

    def add_weights(self, datasets: list) -> None:
        for buffer, values in zip(self.weights, _weights_of(datasets)):
            buffer.extend(values)


class _Prefix(Sequence):
    """The first n items of a list that grows."""

    __slots__ = ("items", "n")

    def __init__(self, items: list, n: int):
        self.items, self.n = items, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self.items[:self.n][i]
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return self.items[i % self.n]


class TokenIndex:
    """Sorted tokens of all registered datasets, with the global record id of each.

    `datasets[d]` is the metadata of the dataset at position d (at least its institution,
    dataset and generation); `alive[d]` is False once it was removed or replaced, and its
    entries are then never returned by `lookup`.
    """

    def __init__(self, datasets: list, tables: list):
        """A full build. datasets: metadata dicts; tables: matching (tokens, flags) arrays."""
        counts = np.array([len(flags) for _, flags in tables], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        flags = np.concatenate([flags for _, flags in tables]) if tables else np.empty(0, np.uint8)
        entries = np.array([len(tokens) for tokens, _ in tables], dtype=np.int64)
        shared = _Shared(datasets, offsets, flags, entries, np.full(len(datasets), _ALIVE, dtype=np.int64))
        self._set(shared, 0, _sorted_run(tables, offsets[:-1]), _Run.empty(), len(shared.datasets), 0)

    @classmethod
    def from_run(cls, datasets: list, offsets, entries, flags, run: _Run) -> "TokenIndex":
        """A full build from its parts, already sorted (an index snapshot read back)."""
        shared = _Shared(datasets, offsets, flags, entries, np.full(len(datasets), _ALIVE, dtype=np.int64))
        return cls._of(shared, 0, run, _Run.empty(), len(shared.datasets), 0)

    def _set(self, shared, update, main, delta, main_datasets, dead_entries):
        n = len(shared.datasets)
        self._shared = shared
        self._update = update
        self._died = shared.died.data[:n]
        self.datasets = _Prefix(shared.datasets, n)
        self.offsets = shared.offsets.data[:n + 1]
        self.flags = shared.flags.data[:self.offsets[-1]]
        self.entries = shared.entries.data[:n]  # per position: the dataset's entries
        # Per position: what an agreement on a birth date, a postcode, a name field says (bits).
        self.birth_weight = shared.weights[0].data[:n]
        self.postcode_weight = shared.weights[1].data[:n]
        self.name_weight = shared.weights[2].data[:n * WEIGHTED_SLOTS]
        self.main = main
        self.delta = delta
        self.main_datasets = main_datasets  # positions below this are in the main run, the others in the delta
        self.dead_entries = dead_entries    # entries still in the runs whose dataset is dead
        if len(delta.tokens):
            self.tokens, self.record, self.kind, self.slot = (_Column(m, d) for m, d in zip(main, delta))
        else:
            self.tokens, self.record, self.kind, self.slot = main

    @classmethod
    def _of(cls, *parts) -> "TokenIndex":
        index = cls.__new__(cls)
        index._set(*parts)
        return index

    @property
    def alive(self) -> np.ndarray:
        return self._died > self._update

    def __len__(self) -> int:
        """Entries that lookups can return (dead ones not counted)."""
        return len(self.main.tokens) + len(self.delta.tokens) - self.dead_entries

    @functools.cached_property
    def registered(self) -> int:
        """Registered records (canaries included) of the datasets alive in this index: the N
        the evidence threshold is chosen for (evidence.threshold)."""
        return int(np.diff(self.offsets)[self.alive].sum())

    def dataset_of(self, records: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.offsets, records, side="right") - 1

    def lookup(self, queries: np.ndarray):
        """For each (query, matching entry) pair: the query's position and the entry's position,
        in no particular order."""
        empty = np.empty(0, np.int64)
        if not len(queries) or not len(self.main.tokens) + len(self.delta.tokens):
            return empty, empty
        runs = (self.main, self.delta) if len(self.delta.tokens) else (self.main,)
        if _native is not None and queries.dtype == self.main.tokens.dtype == self.delta.tokens.dtype == np.uint64:
            queries = np.ascontiguousarray(queries)
            found = [_probe(run.tokens, directory, queries) for run, directory in zip(runs, self._directories)]
            order = None
        else:
            # Sorted keys let the lookup walk the index forward (see _find) instead of jumping
            # about it at random (with numpy's searchsorted, 4x faster on a 2M-token index).
            order = np.argsort(queries)  # the order among equal tokens does not matter
            ordered = queries[order]
            found = [_find(run.tokens, ordered) for run in runs]
        hit, entries = found[0]
        if len(found) > 1:  # the delta run's entries are numbered after the main run's
            hit = np.concatenate([hit, found[1][0]])
            entries = np.concatenate([entries, found[1][1] + len(self.main.tokens)])
        if order is not None:
            hit = order[hit]
        if self.dead_entries and len(entries):
            live = self._died[self.dataset_of(self.record[entries])] > self._update
            hit, entries = hit[live], entries[live]
        return hit, entries

    def prepare_lookups(self) -> None:
        """Make what lookups need now rather than at the first: a scan calls it before forking its
        workers, which then share it instead of each making its own."""
        self._directories  # noqa: B018 - made and kept by the cached property

    @functools.cached_property
    def _directories(self) -> tuple:
        """The main and delta runs' directories for `_probe`: made once an index (a few ms for
        a million tokens)."""
        return _directory(self.main.tokens), _directory(self.delta.tokens)

    # ------------------------------------------------------------------ changes

    def updated(self, gone: list, added: list) -> "TokenIndex":
        """A new index: this one with the datasets at positions `gone` dead and `added`
        ((metadata, (tokens, flags)) pairs) at new positions at the end, their tokens merged
        into the delta run. The main run and the per-dataset and per-record arrays are shared,
        not copied (appended to), so the cost follows the change and the delta run, not the
        registry; this index is left as it was."""
        shared = self._shared
        if shared.head != self._update or len(shared.datasets) != len(self.datasets):
            # Another index was updated from the same arrays: this one branches off with a copy.
            died = np.where(self._died > self._update, _ALIVE, self._died)
            shared = _Shared(list(self.datasets), self.offsets.copy(), self.flags.copy(), self.entries.copy(), died,
                             (self.birth_weight.copy(), self.postcode_weight.copy(), self.name_weight.copy()))
            shared.head = self._update
        update = self._update + 1
        shared.head = update
        gone = np.asarray(gone, dtype=np.int64)
        entries = shared.entries.extend(np.array([len(t) for _, (t, _) in added], dtype=np.int64))
        counts = np.array([len(f) for _, (_, f) in added], dtype=np.int64)
        offsets = shared.offsets.extend(self.offsets[-1] + np.cumsum(counts))
        if added:
            shared.flags.extend(np.concatenate([f for _, (_, f) in added]))
        died = shared.died.extend(np.full(len(added), _ALIVE, dtype=np.int64))
        died[gone] = update
        shared.datasets.extend(meta for meta, _ in added)
        shared.add_weights([meta for meta, _ in added])
        dead_entries = self.dead_entries + int(entries[gone].sum())
        delta = self.delta
        if (gone >= self.main_datasets).any():
            # The delta run is copied anyway: its dead entries go now.
            kept = delta.take(died[np.searchsorted(offsets, delta.record, side="right") - 1] > update)
            dead_entries -= len(delta.tokens) - len(kept.tokens)
            delta = kept
        first = len(self.datasets)
        delta = _merge(delta, _sorted_run([table for _, table in added], offsets[first:-1]))
        return TokenIndex._of(shared, update, self.main, delta, self.main_datasets, dead_entries)

    def wants_merge(self, merge_min: int = MERGE_MIN) -> bool:
        """Whether the delta run and dead entries have grown enough to be merged away."""
        return len(self.delta.tokens) + self.dead_entries > max(merge_min, len(self.main.tokens) // MERGE_FRACTION)

    def merged(self) -> "TokenIndex":
        """One run of live entries: the delta merged into the main run, dead entries dropped,
        dead positions gone and records renumbered (datasets keep their order)."""
        alive = self.alive
        live = np.flatnonzero(alive)
        counts = np.diff(self.offsets)
        main, delta = self.main, self.delta
        flags, offsets = self.flags, self.offsets
        if len(live) < len(alive):
            new_offsets = np.concatenate([[0], np.cumsum(counts[live])]).astype(np.int64)
            shift = np.zeros(len(alive), dtype=np.int64)
            shift[live] = new_offsets[:-1] - self.offsets[live]
            record_alive = np.repeat(alive, counts)
            record_shift = np.repeat(shift, counts)

            def renumber(run: _Run) -> _Run:
                run = run.take(record_alive[run.record])
                return run._replace(record=run.record + record_shift[run.record])

            main, delta = renumber(main), renumber(delta)
            flags, offsets = flags[record_alive], new_offsets
        datasets = [self.datasets[d] for d in live.tolist()]
        names = self.name_weight.reshape(-1, WEIGHTED_SLOTS)[live].reshape(-1)
        shared = _Shared(datasets, offsets.copy(), flags.copy(), self.entries[live],
                         np.full(len(live), _ALIVE, dtype=np.int64),
                         (self.birth_weight[live], self.postcode_weight[live], names))
        return TokenIndex._of(shared, 0, _merge(main, delta), _Run.empty(), len(live), 0)


def _positions(datasets) -> dict:
    """The id of each dataset -> its position in the index (IndexCache._where)."""
    return {meta["id"]: n for n, meta in enumerate(datasets)}


class IndexCache:
    """Keeps a `TokenIndex` in step with a `RedisRegistry`, reading only what changed.

    Each `get` asks the registry (one round trip) for its version and the datasets changed
    since the cached one, then reads those datasets alone and updates the index. It loads
    the whole registry at the first call, and again when the change log cannot tell what
    changed: the log was trimmed past the cached version, or started a new history (the
    registry was wiped, restored or migrated: a new epoch). `last_refresh` says what the
    last call did: "unchanged", "changes" or "full".
    """

    def __init__(self, registry, *, merge_min: int = MERGE_MIN, snapshot=None):
        """snapshot: a file where a full load is kept for the next process to start from
        (see snapshot.py); None: none."""
        if merge_min < 0:
            raise ValueError("merge_min must be 0 or more (entries of the delta run before it is merged)")
        self.registry = registry
        self.merge_min = merge_min
        self.snapshot = snapshot
        self._version = None
        self._epoch = None
        self._index = None
        self._where = {}  # id of a live dataset -> its position in the index
        self.last_refresh = None
        # The scans of a process's crawls run in threads with one cache: one refresh at a time,
        # since applying changes updates `_where` in place (the others then find it unchanged).
        self._lock = threading.Lock()

    def get(self) -> TokenIndex:
        with self._lock:
            return self._get()

    def _get(self) -> TokenIndex:
        if self._index is None and self.snapshot is not None:
            self._restore()
        state = self.registry.changes(self._version if self._index is not None else None)
        if self._index is not None and state.epoch == self._epoch and state.version == self._version:
            self.last_refresh = "unchanged"
            return self._index
        if self._index is None or state.epoch != self._epoch or state.ids is None:
            self._load_all()
            if self.snapshot is not None and state.epoch is not None:
                save_index(self.snapshot, self._index, state.version, state.epoch)
        else:
            self._apply(state.ids)
        self._version, self._epoch = state.version, state.epoch
        return self._index

    def unchecked(self):
        """The index the snapshot holds, without asking the registry what changed since; None with
        no snapshot, or once this cache has asked (get). What is scanned with it stands only if
        `current(index)` says so afterwards: a scan's workers can start on it while the store's
        client is made (DumpScanner.scan_path)."""
        with self._lock:
            if self._index is None and self.snapshot is not None:
                self._restore()
            return self._index if self.last_refresh == "snapshot" else None

    def current(self, index) -> bool:
        """Whether `index` is the registry's as it is now, asking it as get does. If the registry
        changed, the index brought up to date is kept as the snapshot, merged: the next process
        starts from it instead of finding the same changes."""
        with self._lock:
            self._get()
            if self._index is index:
                return True
            if self.last_refresh == "changes" and self.snapshot is not None and self._epoch is not None:
                self._index = self._index.merged()
                self._where = _positions(self._index.datasets)
                save_index(self.snapshot, self._index, self._version, self._epoch)
            return False

    def _restore(self) -> None:
        """Start from the snapshot, if one reads back; `get` then applies what changed since."""
        found = load_index(self.snapshot)
        if found is None:
            return
        header, a = found
        self._index = TokenIndex.from_run(header["datasets"], a["offsets"], a["entries"], a["flags"],
                                          _Run(a["tokens"], a["record"], a["kind"], a["slot"]))
        self._where = _positions(header["datasets"])
        self._version, self._epoch = header["version"], header["epoch"]
        self.last_refresh = "snapshot"

    def _load_all(self) -> None:
        heads = [h for h in self.registry.heads(self.registry.registered_ids()) if h is not None]
        loaded = self._read(heads)
        self._index = TokenIndex([head for head, _ in loaded], [table for _, table in loaded])
        self._where = {head["id"]: n for n, (head, _) in enumerate(loaded)}
        self.last_refresh = "full"

    def _apply(self, ids: list) -> None:
        index = self._index
        gone, changed = [], []
        for ds_id, head in zip(ids, self.registry.heads(ids)):
            at = self._where.get(ds_id)
            if at is not None and head is not None and index.datasets[at]["generation"] == head["generation"]:
                continue  # read at its latest generation already
            if at is not None:
                gone.append(at)
            if head is not None:
                changed.append(head)
        self.last_refresh = "changes"
        added = self._read(changed)
        if not gone and not added:
            return
        index = index.updated(gone, added)
        if index.wants_merge(self.merge_min):
            index = index.merged()
            self._where = _positions(index.datasets)
        else:
            for at in gone:
                del self._where[index.datasets[at]["id"]]
            start = len(index.datasets) - len(added)
            self._where.update((head["id"], start + n) for n, (head, _) in enumerate(added))
        self._index = index

    def _read(self, heads: list) -> list:
        """(head, (tokens, flags)) of each dataset; one replaced while it was read is read again
        at its new generation, one removed meanwhile is left out."""
        done, pending = [], heads
        for _attempt in range(READ_ATTEMPTS):
            tables = self.registry.load_many([(h["id"], h["generation"]) for h in pending])
            done.extend((head, table) for head, table in zip(pending, tables) if table is not None)
            stale = [head["id"] for head, table in zip(pending, tables) if table is None]
            if not stale:
                return done
            pending = [head for head in self.registry.heads(stale) if head is not None]
        raise RegistryError(f"{len(pending)} dataset(s) (first {pending[0]['id']}) changed {READ_ATTEMPTS} times "
                            f"while they were read; try again")
