"""Speed and memory of `leakwatch scan`, against a floor and a naive baseline measured in the same run.

    python -m bench.speed                      # everything (the 2 GB file takes a few minutes)
    python -m bench.speed --big-gb 0           # skip the 2 GB memory case

Cases (one line each, ratios first):
- lab file: a 200,000-row, 13-column (~30 MB) CSV merging 30 labs, all 30 registered.
  floor  = csv.reader + one keyed hash (HMAC-SHA256) per distinct value, the simplest way;
  naive  = datasketch MinHash.update called once per cell value;
  scan   = `leakwatch scan --json` end to end, as a process (start-up, Redis, index load included).
  The floor and the naive baseline also run as processes, so all three pay the same start-up;
  each runs 3 times, interleaved, and the best times are compared (--json lists every run).
- paste: a 100-line paste matched against 10,000 registered datasets in a warm process (median, p99).
- registration: records/s fingerprinted and registered.
- big file: peak RSS of `leakwatch scan` on a 2 GB paste.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from world.synth import make_big_paste, make_institutions, make_lab_file, write_table

OUT = Path(__file__).resolve().parent / "out" / "speed"
REPEATS = 3

FLOOR = r"""
import csv, hmac, sys
key = b"k" * 32
seen = set()
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for row in csv.reader(f, delimiter=";"):
        for value in row:
            if value not in seen:
                seen.add(value)
                hmac.digest(key, value.encode(), "sha256")
print(len(seen))
"""

NAIVE = r"""
import csv, sys
from datasketch import MinHash
m = MinHash(num_perm=128)
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for row in csv.reader(f, delimiter=";"):
        for value in row:
            m.update(value.encode())
print(m.count())
"""


def timed_process(argv, env=None):
    """Wall time, peak RSS (MiB) and stdout of a child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = b"", b""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, out.decode(errors="replace"), err.decode(errors="replace"), proc.returncode


def leakwatch_env(home: Path) -> dict:
    env = dict(os.environ)
    env["LEAKWATCH_HOME"] = str(home)
    env.pop("LEAKWATCH_REDIS_URL", None)
    return env


def runtime_for(home: Path, namespace="lw"):
    from leakwatch.runtime import Runtime
    from leakwatch.settings import Settings

    return Runtime(Settings.load({"home": str(home), "namespace": namespace}, environ={}))


