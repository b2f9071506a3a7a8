"""Pausing Python's cyclic garbage collector around bulk work.

Scanning allocates millions of small tuples and lists and frees them in batches; none of
them form reference cycles. With the collector on, every few hundred allocations it walks
all live containers (the classification cache included), which measured as half of a
200,000-row scan. Reference counting still frees everything; cycles made meanwhile are
collected when the collector resumes.

Imports are the other case: thousands of functions, classes and dicts that live as long as
the process. `imports_without_gc` pauses the collector for them, then moves what exists to the
collector's permanent generation (gc.freeze): resumed, its first passes would otherwise walk
all of them at once.
"""

import gc
from contextlib import contextmanager


@contextmanager
def paused_gc():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def imports_without_gc():
    with paused_gc():
        try:
            yield
        finally:
            gc.freeze()  # before the collector resumes: it would walk everything new first
