"""The pipes of a parallel scan's process pool, widened to hold a block of lines each way.

A multiprocessing pool hands its tasks out, and takes its results back, through pipes of 64 KiB.
A scan's task is a block of about 1 MiB (extract/readers/blocks.py) and a result up to a few
hundred KiB (a batch's confirmed records): each crossed in slices of 64 KiB, and between two
slices the thread writing it had to get the parent's interpreter back, which the parent's
main thread holds while it imports redis-py and merges results. The workers waited for their
next block and for their results to be taken: 2-10 ms a batch, a tenth of a 16-column lab
export's scan. Widened to a block's size (within the kernel's bound for this user,
/proc/sys/fs/pipe-max-size), a block or a result goes in one write.
"""

import fcntl

WANTED_BYTES = 1 << 20  # a block of lines (blocks.BLOCK_BYTES); a result is smaller
_PIPE_MAX_SIZE = "/proc/sys/fs/pipe-max-size"


def pipe_bytes(wanted: int = WANTED_BYTES) -> int:
    """`wanted`, within the most an unprivileged process may give a pipe."""
    try:
        with open(_PIPE_MAX_SIZE) as bound:
            return min(wanted, int(bound.read()))
    except (OSError, ValueError):
        return wanted  # no /proc: F_SETPIPE_SZ says whether it may


def widen_pipes(pool, size: int | None = None) -> int:
    """Widen the task and result pipes of a multiprocessing Pool (its queues' writing ends) to
    `size` bytes (pipe_bytes() if None). Returns how many pipes were widened: none where the
    platform has no F_SETPIPE_SZ or the kernel refuses (the pool works as before, slower)."""
    size = pipe_bytes() if size is None else size
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    widened = 0
    # The queues are the pool's own (Pool._inqueue, Pool._outqueue, each a SimpleQueue with a
    # Connection _writer): no public way to reach their pipes. Missing on another Python, they
    # are left as they are.
    for queue in (getattr(pool, "_inqueue", None), getattr(pool, "_outqueue", None)):
        writer = getattr(queue, "_writer", None)
        if setpipe is None or writer is None:
            continue
        try:
            fcntl.fcntl(writer.fileno(), setpipe, size)
        except OSError:
            continue
        widened += 1
    return widened