def lab_file_case(rows: int, institutions: int, naive: bool) -> dict:
    home = OUT / "home"
    shutil.rmtree(home, ignore_errors=True)
    lab = OUT / "lab.csv"
    counts = make_lab_file(lab, rows=rows, institutions=institutions)
    per_lab = -(-rows // institutions)
    runtime = runtime_for(home)
    from leakwatch.matchers.fingerprint import fingerprint_records

    labs = make_institutions(institutions, rows=per_lab)
    # Registration throughput: fingerprint + register every lab's own table (generation not timed).
    started = time.perf_counter()
    registered = 0
    for inst in labs:
        records = ([r[c] for c in inst.rows[0]] for r in inst.rows)
        fp = fingerprint_records(records, runtime.key, "patients")
        runtime.registry.register(inst.name, "patients", fp, key_id=runtime.key.key_id)
        registered += fp.rows
    registration = registered / (time.perf_counter() - started)

    size_mb = lab.stat().st_size / 1e6
    # This machine's timings vary by +-30 % from run to run: the floor, the scan and the naive
    # baseline run REPEATS times, interleaved, and the best of each is compared (the usual way
    # to time noisy machines; the naive baseline alone takes 30-45 s a run).
    floors, scans, naives = [], [], []
    for _ in range(REPEATS):
        floors.append(timed_process([sys.executable, "-c", FLOOR, str(lab)])[0])
        scan_s, scan_rss, out, err, code = timed_process(
            [sys.executable, "-m", "leakwatch", "scan", "--json", str(lab)], env=leakwatch_env(home))
        scans.append(scan_s)
        if naive:
            naives.append(timed_process([sys.executable, "-c", NAIVE, str(lab)])[0])
    floor_s, scan_s = min(floors), min(scans)
    report = json.loads(out.splitlines()[0]) if out.strip() else {"matches": [], "error": err}
    found = {m["institution"]: m["records"] for m in report["matches"]}
    exact = sum(1 for name, n in counts.items() if found.get(name) == n)
    result = {"rows": rows, "size_mb": round(size_mb, 1), "floor_s": round(floor_s, 2), "scan_s": round(scan_s, 2),
              "scan_rss_mb": round(scan_rss), "scan_vs_floor": round(scan_s / floor_s, 2),
              "institutions_found": len(found), "institutions_exact": exact, "exit_code": code,
              "registration_records_per_s": round(registration)}
    if naive:
        result["naive_s"] = round(min(naives), 2)
        result["naive_vs_scan"] = round(min(naives) / scan_s, 1)
    result["runs_s"] = {"floor": [round(t, 2) for t in floors], "scan": [round(t, 2) for t in scans],
                        "naive": [round(t, 2) for t in naives]}
    return result


def paste_case(datasets: int, pastes: int = 60) -> dict:
    """A 100-line paste against `datasets` registered datasets of 10 records each, warm process."""
    home = OUT / "home"
    runtime = runtime_for(home, namespace="lw-paste")
    for pattern in ("lw-paste:*", "{lw-paste}:*"):  # the datasets' keys, then every other (matchers.registry.names)
        for stale in runtime.redis.scan_iter(pattern, count=5000):
            runtime.redis.delete(stale)
    from leakwatch.matchers.fingerprint import fingerprint_records

    people = [r for inst in make_institutions(50, rows=(datasets * 10) // 50 + 1, seed=7) for r in inst.rows]
    columns = list(people[0])
    started = time.perf_counter()
    for n in range(datasets):
        chunk = people[n * 10:(n + 1) * 10]
        fp = fingerprint_records(([r[c] for c in columns] for r in chunk), runtime.key, "d")
        runtime.registry.register(f"inst{n:05d}", "d", fp, key_id=runtime.key.key_id)
    register_s = time.perf_counter() - started
    scanner = runtime.dump_scanner
    scanner.index_cache.get()  # warm: the index is loaded once per registry version
    rng = random.Random(1)
    times = []
    for n in range(pastes):
        lines = [f"random chatter line {rng.random()} nothing to see" for _ in range(80)]
        for r in rng.sample(people[: datasets * 10], 20):
            lines.append(";".join(r[c] for c in columns))
        rng.shuffle(lines)
        data = "\n".join(lines).encode()
        started = time.perf_counter()
        report = scanner.scan_bytes(data, name=f"paste-{n}")
        times.append(time.perf_counter() - started)
        assert report.matches, "a paste holding registered rows matched nothing"
    times.sort()
    return {"datasets": datasets, "median_ms": round(statistics.median(times) * 1000, 1),
            "p99_ms": round(times[int(0.99 * (len(times) - 1))] * 1000, 1),
            "register_datasets_per_s": round(datasets / register_s)}


def big_file_case(gigabytes: float) -> dict:
    home = OUT / "home"
    big = OUT / "big-paste.txt"
    size = int(gigabytes * (1 << 30))
    if not big.exists() or big.stat().st_size < size * 0.99:
        make_big_paste(big, size)
    elapsed, rss, out, err, code = timed_process(
        [sys.executable, "-m", "leakwatch", "scan", "--json", str(big)], env=leakwatch_env(home))
    report = json.loads(out.splitlines()[0]) if out.strip() else {"rows": 0, "error": err.strip()[-300:]}
    return {"size_gb": round(big.stat().st_size / (1 << 30), 2), "seconds": round(elapsed, 1),
            "mb_per_s": round(big.stat().st_size / 1e6 / elapsed, 1), "peak_rss_mb": round(rss),
            "rows": report.get("rows"), "error": report.get("error"), "exit_code": code}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--institutions", type=int, default=30)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--big-gb", type=float, default=2.0, help="size of the memory case; 0 skips it")
    parser.add_argument("--no-naive", action="store_true", help="skip the (slow) naive baseline")
    parser.add_argument("--cases", default="lab,paste,big", help="comma-separated subset of lab,paste,big")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    results = {}
    cases = set(args.cases.split(","))
    if "lab" in cases or not (OUT / "home").exists():
        report_lab(results, args)
    if "paste" in cases:
        paste = results["paste"] = paste_case(args.datasets)
        print(f"100-line paste vs {paste['datasets']} datasets: median {paste['median_ms']} ms, p99 {paste['p99_ms']} ms "
              f"(target <= 20 ms median)", flush=True)
    if "big" in cases and args.big_gb > 0:
        big = results["big_file"] = big_file_case(args.big_gb)
        print(f"big paste {big['size_gb']} GB: peak RSS {big['peak_rss_mb']} MB (target <= 1024), "
              f"{big['seconds']}s, {big['mb_per_s']} MB/s, {big['rows']} rows, error {big['error']}", flush=True)
    if args.json:
        print(json.dumps(results))
    return 0


def report_lab(results, args):
    lab = results["lab_file"] = lab_file_case(args.rows, args.institutions, not args.no_naive)
    line = (f"lab file ({lab['rows']} rows, {lab['size_mb']} MB): scan vs floor {lab['scan_vs_floor']}x "
            f"(scan {lab['scan_s']}s, floor {lab['floor_s']}s)")
    if "naive_s" in lab:
        line += f"; naive datasketch vs scan {lab['naive_vs_scan']}x (naive {lab['naive_s']}s)"
    line += f"; {lab['institutions_exact']}/{args.institutions} labs counted exactly; scan RSS {lab['scan_rss_mb']} MB"
    print(line, flush=True)
    print(f"registration: {lab['registration_records_per_s']} records/s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
