"""Which of an institution's registered records a match found: their positions in its fingerprint file.

A position is a record number of the .lwfp the institution uploaded (0 = the first data row
of the table it fingerprinted; canary records follow the table's rows). It names a row only
for whoever holds the table: the monitor stores numbers, never who they are, and hands them
to the institution's own token only (web/api_response.py), for `leakwatch affected` to turn
into rows on the institution's premises.

Kept compact and bounded: each list is a sorted little-endian uint32 array (4 bytes a
record; the 491,840-patient case is 1.9 MB), at most MAX_POSITIONS long; what a bound
leaves out is counted in `skipped`, never dropped silently.

Key ({ns} = the namespace hash tag, so it commits in the match's own transaction and slot):
  {ns}:match:<id>:positions   hash: confirmed, weak (uint32 bytes), rows (the table's rows
                              when matched: a position at or past it is a canary),
                              fingerprint_created_at, skipped_confirmed, skipped_weak
"""

import numpy as np

from ..distinct import distinct
from .names import meta_prefix

# 4 MiB per list: every record of a registered dataset of a million people.
MAX_POSITIONS = 1 << 20


def _bounded(values, limit: int) -> tuple[bytes, int]:
    array = np.asarray(values if values is not None else (), dtype=np.int64)
    # distinct, not np.unique: in numpy 2.4 that imports numpy.ma (13 ms) in the process that
    # records a scan's first match
    array = array[array >= 0]
    if len(array) > 1 and not np.all(array[1:] > array[:-1]):  # a scan's come distinct and sorted already
        array = distinct(array)
    skipped = max(len(array) - limit, 0)
    return array[:limit].astype("<u4").tobytes(), skipped


class MatchPositions:
    def __init__(self, client, namespace: str = "lw", max_positions: int = MAX_POSITIONS):
        if int(max_positions) < 1:
            raise ValueError("max_positions must be 1 or more")
        self.client = client
        self.prefix = meta_prefix(namespace)
        self.max_positions = int(max_positions)

    def key(self, match_id: str) -> str:
        return f"{self.prefix}:match:{match_id}:positions"

    def write(self, match_id: str, confirmed, weak, *, rows: int, fingerprint_created_at: str = "", pipe=None) -> None:
        """Store a match's positions (in the caller's transaction when `pipe` is given)."""
        confirmed_bytes, skipped_confirmed = _bounded(confirmed, self.max_positions)
        weak_bytes, skipped_weak = _bounded(weak, self.max_positions)
        target = pipe if pipe is not None else self.client
        target.hset(self.key(match_id), mapping={
            "confirmed": confirmed_bytes, "weak": weak_bytes, "rows": int(rows),
            "fingerprint_created_at": fingerprint_created_at or "",
            "skipped_confirmed": skipped_confirmed, "skipped_weak": skipped_weak})

    def read(self, match_id: str) -> dict | None:
        """{"confirmed", "weak", "canaries": sorted int lists, "rows", "fingerprint_created_at",
        "skipped_confirmed", "skipped_weak"}, or None when the match has none stored (a match
        found by a release that did not keep them)."""
        raw = self.client.hgetall(self.key(match_id))
        if not raw:
            return None
        raw = {k.decode(): v for k, v in raw.items()}
        rows = int(raw.get("rows") or 0)
        confirmed = np.frombuffer(raw.get("confirmed") or b"", dtype="<u4").astype(np.int64)
        weak = np.frombuffer(raw.get("weak") or b"", dtype="<u4").astype(np.int64)
        return {
            "confirmed": confirmed[confirmed < rows].tolist(),
            "weak": weak[weak < rows].tolist(),
            # A canary is planted by the institution: it proves the leak and names nobody.
            "canaries": (confirmed[confirmed >= rows] - rows).tolist(),
            "rows": rows,
            "fingerprint_created_at": (raw.get("fingerprint_created_at") or b"").decode(),
            "skipped_confirmed": int(raw.get("skipped_confirmed") or 0),
            "skipped_weak": int(raw.get("skipped_weak") or 0),
        }
