"""The in-process token index: every registered token in one sorted array.

A dump's tokens are looked up in batches with numpy's searchsorted, so a 200,000-row
dump costs a few vectorised passes rather than millions of Redis round trips. The
index is rebuilt only when the registry's version changes, and then reuses the arrays
of datasets whose generation did not change.
"""

import numpy as np

from ..fingerprint import TOKEN_DTYPE


class TokenIndex:
    """Sorted tokens of all registered datasets, with the dataset and record of each."""

    def __init__(self, datasets: list, tables: list):
        """datasets: metadata dicts; tables: matching (tokens, flags) arrays."""
        self.datasets = datasets
        self.flags = [flags for _, flags in tables]
        sizes = [len(tokens) for tokens, _ in tables]
        merged = np.concatenate([tokens for tokens, _ in tables]) if tables else np.empty(0, TOKEN_DTYPE)
        ds_of_entry = np.repeat(np.arange(len(tables), dtype=np.uint32), sizes)
        order = np.argsort(merged["token"], kind="stable")
        self.tokens = np.ascontiguousarray(merged["token"][order])
        self.ds = ds_of_entry[order]
        self.rid = np.ascontiguousarray(merged["rid"][order])
        self.kind = np.ascontiguousarray(merged["kind"][order])
        self.slot = np.ascontiguousarray(merged["slot"][order])

    def __len__(self) -> int:
        return len(self.tokens)

    def lookup(self, queries: np.ndarray):
        """Positions of queries that hit, and for each such position the range of entries."""
        left = np.searchsorted(self.tokens, queries, side="left")
        right = np.searchsorted(self.tokens, queries, side="right")
        hit = np.nonzero(right > left)[0]
        return hit, left[hit], right[hit]


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
