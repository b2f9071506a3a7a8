"""Reads that give up at a deadline: a pipe, a FIFO or a socket can block a read for ever.

A regular file never blocks for long, but a named pipe whose writer trickles one byte every few
seconds, or opens it and says nothing, holds a plain ``read()`` past any time limit checked
between reads (a buffered read of 1 MiB waits for the whole MiB). Here each read waits with
poll(2) for at most the time left, and returns whatever the descriptor has.
"""

import io
import os
import select
import stat
import time

from .budget import SourceStopped


def blocking_kind(fd: int) -> bool:
    """True for a descriptor whose reads can wait on another process: a FIFO or pipe, a socket,
    a character device (a terminal). Regular files and block devices do not wait."""
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


def open_for_scan(path) -> io.RawIOBase | io.BufferedReader:
    """Open ``path`` for reading without waiting: opening a FIFO blocks until a writer comes,
    so it is opened non-blocking and its reads wait in DeadlineReader instead."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not blocking_kind(fd):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


class DeadlineReader(io.RawIOBase):
    """A raw reader over descriptor ``fd`` whose reads raise SourceStopped once ``deadline``
    (time.monotonic()) has passed, and never wait past it. ``label`` names the input in the error.

    Give it a stream that was not read from yet (its descriptor is read directly, bypassing any
    buffer above it). Once stopped, every later read raises the same error.
    """

    def __init__(self, fd: int, deadline: float, label: str, seconds: float, owner=None):
        super().__init__()
        self._fd = fd
        self._deadline = deadline
        self._label = label
        self._seconds = seconds
        self._owner = owner  # kept open as long as this reader is used
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN | select.POLLPRI)
        self.stopped: SourceStopped | None = None

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def readinto(self, b) -> int:
        if self.stopped is not None:
            raise self.stopped
        while True:
            left = self._deadline - time.monotonic()
            if left <= 0:
                self.stopped = SourceStopped(
                    self._label, f"stopped: {self._label} took longer than {self._seconds:g} s (max_seconds) "
                                 "waiting for its data (a slow or silent pipe)")
                raise self.stopped
            # poll's timeout is in ms; at least 1 so a last fraction of a ms is not a busy loop
            if not self._poll.poll(max(1, int(left * 1000))):
                continue
            try:
                data = os.read(self._fd, len(b))
            except BlockingIOError:  # another reader took the bytes: wait again
                continue
            n = len(data)
            b[:n] = data
            return n


def with_deadline(stream, deadline: float, label: str, seconds: float):
    """``stream`` unchanged if its reads cannot block (a regular file, bytes in memory), else a
    DeadlineReader over its descriptor. ``stream`` must not have been read from.

    Unbuffered on purpose: a buffered read of n bytes waits for all n, and bytes it gathered
    before the deadline would be lost with the error; a raw read returns what is there."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return stream
    if not blocking_kind(fd):
        return stream
    return DeadlineReader(fd, deadline, label, seconds, owner=stream)
