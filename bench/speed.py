"""Speed and memory of `leakwatch scan`, against floors measured in the same run.

    python -m bench.speed                      # everything (the 2 GB file takes a few minutes)
    python -m bench.speed --cases lab,lab16    # the two lab files only
    python -m bench.speed --big-gb 0           # skip the 2 GB memory case

Cases (one line each, ratios first):
- lab: a 200,000-row, 13-column (~27 MB) CSV merging 30 labs, all 30 registered;
- lab16: a lab-like export of 106,000 rows x 16 columns (two date columns: birth and
  sampling days; ~15 MB), 80,000 of them among the 240,000 patients the 30 labs of
  world.synth.labworld registered, 26,000 strangers of the same towns.
  For each, these sides run RUNS times, interleaved:
    scan   = `leakwatch scan --json --local` end to end, as a process from its fork to its exit
             (start-up, Redis, index load included);
    service = `leakwatch scan --json` handing the file to `leakwatch scan-service` (started for
             the case, checked to be the one scanning), as a process from its fork to its exit:
             what a scan costs where the service runs (leakwatch.scan_service);
    python = bench.floors.python_floor in this process: csv module + keyed BLAKE2b-64 per distinct value;
    native = bench.floors.native_floor in this process: polars read + distinct + native hash;
    warm   = the same scan in this process once warm (DumpScanner.scan_path, its two workers forked
             for each scan, the sighting not recorded), as a crawler's or a long-lived process's
             scans are: what the scan costs without a fresh interpreter's start-up and imports.
  Each ratio is given for the best runs and for the medians (the machine is shared: +-30 %). One
  run of each side comes first and is not among them: the first scan after the bench registers
  the labs reads the file twice (the index snapshot is older than the registry), and is
  reported alone.
  --naive adds the naive datasketch baseline (MinHash.update per cell, as a process) to the lab case.
- register: records/s of read + fingerprint + register, one process, the CLI's own path
  (extract.Table.parts, fingerprint_records, RedisRegistry.register) for the tables of
  labworld's 500,000, as each of its 30 labs exports them; best and median of 3 registrations
  into an empty registry (--register-runs).
- paste: a 100-line paste matched against 10,000 registered datasets in a warm process (median, p99).
- big: throughput and peak RSS of `leakwatch scan` on a 2 GB paste (chatter, a pipe table, CSV lines).
- bigcsv: the same on a 2 GB CSV dump, comma-delimited, a quarter of its records with a quoted
  value (a comma or quotes in it), as a database's export writes them (world.synth.make_big_csv).
- bigcombo: the same on a 2 GB combo list ("email:password" lines, world.synth.make_big_combo).
"""

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.floors import native_floor, python_floor
from leakwatch.matchers.registry.local_server import LocalRedis
from world.synth import make_big_combo, make_big_csv, make_big_paste, make_institutions, make_lab_file

OUT = Path(__file__).resolve().parent / "out" / "speed"
RUNS = 5  # interleaved runs of each side: enough for a median on a machine shared with others
# The second lab file: the lab-like export (105,961 rows x 16 columns against 240,000
# registered), rounded.
LAB16_REGISTERED = 240_000
LAB16_FROM_REGISTERED = 80_000
LAB16_STRANGERS = 26_000
REGISTER_RECORDS = 500_000  # the 2021 file: 491,840 patients of about thirty labs
REGISTER_RUNS = 3  # registrations of those records timed: best and median
WORLD_SEED = 2021

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


def timed_process(argv) -> float:
    """Wall time of a child process."""
    started = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - started


