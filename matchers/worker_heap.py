"""A scan worker's heap: freed memory kept for the next batch instead of given back to the kernel.

glibc's malloc hands a freed block above its mmap threshold back to the kernel, and trims the top
of its heap; the threshold follows the largest block freed, so blocks of one size are kept, but a
scan's are of varied sizes (a batch's token arrays, a block's bytes) and come back as fresh pages,
each one a page fault and a page zeroed: 40,000 faults in the workers of a 200,000-row lab file's
scan, 6 % of their CPU. A worker lives for one scan, and its batches are alike: with the
threshold raised and trimming off it reuses its own freed memory (16,000 faults, the rest being
the pages it shares with its parent until it writes them). Its peak memory does not change:
what it keeps is what it has used.
"""

import ctypes

# mallopt's parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_MAX = 32 << 20  # glibc's ceiling for it on 64-bit systems
_NO_TRIM = 1 << 30


def keep_freed_memory() -> bool:
    """Tune this process's malloc as above; False where the C library has no mallopt (not glibc)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter is linked with
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX) and mallopt(_M_TRIM_THRESHOLD, _NO_TRIM))
