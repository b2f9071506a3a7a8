"""Pausing Python's cyclic garbage collector around bulk work.

Scanning allocates millions of small tuples and lists and frees them in batches; none of
them form reference cycles. With the collector on, every few hundred allocations it walks
all live containers (the classification cache included), which measured as half of a
200,000-row scan. Reference counting still frees everything; cycles made meanwhile are
collected when the collector resumes.
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
