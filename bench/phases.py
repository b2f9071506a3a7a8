"""Where a scan's time goes: wall clock and CPU (this process, its workers) at each phase.

    LEAKWATCH_HOME=bench/out/speed/home python -m bench.phases bench/out/speed/lab.csv [WORKERS]

Run `python -m bench.speed --cases lab` first: it writes the lab file and registers its labs in
that home. The scan is the one `leakwatch scan` runs (DumpScanner.scan_path), wrapped with
timers; it is recorded as a sighting like any scan.
"""

import resource
import sys
import time

START = time.perf_counter()


def _cpu() -> str:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (f"self {own.ru_utime + own.ru_stime:.2f} s "
            f"workers {children.ru_utime + children.ru_stime:.2f} s")


def mark(label: str) -> None:
    print(f"{time.perf_counter() - START:6.3f} s  {label:28s} {_cpu()}", file=sys.stderr)


def _timed(owner, name: str, before: str | None, after: str | None = None) -> None:
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        if before:
            mark(before)
        result = original(*args, **kwargs)
        if after:
            mark(after)
        return result

    setattr(owner, name, wrapper)


def main(argv: list) -> None:
    if not argv:
        sys.exit(__doc__)
    path, workers = argv[0], int(argv[1]) if len(argv) > 1 else 2
    from leakwatch.runtime import Runtime
    from leakwatch.settings import Settings
    from leakwatch.matchers.match import dump, scanner

    mark("imports")
    runtime = Runtime(Settings.load({}))
    dump_scanner = runtime.dump_scanner
    dump_scanner.workers = workers
    dump_scanner.parallel_from_bytes = 0  # the workers asked for, whatever the size
    parallel = scanner.Scanner._parallel

    def timed_parallel(self, batches, meanwhile=None):
        mark("first batches ready")

        def timed_meanwhile():
            mark("opening the store")
            meanwhile()
            mark("store opened")

        for n, result in enumerate(parallel(self, batches, timed_meanwhile if meanwhile else None)):
            if n == 0:
                mark("first result")
            yield result
        mark("workers done")

    scanner.Scanner._parallel = timed_parallel
    _timed(dump_scanner.index_cache, "get", None, "index loaded")
    _timed(dump_scanner.index_cache, "unchecked", "index from its snapshot", "index mapped")
    _timed(dump_scanner.index_cache, "current", "asking the registry", "asked")
    _timed(scanner._ScanState, "results", "merging", "merged")
    _timed(dump._HashingReader, "drain", "draining")
    from leakwatch.matchers.registry import SightingStore

    _timed(SightingStore, "record", "recording the sighting", "recorded")  # its instance is made on first use
    report = dump_scanner.scan_path(path)
    mark(f"end: {report.rows} rows, {len(report.matches)} matches")


if __name__ == "__main__":
    main(sys.argv[1:])
