"""Accuracy of `leakwatch scan` on the synthetic leaks, over (leak, institution) pairs.

    python -m bench.accuracy [--out DIR] [--seed S] [--rows N] [--json] [--check] [--keep]

Generates the institutions and leaks (world.synth), registers the institutions with the
real CLI in a fresh LEAKWATCH_HOME, scans every leak in one `leakwatch scan --json` process,
and scores each leak against its ground truth:
- recall: truth pairs (leak, institution) that leakwatch reported;
- precision: reported pairs that are in the truth;
- count error: |records - truth| / truth over the truth pairs; a missed pair counts 100 %.
Then it scans a repost of one dump and checks that `similar_sightings` names the dump.
The same run scores a naive baseline (exact raw NIR / e-mail / phone strings as the
institution's table writes them) so the figures read as a ratio against the obvious method.
"""

import argparse
import gzip
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from world.synth.generate import generate

REPO = Path(__file__).resolve().parent.parent
DATASET = "patients"
# The targets: every (leak, institution) pair found, no false attribution, and
# record counts within 10 % (median over pairs).
TARGET_RECALL, TARGET_PRECISION, TARGET_COUNT_ERROR = 1.0, 1.0, 0.10
SCAN_TIMEOUT = 900      # seconds for one scan process over all leaks: a hung CLI must not hang cron
CLI = [sys.executable, "-m", "leakwatch"]     # --cli replaces it (an installed console script, a stub)


class CliError(RuntimeError):
    pass


def cli_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAKWATCH_")}
    # Only LEAKWATCH_HOME: an inherited LEAKWATCH_REDIS_URL would point the bench at a
    # shared store and mix its registrations with real ones.
    env["LEAKWATCH_HOME"] = str(home)
    return env


def run_cli(args, env, timeout=300) -> subprocess.CompletedProcess:
    cmd = [*CLI, *map(str, args)]
    try:
        return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise CliError(f"{' '.join(cmd[:5])}... timed out after {timeout}s") from e


def register_all(doc: dict, data: Path, env: dict) -> None:
    for name, rel in doc["institutions"].items():
        proc = run_cli(["register", name, data / rel, "--dataset", DATASET], env)
        if proc.returncode != 0:
            raise CliError(f"leakwatch register {name} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")


