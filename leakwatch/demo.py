"""`leakwatch demo`: the whole job on synthetic data, from nothing.

Institutions fingerprint their own tables on their premises (only .lwfp files leave),
the monitor registers them, then scans leaks derived from them with the distortions of
the 2021 lab file, plus hard negatives, and shows what it finds next to the truth.
The demo keeps its keys under a namespace of its own, so it never touches real data.
"""

import json
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

DEMO_INSTITUTIONS = 20   # merged_20 mixes twenty labs
DEMO_ROWS = 1000         # per lab: enough for realistic postcode and name statistics


def run_demo(settings, workdir=None) -> int:
    from bench.synth.generate import generate
    from matchers.extract import table_records
    from matchers.fingerprint import Fingerprint, fingerprint_records

    from .runtime import Runtime
    from .settings import Settings

    console = Console()
    workdir = Path(workdir) if workdir else settings.home_path / "demo"
    values = dict(settings.items())
    values["namespace"] = f"{settings.namespace}-demo"
    runtime = Runtime(Settings(values, settings.origins))
    console.print(f"[bold]leakwatch demo[/bold] — store {runtime.redis_url}, namespace {values['namespace']}, files in {workdir}")
    for stale in runtime.redis.scan_iter(f"{values['namespace']}:*", count=1000):
        runtime.redis.delete(stale)

    started = time.monotonic()
    truth = generate(workdir, rows=DEMO_ROWS, institutions=DEMO_INSTITUTIONS)
    (workdir / "truth.json").write_text(json.dumps(truth, indent=1))
    console.print(f"1. generated {DEMO_INSTITUTIONS} labs x {DEMO_ROWS} patients and {len(truth['scenarios'])} leaks "
                  f"({time.monotonic() - started:.1f}s)")

    started = time.monotonic()
    fingerprints = workdir / "fingerprints"
    fingerprints.mkdir(exist_ok=True)
    for name, table in truth["institutions"].items():
        fp = fingerprint_records(table_records(workdir / table), runtime.key, "patients")
        fp.save(fingerprints / f"{name}.lwfp")  # what the lab uploads
        runtime.registry.register(name, "patients", Fingerprint.load(fingerprints / f"{name}.lwfp"),
                                  key_id=runtime.key.key_id)
    console.print(f"2. each lab fingerprinted its table with the deployment key; the monitor registered "
                  f"{len(truth['institutions'])} .lwfp files ({time.monotonic() - started:.1f}s)")

    scanner = runtime.dump_scanner
    table = Table("leak", "rows", "format", "found (institution: records)", "truth", "verdict", title="3. scanning leaks")
    all_right = True
    for scenario, info in truth["scenarios"].items():
        for rel in info["paths"]:
            report = scanner.scan_path(workdir / rel, name=rel).as_dict()
            found = {m["institution"]: m["records"] for m in report["matches"]}
            expected = info["truth"]
            right = set(found) == set(expected) and all(
                abs(found[i] - n) <= max(1, 0.1 * n) for i, n in expected.items())
            all_right &= right
            table.add_row(scenario, str(report["rows"]), report["format"], _summary(found), _summary(expected),
                          "[green]right[/green]" if right else "[red]off[/red]")
    console.print(table)
    for pair in truth["reposts"]:
        scanner.scan_path(workdir / pair["source"], name=pair["source"])
        report = scanner.scan_path(workdir / pair["repost"], name=pair["repost"]).as_dict()
        linked = [s for s in report["similar_sightings"] if s["name"] == pair["source"]]
        console.print(f"4. repost {pair['repost']}: " + (
            f"linked to its first sighting {linked[0]['name']} (similarity {linked[0]['similarity']:.2f}, "
            f"containment {linked[0]['containment']:.2f})" if linked else "[red]not linked[/red]"))
        all_right &= bool(linked)
    console.print("[bold green]every leak attributed as expected[/bold green]" if all_right
                  else "[bold red]some leaks were not attributed as expected[/bold red]")
    return 0 if all_right else 1


def _summary(counts: dict) -> str:
    if not counts:
        return "-"
    items = sorted(counts.items())
    text = ", ".join(f"{k}: {v}" for k, v in items[:3])
    return text + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")
