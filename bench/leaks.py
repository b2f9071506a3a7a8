"""The queue of leaks against the match queue it groups, with many matched sightings stored.

    python -m bench.leaks [FAMILIES]        # default 500 dump families of 4 sightings each

Stores FAMILIES families (a dump and three reposts: the same tokens, other bytes, so each is
linked to the first by MinHash), each matching one to three institutions, through the same
SightingStore.record + MatchQueue path as a scan. Then times, three times each:
- the first `leaks list`: it files every matched sighting (the cost a deployment pays once,
  when it upgrades, and then a few sightings at a time);
- a `leaks list` page afterwards, against a `queue list` page (the baseline: one ZREVRANGE);
- a text search (it reads every leak of the states asked for).
Prints one line per case and the rows each queue shows.
"""

import sys
import time
import uuid
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out" / "leaks"
REPOSTS = 3          # three reposts per dump: the demo showed a file repeated once per scan and once more per repost
PER_INSTITUTION = (1, 2, 3)


def fill(runtime, families: int) -> int:
    from leakwatch.matchers.fingerprint import TokenSketch

    rng = np.random.default_rng(19)
    store, queue = runtime.sightings, runtime.queue
    stored = 0
    for f in range(families):
        tokens = rng.integers(0, 2**64 - 1, 400, dtype=np.uint64, endpoint=True)
        labs = [f"labo-{(f + i) % 30:02d}" for i in range(PER_INSTITUTION[f % 3])]
        matches = [{"institution": lab, "dataset": "patients", "records": 50 + f % 200, "records_low": 50 + f % 200,
                    "records_high": 52 + f % 200, "canaries": 0, "fields": ["email", "name", "nir"]} for lab in labs]
        for copy in range(1 + REPOSTS):
            sketch = TokenSketch()
            sketch.update(rng.permutation(tokens))
            store.record(name=f"dump-{f}-{copy}.csv", sha256=uuid.uuid4().hex * 2, rows=400, fmt="csv",
                         matches=matches, sketch=sketch, source=("paste-site", "forum")[copy % 2],
                         url=f"http://paste.test/raw/{f}-{copy}", queue=queue)
            stored += 1
    return stored


def timed(fn, runs: int = 3) -> tuple[list, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(round((time.perf_counter() - started) * 1000, 1))
    return times, result


def main(argv=None) -> None:
    from bench.speed import runtime_for

    families = int((argv or sys.argv[1:] or ["500"])[0])
    runtime = runtime_for(OUT / "home", namespace=f"bench-leaks-{uuid.uuid4().hex[:8]}")
    started = time.perf_counter()
    sightings = fill(runtime, families)
    print(f"stored {sightings} sightings in {families} families: {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    _, total = runtime.leaks.list(limit=50)
    print(f"first leaks list (files {sightings} sightings): {time.perf_counter() - started:.2f} s")
    leak_ms, (_, leaks) = timed(lambda: runtime.leaks.list(limit=50))
    match_ms, (_, matches) = timed(lambda: runtime.queue.list(states=("new",), limit=50))
    search_ms, (_, found) = timed(lambda: runtime.leaks.list(states=("new", "confirmed", "dismissed"),
                                                            text="raw/7-", limit=50))
    print(f"rows to review: {matches} matches -> {leaks} leaks ({matches / max(leaks, 1):.1f}x fewer)")
    print(f"leaks list page: {leak_ms} ms; queue list page (baseline): {match_ms} ms; "
          f"ratio {min(leak_ms) / max(min(match_ms), 0.01):.1f}x")
    print(f"text search over {leaks} leaks: {search_ms} ms ({found} found)")


if __name__ == "__main__":
    main()
