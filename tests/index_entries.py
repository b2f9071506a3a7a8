"""What a token index returns, in a form two indexes can be compared by (tests of the index's
refresh, snapshot and cluster behaviour)."""

import numpy as np


def entries_seen(index, queries) -> np.ndarray:
    """Every (query, dataset, generation, record in it, kind, slot, flags) the index returns for
    `queries`, sorted: all a scan learns from it, whatever the positions and record numbering."""
    at, entries = index.lookup(queries)
    records = index.record[entries]
    ds = index.dataset_of(records)
    ids = np.array([m["id"] for m in index.datasets] or [""])
    generations = np.array([m["generation"] for m in index.datasets] or [0])
    out = np.empty(len(at), dtype=[("q", "i8"), ("ds", "U80"), ("gen", "i8"), ("rid", "i8"), ("kind", "u1"),
                                   ("slot", "u1"), ("flags", "u1")])
    out["q"], out["ds"], out["gen"] = at, ids[ds], generations[ds]
    out["rid"] = records - index.offsets[ds]
    out["kind"], out["slot"], out["flags"] = index.kind[entries], index.slot[entries], index.flags[records]
    return np.sort(out)
