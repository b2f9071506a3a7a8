"""The in-process token index: every registered token in one sorted array.

A dump's tokens are looked up in batches with numpy's searchsorted, so a 200,000-row
dump costs a few vectorised passes rather than millions of Redis round trips. The
index is rebuilt only when the registry's version changes, and then reuses the arrays
of datasets whose generation did not change.

Registered records are numbered across datasets ("global record ids"): dataset d owns
ids offsets[d] .. offsets[d+1]-1, so one integer names a (dataset, record) pair.
"""

import numpy as np

from ..fingerprint import TOKEN_DTYPE


class TokenIndex:
    """Sorted tokens of all registered datasets, with the global record id of each."""

    def __init__(self, datasets: list, tables: list):
        """datasets: metadata dicts; tables: matching (tokens, flags) arrays."""
        self.datasets = datasets
        counts = np.array([len(flags) for _, flags in tables], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.flags = np.concatenate([flags for _, flags in tables]) if tables else np.empty(0, np.uint8)
        merged = np.concatenate([tokens for tokens, _ in tables]) if tables else np.empty(0, TOKEN_DTYPE)
        sizes = [len(tokens) for tokens, _ in tables]
        base = np.repeat(self.offsets[:-1], sizes)
        order = np.argsort(merged["token"], kind="stable")
        self.tokens = np.ascontiguousarray(merged["token"][order])
        self.record = (base[order] + merged["rid"][order]).astype(np.int64)
        self.kind = np.ascontiguousarray(merged["kind"][order])
        self.slot = np.ascontiguousarray(merged["slot"][order])

    def __len__(self) -> int:
        return len(self.tokens)

    def dataset_of(self, records: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.offsets, records, side="right") - 1

    def lookup(self, queries: np.ndarray):
        """For each (query, matching entry) pair: the query's position and the entry's position."""
        if not len(self.tokens) or not len(queries):
            empty = np.empty(0, np.int64)
            return empty, empty
        # Sorted keys let searchsorted walk the index in order instead of jumping about
        # it at random (measured 4x faster on a 2M-token index).
        order = np.argsort(queries, kind="stable")
        ordered = queries[order]
        left = np.searchsorted(self.tokens, ordered, side="left")
        found = self.tokens[np.minimum(left, len(self.tokens) - 1)] == ordered
        hit = np.nonzero(found)[0]
        if not len(hit):
            empty = np.empty(0, np.int64)
            return empty, empty
        lefts = left[hit]
        # Most tokens appear once; a shared phone or a name word + date can appear many times.
        counts = np.searchsorted(self.tokens, ordered[hit], side="right") - lefts
        starts = np.cumsum(counts) - counts
        entries = np.repeat(lefts - starts, counts) + np.arange(int(counts.sum()))
        hit = order[hit]
        return np.repeat(hit, counts), entries


class IndexCache:
    """Keeps a `TokenIndex` in step with a `RedisRegistry`."""

    def __init__(self, registry):
        self.registry = registry
        self._version = None
        self._index = None
        self._tables = {}  # ds id -> (generation, tokens, flags)

    def get(self) -> TokenIndex:
        version = self.registry.version()
        if self._index is not None and version == self._version:
            return self._index
        for _attempt in range(5):
            datasets, tables, fresh = [], [], {}
            complete = True
            for meta in self.registry.datasets():
                cached = self._tables.get(meta["id"])
                if cached and cached[0] == meta["generation"]:
                    table = cached[1:]
                else:
                    table = self.registry.load(meta["id"], meta["generation"])
                    if table is None:  # replaced while we read: read the registry again
                        complete = False
                        break
                fresh[meta["id"]] = (meta["generation"], *table)
                datasets.append(meta)
                tables.append(table)
            if complete:
                break
        self._tables = fresh
        self._index = TokenIndex(datasets, tables)
        self._version = version
        return self._index
