"""A scan worker keeps the memory it frees for its next batch (matchers/worker_heap.py)."""

import subprocess
import sys

# Batches of arrays of varied sizes, as a scan's are: how many page faults the process takes for
# them. (Blocks of one size only are kept by glibc already: it raises its thresholds to the
# largest block freed.)
_BATCHES = r"""
import random, resource, sys
if sys.argv[1] == "tuned":
    from leakwatch.matchers.worker_heap import keep_freed_memory
    assert keep_freed_memory()
sizes = random.Random(1)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(30):
    batch = [bytearray(sizes.randrange(64 << 10, 8 << 20)) for _ in range(8)]
    del batch
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    run = subprocess.run([sys.executable, "-c", _BATCHES, mode], capture_output=True, text=True, check=True)
    return int(run.stdout)


def test_a_worker_reuses_the_memory_it_freed_instead_of_faulting_it_in_again():
    plain, tuned = _faults("plain"), _faults("tuned")
    assert plain > 100_000  # about 30 MiB a batch, given back to the kernel and faulted in again
    assert tuned < plain / 5


def test_scan_workers_are_started_with_it(monkeypatch):
    from leakwatch.matchers.match import scanner

    started = []
    monkeypatch.setattr(scanner, "keep_freed_memory", lambda: started.append(True))
    scanner._worker_started()
    assert started == [True]
