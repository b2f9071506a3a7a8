"""MinHash LSH for sightings: the banding of datasketch's MinHashLSH, held in sorted arrays.

Two MinHashes are candidates when all `rows` hash values of at least one of `bands` bands are
equal: what datasketch's MinHashLSH answers, with the same bands. It keeps a dict per band
and inserts one MinHash at a time: 64 dict inserts and byte copies, about 0.4 ms a sighting.
Every process reads all sightings from Redis once before its first query, so a `leakwatch
scan` waited 2 s at 10,000 sightings, and twice that once small dumps had two sketches.

Here a band's values are mixed into one 64-bit key (the band's number mixed in too), and
the keys of all bands of all MinHashes are one sorted array: 10,000 sightings are indexed
in one sort. A query is two searchsorted calls over its own 64 keys. Inserts after that
wait in a small unsorted table (a buffer of MERGE_AT rows), compared whole, until it is full
and merged. A key collision of two different bands (2^-64) only adds a candidate, and
candidates are checked by their Jaccard similarity anyway.

Safe to share between threads: a lock covers every read and write.
"""

import threading

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MUL = np.uint64(0xBF58476D1CE4E5B9)
_SHIFT = np.uint64(31)
MERGE_AT = 2048  # MinHashes waiting unsorted before they are merged into the sorted table


def band_keys(hashvalues: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One uint64 key per band of each MinHash (rows of `hashvalues`): (n, bands).

    Equal bands give equal keys; different ones, different keys but with probability 2^-64.
    """
    hv = np.asarray(hashvalues, dtype=np.uint64)
    hv = hv.reshape(-1, hv.shape[-1])[:, : bands * rows].reshape(-1, bands, rows)
    keys = np.repeat((np.arange(1, bands + 1, dtype=np.uint64) * _MIX)[None, :], len(hv), axis=0)
    for row in range(rows):
        keys ^= hv[:, :, row]
        keys *= _MUL
        keys ^= keys >> _SHIFT
    return keys


class BandIndex:
    """Named MinHashes (their hash values), queried for the names that share a band."""

    def __init__(self, bands: int, rows: int):
        if bands < 1 or rows < 1:
            raise ValueError("bands and rows must be positive")
        self.bands = bands
        self.rows = rows
        self._lock = threading.Lock()
        self._names: list = []  # entry number -> name, None once removed
        self._entry: dict = {}  # name -> entry number
        self._keys = np.empty(0, np.uint64)  # sorted band keys of the merged entries
        self._owners = np.empty(0, np.int64)  # the entry of each
        self._waiting_keys = np.empty((MERGE_AT, bands), np.uint64)  # band keys of entries not merged yet
        self._waiting_entries = np.empty(MERGE_AT, np.int64)
        self._waiting = 0
        self._removed = 0

    def __contains__(self, name) -> bool:
        return name in self._entry

    def __len__(self) -> int:
        return len(self._entry)

    def insert(self, name: str, hashvalues) -> None:
        self.insert_many([name], np.asarray(hashvalues, dtype=np.uint64)[None, :])

    def insert_many(self, names: list, hashvalues: np.ndarray) -> None:
        """Index MinHashes: `hashvalues` has one row per name."""
        hashvalues = np.asarray(hashvalues, dtype=np.uint64)
        if hashvalues.ndim != 2 or len(hashvalues) != len(names) or hashvalues.shape[1] < self.bands * self.rows:
            raise ValueError(f"one row of at least {self.bands * self.rows} hash values per name is needed")
        if len(set(names)) != len(names):
            raise ValueError("a name is given twice")
        if not names:
            return
        keys = band_keys(hashvalues, self.bands, self.rows)
        with self._lock:
            taken = [name for name in names if name in self._entry]
            if taken:
                raise ValueError(f"already indexed: {taken[0]}")
            first = len(self._names)
            self._names.extend(names)
            self._entry.update((name, first + i) for i, name in enumerate(names))
            entries = np.arange(first, first + len(names), dtype=np.int64)
            end = self._waiting + len(names)
            if end > len(self._waiting_entries):
                self._merge(keys, entries)
            else:
                self._waiting_keys[self._waiting:end] = keys
                self._waiting_entries[self._waiting:end] = entries
                self._waiting = end

    def remove(self, name: str) -> None:
        with self._lock:
            entry = self._entry.pop(name)
            self._names[entry] = None
            self._removed += 1

    def query(self, hashvalues) -> list:
        """Names of the indexed MinHashes that share a band with this one, in insertion order."""
        keys = band_keys(hashvalues, self.bands, self.rows)[0]
        found = set()
        with self._lock:
            if len(self._keys):
                low = np.searchsorted(self._keys, keys, "left")
                high = np.searchsorted(self._keys, keys, "right")
                hit = high > low
                for start, end in zip(low[hit].tolist(), high[hit].tolist()):
                    found.update(self._owners[start:end].tolist())
            waiting = self._waiting_keys[: self._waiting]
            found.update(self._waiting_entries[: self._waiting][(waiting == keys).any(axis=1)].tolist())
            names = [self._names[entry] for entry in sorted(found)]
        return [name for name in names if name is not None]

    def _merge(self, keys: np.ndarray, entries: np.ndarray) -> None:
        """Sort the waiting entries and these into the table, leaving out removed ones (under the lock)."""
        count = self._waiting
        keys = np.concatenate([self._keys, self._waiting_keys[:count].ravel(), keys.ravel()])
        owners = np.concatenate([self._owners, np.repeat(self._waiting_entries[:count], self.bands),
                                 np.repeat(entries, self.bands)])
        if self._removed:
            alive = np.fromiter((name is not None for name in self._names), bool, len(self._names))
            kept = alive[owners]
            keys, owners = keys[kept], owners[kept]
            self._removed = 0
        order = np.argsort(keys, kind="stable")
        self._keys, self._owners = keys[order], owners[order]
        self._waiting = 0