# A child's peak RSS as the kernel reports it (wait4) counts the memory of whoever exec'd it: a
# child of this process, which holds a 500,000-person world, would be charged with all of it.
# The scan is started by this small launcher instead, which reports its child's peak (workers
# included: they are the scan's own children) and its wall time, from the fork to the exit, in a
# file: the launcher's own start-up (an interpreter, 20-30 ms) is not the scan's.
LAUNCHER = r"""
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
elapsed = time.perf_counter() - started
with open(sys.argv[1], "w") as f:
    f.write(f"{usage.ru_maxrss} {elapsed}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def timed_scan(path: Path, env: dict, local: bool = True):
    """(seconds, peak RSS MiB, the file's JSON report, exit code) of one `leakwatch scan --json`,
    scanning in its own process (--local), or handing the file to the scan service if not local."""
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        proc = subprocess.run([sys.executable, "-c", LAUNCHER, rss.name, sys.executable, "-m", "leakwatch", "scan",
                               "--json", *(["--local"] if local else []), str(path)], capture_output=True, env=env)
        peak_kib, elapsed = rss.read().split()
    out, err = proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
    report = json.loads(out.splitlines()[0]) if out.strip() else {"matches": [], "error": err.strip()[-300:]}
    return float(elapsed), int(peak_kib) / 1024, report, proc.returncode


def timed_call(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def leakwatch_env(home: Path, namespace: str = "lw") -> dict:
    env = dict(os.environ)
    env["LEAKWATCH_HOME"] = str(home)
    env["LEAKWATCH_NAMESPACE"] = namespace
    env.pop("LEAKWATCH_REDIS_URL", None)
    return env


def runtime_for(home: Path, namespace="lw"):
    from leakwatch.runtime import Runtime
    from leakwatch.settings import Settings

    return Runtime(Settings.load({"home": str(home), "namespace": namespace}, environ={}))


def clear_namespace(runtime, namespace: str) -> None:
    for pattern in (f"{namespace}:*", f"{{{namespace}}}:*"):  # the datasets' keys, then every other (matchers.registry.names)
        for stale in runtime.redis.scan_iter(pattern, count=5000):
            runtime.redis.delete(stale)


def compare(path: Path, delimiter: str, env: dict, runs: int, naive: bool = False) -> dict:
    """The scan against both floors, `runs` interleaved runs of each side."""
    import polars  # noqa: F401 - imported once before timing: the native floor is timed warm

    home, namespace = Path(env["LEAKWATCH_HOME"]), env["LEAKWATCH_NAMESPACE"]
    times = {"scan": [], "service": [], "python": [], "native": [], "warm": [], **({"naive": []} if naive else {})}
    distinct = set()
    # One run of each side first, not timed with the others: the bench has just registered the
    # labs, so this scan finds the index snapshot older than the registry, reads the file again
    # on the updated index and saves it (see "How matching works"): what the first scan after a
    # registry change costs, reported as such. The floors' first runs fill polars' thread pool
    # and the page cache.
    first_scan_s = timed_scan(path, env)[0]
    python_floor(path, delimiter)
    native_floor(path, delimiter)
    warm = runtime_for(home, namespace).dump_scanner
    warm.scan_path(path, record=False)  # the index, its lookups' directory, the store's client
    with scan_service(env):
        for _ in range(runs):
            scan_s, rss, report, code = timed_scan(path, env)
            times["scan"].append(scan_s)
            service_s, _, handed, _ = timed_scan(path, env, local=False)
            times["service"].append(service_s)
            times["python"].append(timed_call(lambda: distinct.add(python_floor(path, delimiter))))
            times["native"].append(timed_call(lambda: distinct.add(native_floor(path, delimiter))))
            times["warm"].append(timed_call(lambda: warm.scan_path(path, record=False)))
            if naive:
                times["naive"].append(timed_process([sys.executable, "-c", NAIVE, str(path)]))
            if handed.get("matches") != report.get("matches"):
                raise RuntimeError(f"the scan service found other matches in {path} than the scan")
    if len(distinct) != 1:
        raise RuntimeError(f"the floors read {path} differently: {sorted(distinct)} distinct values")
    best = {side: min(ts) for side, ts in times.items()}
    median = {side: statistics.median(ts) for side, ts in times.items()}
    result = {
        "size_mb": round(path.stat().st_size / 1e6, 1), "distinct_values": distinct.pop(),
        "best_s": {k: round(v, 3) for k, v in best.items()}, "median_s": {k: round(v, 3) for k, v in median.items()},
        "scan_vs_python": {"best": round(best["scan"] / best["python"], 2), "median": round(median["scan"] / median["python"], 2)},
        "scan_vs_native": {"best": round(best["scan"] / best["native"], 2), "median": round(median["scan"] / median["native"], 2)},
        "warm_vs_native": {"best": round(best["warm"] / best["native"], 2), "median": round(median["warm"] / median["native"], 2)},
        "service_vs_native": {"best": round(best["service"] / best["native"], 2),
                              "median": round(median["service"] / median["native"], 2)},
        "service_vs_python": {"best": round(best["service"] / best["python"], 2),
                              "median": round(median["service"] / median["python"], 2)},
        "runs_s": {k: [round(t, 3) for t in ts] for k, ts in times.items()},
        "first_scan_s": round(first_scan_s, 3),
        "scan_rss_mb": round(rss), "exit_code": code, "report": report,
    }
    if naive:
        result["naive_vs_scan"] = {"best": round(best["naive"] / best["scan"], 1)}
    return result


@contextlib.contextmanager
def scan_service(env: dict):
    """`leakwatch scan-service` for these settings, ready, for the time of the block; a
    `leakwatch scan` without --local hands it its files. Checked: a scan through it imports no
    scanning code (else the bench would time a scan in the client's process under its name)."""
    service = subprocess.Popen([sys.executable, "-m", "leakwatch", "scan-service"], env=env, stderr=subprocess.PIPE,
                               text=True)
    try:
        line = service.stderr.readline()
        if "listening on" not in line:
            raise RuntimeError(f"the scan service did not start: {line}{service.stderr.read()}")
        probe = subprocess.run([sys.executable, "-c", "import runpy, sys; sys.argv = ['leakwatch', 'scan', '--json', '-'];"
                                " sys.modules['numpy'] = None; runpy.run_module('leakwatch', run_name='__main__')"],
                               input="a;b\n1;2\n", capture_output=True, text=True, env=env)
        if probe.returncode not in (0, 1):
            raise RuntimeError(f"a scan through the scan service failed: {probe.stderr.strip()[-300:]}")
        yield
    finally:
        service.terminate()
        service.wait(timeout=60)
        service.stderr.close()


def counted(report: dict, truth: dict) -> dict:
    """How the scan's counts compare with the truth {institution: records}."""
    found = {m["institution"]: m["records"] for m in report.get("matches", [])}
    exact = sum(1 for name, n in truth.items() if found.get(name) == n)
    wrong = sorted(set(found) - set(truth))
    return {"institutions": len(truth), "found": len(set(found) & set(truth)), "exact": exact, "wrong": wrong}


def lab_file_case(rows: int, institutions: int, runs: int, naive: bool) -> dict:
    home = OUT / "home"
    LocalRedis(home / "redis").stop()  # the previous run's server, whose directory goes
    shutil.rmtree(home, ignore_errors=True)
    lab = OUT / "lab.csv"
    counts = make_lab_file(lab, rows=rows, institutions=institutions)
    per_lab = -(-rows // institutions)
    runtime = runtime_for(home)
    from leakwatch.matchers.fingerprint import fingerprint_records

    for inst in make_institutions(institutions, rows=per_lab):
        records = ([r[c] for c in inst.rows[0]] for r in inst.rows)
        fp = fingerprint_records(records, runtime.key, "patients")
        runtime.registry.register(inst.name, "patients", fp, key_id=runtime.key.key_id)
    result = compare(lab, ";", leakwatch_env(home), runs, naive)
    result.update(rows=rows, counts=counted(result.pop("report"), counts))
    return result


def lab16_case(world, runs: int) -> dict:
    """The 16-column lab-like export against the 30 labs' registry of LAB16_REGISTERED."""
    from world.synth.labdumps import DUMP_STYLE
    from world.synth.labworld import write_table

    home = OUT / "home"
    runtime = runtime_for(home, namespace="lw16")
    clear_namespace(runtime, "lw16")
    registered = world.registered(LAB16_REGISTERED)
    register_tables(runtime, world, registered, OUT / "lab16-tables")
    rng = random.Random(f"{WORLD_SEED}:lab16")
    everyone = [(lab, p) for lab, people in registered.items() for p in people]
    chosen = rng.sample(everyone, LAB16_FROM_REGISTERED)
    truth = {}
    for lab, _ in chosen:
        truth[lab] = truth.get(lab, 0) + 1
    people = [p for _, p in chosen] + rng.sample(world.strangers, LAB16_STRANGERS)
    rng.shuffle(people)
    path = write_table(OUT / "lab16.csv", people, DUMP_STYLE, rng=rng)
    result = compare(path, DUMP_STYLE.delimiter, leakwatch_env(home, "lw16"), runs)
    result.update(rows=len(people), columns=len(DUMP_STYLE.order), counts=counted(result.pop("report"), truth))
    return result


def register_tables(runtime, world, registered: dict, folder: Path) -> dict:
    """Write each lab's table as it exports it (not timed), then read, fingerprint and register
    it as `leakwatch register` does a raw table (timed): Table.parts, whose blocks of lines the
    C tokenizer reads where they lie, and fingerprint_records."""
    from world.synth.labworld import write_lab_table
    from leakwatch.matchers.extract import Table
    from leakwatch.matchers.fingerprint import fingerprint_records

    labs = {lab.name: lab for lab in world.labs}
    paths = [(name, write_lab_table(folder / f"{name}.csv", people, labs[name].style))
             for name, people in registered.items() if people]
    seconds = 0.0
    records = 0
    for name, path in paths:
        started = time.perf_counter()
        table = Table(path, name=str(path))
        fp = fingerprint_records(table.parts(), runtime.key, "patients", header=table.header)
        runtime.registry.register(name, "patients", fp, key_id=runtime.key.key_id)
        seconds += time.perf_counter() - started
        records += fp.rows
    return {"records": records, "seconds": round(seconds, 1), "records_per_s": round(records / seconds)}


def register_case(world, size: int, runs: int = REGISTER_RUNS) -> dict:
    """`runs` registrations of the same tables into an empty registry: best and median rate."""
    runtime = runtime_for(OUT / "home", namespace="lwreg")
    rates = []
    for _ in range(runs):
        clear_namespace(runtime, "lwreg")
        result = register_tables(runtime, world, world.registered(size), OUT / "register-tables")
        rates.append(result["records_per_s"])
    clear_namespace(runtime, "lwreg")  # only the rate was wanted: the registry goes
    return {**result, "records_per_s": max(rates), "median_records_per_s": round(statistics.median(rates)),
            "runs_records_per_s": rates}


def paste_case(datasets: int, pastes: int = 60) -> dict:
    """A 100-line paste against `datasets` registered datasets of 10 records each, warm process."""
    home = OUT / "home"
    runtime = runtime_for(home, namespace="lw-paste")
    clear_namespace(runtime, "lw-paste")
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


BIG_FILES = {"paste": ("big-paste.txt", make_big_paste), "csv": ("big-dump.csv", make_big_csv),
             "combo": ("big-combo.txt", make_big_combo)}


def big_file_case(gigabytes: float, kind: str = "paste") -> dict:
    home = OUT / "home"
    name, make = BIG_FILES[kind]
    big = OUT / name
    size = int(gigabytes * (1 << 30))
    if not big.exists() or big.stat().st_size < size * 0.99:
        make(big, size)
    elapsed, rss, report, code = timed_scan(big, leakwatch_env(home))
    # A scan stopped by extract_max_seconds read only part of the file: its rate is not the file's size over the time.
    stopped = "max_seconds" in (report.get("error") or "")
    return {"size_gb": round(big.stat().st_size / (1 << 30), 2), "seconds": round(elapsed, 1),
            "mb_per_s": None if stopped else round(big.stat().st_size / 1e6 / elapsed, 1), "stopped": stopped,
            "peak_rss_mb": round(rss), "rows": report.get("rows"), "error": report.get("error"), "exit_code": code}


def lab_line(name: str, case: dict) -> str:
    best, median = case["best_s"], case["median_s"]
    c = case["counts"]
    line = (f"{name} ({case['rows']} rows, {case['size_mb']} MB): scan vs python floor "
            f"{case['scan_vs_python']['best']}x best, {case['scan_vs_python']['median']}x median (target <= 1); "
            f"vs native floor {case['scan_vs_native']['best']}x best, {case['scan_vs_native']['median']}x median "
            f"(target <= 3) | scan {best['scan']}s/{median['scan']}s, python {best['python']}s/{median['python']}s, "
            f"native {best['native']}s/{median['native']}s (best/median of {len(case['runs_s']['scan'])}) | "
            f"{c['exact']}/{c['institutions']} labs counted exactly, {len(c['wrong'])} wrong; scan RSS {case['scan_rss_mb']} MB "
            f"| first scan after registering {case['first_scan_s']}s (not among the runs: the index snapshot rebuilt) "
            f"| warm scan in this process {best['warm']}s/{median['warm']}s: {case['warm_vs_native']['best']}x / "
            f"{case['warm_vs_native']['median']}x the native floor "
            f"| scan handed to the scan service {best['service']}s/{median['service']}s: "
            f"{case['service_vs_native']['best']}x / {case['service_vs_native']['median']}x the native floor, "
            f"{case['service_vs_python']['best']}x / {case['service_vs_python']['median']}x the python floor")
    if "naive_vs_scan" in case:
        line += f" | naive datasketch {case['naive_vs_scan']['best']}x the scan (naive {best['naive']}s)"
    return line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--institutions", type=int, default=30)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=RUNS, help="interleaved runs of each side of the lab cases")
    parser.add_argument("--register-records", type=int, default=REGISTER_RECORDS)
    parser.add_argument("--register-runs", type=int, default=REGISTER_RUNS, help="registrations timed in the register case")
    parser.add_argument("--big-gb", type=float, default=2.0, help="size of the memory case; 0 skips it")
    parser.add_argument("--naive", action="store_true", help="add the (slow) naive datasketch baseline to the lab case")
    parser.add_argument("--cases", default="lab,lab16,register,paste,big,bigcsv,bigcombo",
                        help="comma-separated subset of lab,lab16,register,paste,big,bigcsv,bigcombo")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    results = {}
    cases = set(args.cases.split(","))
    if "lab" in cases or not (OUT / "home").exists():
        lab = results["lab"] = lab_file_case(args.rows, args.institutions, args.runs, args.naive)
        print(lab_line("lab file", lab), flush=True)
    if cases & {"lab16", "register"}:
        from world.synth.labworld import build_world

        # One size of world whichever cases run: a world's people depend on its size, and the
        # 16-column file must be the same from run to run.
        world = build_world(max(LAB16_REGISTERED, args.register_records), seed=WORLD_SEED)
        if "lab16" in cases:
            lab16 = results["lab16"] = lab16_case(world, args.runs)
            print(lab_line("lab-like 16 columns", lab16), flush=True)
        if "register" in cases:
            reg = results["register"] = register_case(world, args.register_records, args.register_runs)
            print(f"registration (read + fingerprint + register, one process): {reg['records_per_s']} records/s best, "
                  f"{reg['median_records_per_s']} median of {len(reg['runs_records_per_s'])} runs, "
                  f"{reg['records']} records (target >= 100000 records/s)", flush=True)
    if "paste" in cases:
        paste = results["paste"] = paste_case(args.datasets)
        print(f"100-line paste vs {paste['datasets']} datasets: median {paste['median_ms']} ms, p99 {paste['p99_ms']} ms "
              f"(target <= 15 ms median)", flush=True)
    for kind, case, label in (("paste", "big", "paste"), ("csv", "bigcsv", "CSV dump"), ("combo", "bigcombo", "combo list")):
        if case in cases and args.big_gb > 0:
            big = results["big_file" if case == "big" else f"big_{kind}"] = big_file_case(args.big_gb, kind)
            rate = "stopped by max_seconds, part read" if big["stopped"] else f"{big['mb_per_s']} MB/s"
            print(f"big {label} {big['size_gb']} GB: {rate} (target >= 35 MB/s), peak RSS {big['peak_rss_mb']} MB "
                  f"(target <= 1024), {big['seconds']}s, {big['rows']} rows, error {big['error']}", flush=True)
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
