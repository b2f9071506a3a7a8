"""Everything the CLI writes: institutions' tables, strangers, leaks, reposts, truth document."""

from pathlib import Path

from .people import make_institutions, make_strangers
from .scenarios import build_scenarios, repost_of, write_table

REPOST_SOURCE = "merged_20"    # the repost check needs a dump that is scanned first


def generate(out, rows=2000, institutions=30, seed=2021, needle_strangers=None) -> dict:
    """Write everything under `out` and return the truth.json document (paths relative to out)."""
    out = Path(out)
    (out / "institutions").mkdir(parents=True, exist_ok=True)
    insts = make_institutions(institutions, rows=rows, seed=seed)
    tables = {}
    for inst in insts:
        tables[inst.name] = write_table(out / "institutions" / f"{inst.name}.csv", inst.rows)
    # A table of strangers for whoever needs hard negatives outside the scenarios.
    write_table(out / "strangers.csv", make_strangers(2000, f"{seed}:table", exclude=insts))
    kwargs = {} if needle_strangers is None else {"needle_strangers": needle_strangers}
    scenarios = build_scenarios(out / "leaks", insts, seed, **kwargs)
    source = next(s for s in scenarios if s.name == REPOST_SOURCE).paths[0]
    repost = repost_of(source, seed)
    rel = lambda p: str(Path(p).relative_to(out))  # noqa: E731
    return {
        "seed": seed, "rows": rows,
        "institutions": {name: rel(p) for name, p in tables.items()},
        "strangers": "strangers.csv",
        "scenarios": {s.name: {"paths": [rel(p) for p in s.paths], "truth": s.truth,
                               "description": s.description} for s in scenarios},
        "reposts": [{"source": rel(source), "repost": rel(repost)}],
    }