def scan(paths, env) -> dict:
    """{resolved path: JSON result} for one `leakwatch scan --json` process over paths."""
    proc = run_cli(["scan", *paths, "--json"], env, timeout=SCAN_TIMEOUT)
    results = {}
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            obj = json.loads(line)
            results[str(Path(obj["file"]).resolve())] = obj
    if proc.returncode not in (0, 1, 2) or not results:
        raise CliError(f"leakwatch scan failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return results


def score(truth: dict, reported: dict, ranges: dict | None = None) -> dict:
    """Scores one leak. truth and reported: {institution: records}; ranges: {inst: (low, high)}."""
    found = set(truth) & set(reported)
    errors = [abs(reported.get(inst, 0) - n) / n for inst, n in truth.items()]
    return {
        "pairs": len(truth), "reported": len(reported), "found": len(found),
        "recall": len(found) / len(truth) if truth else 1.0,
        "precision": len(found) / len(reported) if reported else 1.0,
        "count_error_median": statistics.median(errors) if errors else None,
        "errors": errors,
        "in_range": sum(1 for i in found if ranges and ranges[i][0] <= truth[i] <= ranges[i][1]),
        "missed": sorted(set(truth) - found), "false": sorted(set(reported) - set(truth)),
    }


def reported_counts(results: list) -> tuple:
    """Sums matches over a leak's files and datasets: ({inst: records}, {inst: (low, high)}, errors)."""
    counts, ranges, errors = {}, {}, []
    for res in results:
        if res.get("error"):
            errors.append(f"{Path(res['file']).name}: {res['error']}")
        for m in res.get("matches", []):
            inst = m["institution"]
            counts[inst] = counts.get(inst, 0) + m["records"]
            low, high = ranges.get(inst, (0, 0))
            ranges[inst] = (low + m.get("records_low", m["records"]), high + m.get("records_high", m["records"]))
    return counts, ranges, errors


def total(scores: list) -> dict:
    pairs = sum(s["pairs"] for s in scores)
    reported = sum(s["reported"] for s in scores)
    found = sum(s["found"] for s in scores)
    errors = [e for s in scores for e in s["errors"]]
    return {"pairs": pairs, "reported": reported, "found": found,
            "recall": found / pairs if pairs else 1.0, "precision": found / reported if reported else 1.0,
            "count_error_median": statistics.median(errors) if errors else None}


def meets_target(s: dict) -> bool:
    err = s["count_error_median"]
    return (s["recall"] >= TARGET_RECALL and s["precision"] >= TARGET_PRECISION
            and (err is None or err <= TARGET_COUNT_ERROR))


def fmt(s: dict) -> str:
    err = "-" if s["count_error_median"] is None else f"{s['count_error_median']:.1%}"
    return f"recall {s['recall']:.2f} precision {s['precision']:.2f} count error median {err} ({s['pairs']} pairs)"


# --- naive baseline: exact raw values, in-process -------------------------------------------

_CELL_SPLIT = re.compile(r"[,;\t|\n\r\"(){}\[\]]|:(?=\S)|\\'|'")


def naive_index(doc: dict, data: Path) -> dict:
    """{raw NIR / e-mail / phone as the table writes it: (institution, person nir)}."""
    import csv
    index = {}
    for name, rel in doc["institutions"].items():
        with open(data / rel, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                for col in ("nir", "email", "telephone"):
                    if row[col]:
                        index[row[col]] = (name, row["nir"])
    return index


def _texts(path: Path):
    """Decoded text of a file, of the members of a zip, of a gzip: what a naive script reads."""
    raw = path.read_bytes()
    blobs = []
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            blobs = [z.read(n) for n in z.namelist()]
    else:
        blobs = [raw]
    for blob in blobs:
        if blob[:2] == b"\x1f\x8b":
            blob = gzip.decompress(blob)
        try:
            yield blob.decode("utf-8")
        except UnicodeDecodeError:
            yield blob.decode("latin-1")


def naive_counts(paths, index: dict) -> dict:
    people = {}
    for path in paths:
        for text in _texts(Path(path)):
            for cell in _CELL_SPLIT.split(text):
                hit = index.get(cell.strip())
                if hit:
                    people.setdefault(hit[0], set()).add(hit[1])
    return {inst: len(nirs) for inst, nirs in people.items()}


# --- the run ---------------------------------------------------------------------------------

def check_repost(doc: dict, data: Path, env: dict) -> list:
    out = []
    for pair in doc["reposts"]:
        source, repost = data / pair["source"], data / pair["repost"]
        res = scan([repost], env).get(str(repost.resolve()), {})
        sightings = res.get("similar_sightings") or []
        hit = next((s for s in sightings if Path(str(s.get("name", ""))).name == source.name
                    or str(source.resolve()) in str(s.get("name", ""))), None)
        out.append({"source": pair["source"], "repost": pair["repost"], "linked": hit is not None,
                    "similarity": hit.get("similarity") if hit else None, "sightings": sightings,
                    "error": res.get("error")})
    return out


def _stop_local_redis(home: Path) -> None:
    """Stop the redis-server leakwatch started for this run, and wait for it: signalled, then
    its directory removed while it saved, it could not save and so never exited."""
    from leakwatch.matchers.registry.local_server import LocalRedis

    LocalRedis(home / "redis").stop()


def run(out: Path, seed, rows: int, institutions: int, keep: bool, log) -> dict:
    started = time.perf_counter()
    data = out / "data"
    if data.exists():
        shutil.rmtree(data)
    doc = generate(data, rows=rows, institutions=institutions, seed=seed)
    (data / "truth.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    timings = {"generate_s": time.perf_counter() - started}
    log(f"generated {len(doc['scenarios'])} leaks in {timings['generate_s']:.1f}s; registering "
        f"{len(doc['institutions'])} institutions")
    home = Path(tempfile.mkdtemp(prefix="leakwatch-bench-"))
    env = cli_env(home)
    try:
        t = time.perf_counter()
        register_all(doc, data, env)
        timings["register_s"] = time.perf_counter() - t
        t = time.perf_counter()
        paths = {name: [data / p for p in sc["paths"]] for name, sc in doc["scenarios"].items()}
        results = scan([p for ps in paths.values() for p in ps], env)
        timings["scan_s"] = time.perf_counter() - t
        reposts = check_repost(doc, data, env)
    finally:
        _stop_local_redis(home)
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
    index = naive_index(doc, data)
    scenarios = {}
    for name, sc in doc["scenarios"].items():
        res = [results.get(str(p.resolve()), {"file": str(p), "error": "no result line"}) for p in paths[name]]
        counts, ranges, errors = reported_counts(res)
        s = score(sc["truth"], counts, ranges)
        s["file_errors"] = errors
        s["reported_records"] = counts
        s["truth"] = sc["truth"]
        s["naive"] = score(sc["truth"], naive_counts(paths[name], index))
        scenarios[name] = s
    timings["total_s"] = time.perf_counter() - started
    return {"seed": seed, "rows": rows, "institutions": institutions, "scenarios": scenarios,
            "total": total(list(scenarios.values())),
            "naive_total": total([s["naive"] for s in scenarios.values()]),
            "reposts": reposts, "timings": timings, "leakwatch_home": str(home) if keep else None}


def report_lines(report: dict) -> list:
    lines = []
    for name, s in report["scenarios"].items():
        n = s["naive"]
        n_err = "-" if n["count_error_median"] is None else f"{n['count_error_median']:.1%}"
        line = (f"{name}: {fmt(s)}; naive exact match: recall {n['recall']:.2f} precision {n['precision']:.2f}"
                f" count error {n_err}")
        extra = [f"missed {', '.join(s['missed'])}"] if s["missed"] else []
        extra += [f"false {', '.join(s['false'])}"] if s["false"] else []
        extra += s["file_errors"]
        lines.append(line + (f"  [{'; '.join(extra)}]" if extra else ""))
    t, n = report["total"], report["naive_total"]
    lines.append(f"total: {fmt(t)}; naive exact match: {fmt(n)}")
    for r in report["reposts"]:
        sim = f" (similarity {r['similarity']:.2f})" if r["linked"] and r["similarity"] is not None else ""
        lines.append(f"repost of {Path(r['source']).name}: {'linked' if r['linked'] else 'NOT linked'}{sim}")
    tm = report["timings"]
    lines.append(f"time: generate {tm['generate_s']:.1f}s, register {tm['register_s']:.1f}s, "
                 f"scan {tm['scan_s']:.1f}s, total {tm['total_s']:.1f}s")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "accuracy",
                        help="work directory for generated data (default bench/out/accuracy, git-ignored)")
    parser.add_argument("--seed", default="2021")
    parser.add_argument("--rows", type=int, default=2000, help="rows per institution (default 2000)")
    parser.add_argument("--institutions", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print one JSON report instead of lines")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless every leak meets recall 1.0, precision 1.0, count error <= 10%%"
                             " and every repost is linked")
    parser.add_argument("--keep", action="store_true", help="keep the LEAKWATCH_HOME of the run")
    parser.add_argument("--cli", help=f"command that runs leakwatch (default: {shlex.join(CLI)})")
    args = parser.parse_args(argv)
    if args.cli:
        CLI[:] = shlex.split(args.cli)
    seed = int(args.seed) if args.seed.isdigit() else args.seed
    log = (lambda m: print(m, file=sys.stderr)) if args.json else print
    try:
        report = run(args.out, seed, args.rows, args.institutions, args.keep, log)
    except CliError as e:
        print(f"bench.accuracy: {e}", file=sys.stderr)
        return 2
    ok = all(meets_target(s) for s in report["scenarios"].values()) and all(r["linked"] for r in report["reposts"])
    report["meets_target"] = ok
    if args.json:
        for s in report["scenarios"].values():
            s.pop("errors"), s["naive"].pop("errors")
        print(json.dumps(report, ensure_ascii=False))
    else:
        print("\n".join(report_lines(report)))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
