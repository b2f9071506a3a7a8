"""Byte-stream helpers: sample the head of a stream without needing to seek back."""

import io

from .errors import ExtractError

#: how much of a member is read up front to recognise its container, encoding and format
SAMPLE_BYTES = 64 * 1024
#: read size for consumers: big enough that per-chunk bookkeeping (limits, clock) costs nothing
BUFFER_BYTES = 256 * 1024


def read_sample(stream, size: int = SAMPLE_BYTES) -> tuple[bytes, ExtractError | None]:
    """Read up to ``size`` bytes; an error part-way is returned, not raised, with what was read.

    A truncated gzip of 10 KB must still give its 10 KB of records before reporting the truncation.
    """
    parts, got = [], 0
    try:
        while got < size:
            chunk = stream.read(size - got)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
    except ExtractError as exc:
        return b"".join(parts), exc
    return b"".join(parts), None


class Rechained(io.RawIOBase):
    """``head`` followed by the rest of ``tail``: the sample is given back to the reader.

    If reading the sample ended with an error, that error is raised once ``head`` is consumed.
    """

    def __init__(self, head: bytes, tail, error: ExtractError | None = None):
        super().__init__()
        self._head = memoryview(head)
        self._tail = tail
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        if self._error is not None:
            raise self._error
        if self._tail is None:
            return 0
        return self._tail.readinto(b) or 0


def buffered(head: bytes, tail, error: ExtractError | None = None) -> io.BufferedReader:
    return io.BufferedReader(Rechained(head, tail, error), buffer_size=BUFFER_BYTES)


def spool(stream, limit: int, label: str, what: str) -> io.BytesIO:
    """Read a whole member into memory (never to disk), refusing past ``limit`` bytes."""
    buf = io.BytesIO()
    while True:
        chunk = stream.read(BUFFER_BYTES)
        if not chunk:
            break
        buf.write(chunk)
        if buf.tell() > limit:
            raise ExtractError(label, f"{what} nested in a stream is larger than max_spool_bytes ({limit}); "
                                      "it needs random access and is only held in memory up to that size")
    buf.seek(0)
    return buf


def random_access(fileobj) -> bool:
    """True for a real file or an in-memory buffer, where seeking is cheap. Not for decompressing
    streams (GzipFile, ZipExtFile), which 'seek' by decompressing again from the start."""
    if isinstance(fileobj, (io.BytesIO, io.FileIO, io.BufferedReader, io.BufferedRandom)):
        try:
            return fileobj.seekable()
        except (OSError, ValueError):
            return False
    return False
