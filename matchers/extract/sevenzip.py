"""7z members as streams. py7zr pushes decompressed data into writer objects; a worker thread
runs the extraction and hands chunks over a small bounded queue, so members are read in order
with flat memory and nothing is written to disk (no path is ever given to py7zr)."""

import io
import queue
import threading
from typing import Iterator

import py7zr
from py7zr.io import Py7zIO, WriterFactory

from . import names
from .budget import Meter, describe
from .errors import ExtractError
from .node import Node
from .streams import spool

_QUEUE_CHUNKS = 8          # bounded: the worker waits while the reader is busy
_PUT_TIMEOUT = 0.2         # seconds between checks of the cancel flag while the queue is full


class _Cancelled(Exception):
    """Raised inside the worker to abandon the extraction."""


class _Pipe(Py7zIO):
    """What py7zr writes one member into: chunks go to the queue (or nowhere if skipped)."""

    def __init__(self, channel: "_Channel", index: int):
        self.channel = channel
        self.index = index
        self.written = 0

    def write(self, s) -> int:
        self.written += len(s)
        self.channel.put(("data", bytes(s)), self.index)
        return len(s)

    def read(self, size=None) -> bytes:
        return b""

    def seek(self, offset, whence=0) -> int:
        return 0  # py7zr rewinds on close; there is nothing to rewind

    def flush(self) -> None:
        pass

    def size(self) -> int:
        return self.written

    def close(self) -> None:
        self.channel.put(("end", None))


class _Channel(WriterFactory):
    def __init__(self):
        self.queue: queue.Queue = queue.Queue(maxsize=_QUEUE_CHUNKS)
        self.cancel = threading.Event()
        # The member the reader gave up on: its data is dropped. A member number, not a flag:
        # the worker may already be writing the next member when the reader reaches this one's end.
        self.skip = -1
        self.created = 0
        self.final = None  # ("done" | "error", payload) once the reader has seen the end

    def put(self, item, member: int = -1) -> None:
        if item[0] == "data" and member == self.skip:
            return
        while True:
            if self.cancel.is_set():
                raise _Cancelled()
            try:
                self.queue.put(item, timeout=_PUT_TIMEOUT)
                return
            except queue.Full:
                continue

    def create(self, filename: str) -> Py7zIO:
        index = self.created
        self.created += 1
        self.put(("start", filename))
        return _Pipe(self, index)


class _MemberStream(io.RawIOBase):
    """The reader's side of one member: chunks from the queue until its "end"."""

    def __init__(self, channel: _Channel, label: str, index: int):
        super().__init__()
        self.channel = channel
        self.label = label
        self.index = index
        self.pending = memoryview(b"")
        self.ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self.pending:
            if self.ended:
                return 0
            kind, payload = self.channel.queue.get()
            if kind == "data":
                self.pending = memoryview(payload)
                continue
            self.ended = True
            if kind == "error":
                self.channel.final = (kind, payload)
                raise ExtractError(self.label, describe(payload))
            if kind == "done":
                self.channel.final = (kind, payload)
            return 0
        n = min(len(b), len(self.pending))
        b[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n

    def drain(self) -> None:
        """Skip to this member's end (a solid archive cannot skip without decompressing)."""
        self.channel.skip = self.index
        self.pending = memoryview(b"")
        while not self.ended:
            kind, payload = self.channel.queue.get()
            if kind != "data":
                self.ended = True
                if kind != "end":
                    self.channel.final = (kind, payload)


def members(node: Node, stream) -> Iterator[Node | ExtractError]:
    limits, budget = node.budget.limits, node.budget
    fileobj = node.random if node.random is not None else spool(stream, limits.max_spool_bytes, node.label,
                                                                  "7z archive")
    fileobj.seek(0, 2)
    archive_size = max(fileobj.tell(), 1)
    fileobj.seek(0)
    remaining = max(limits.max_total_bytes - budget.total, 1)
    archive = py7zr.SevenZipFile(fileobj, mode="r", max_extract_size=remaining)
    try:
        if archive.needs_password():
            yield ExtractError(node.label, "encrypted 7z archive, password required")
            return
        files = [f for f in archive.list() if not f.is_directory]
        if len(files) > limits.max_entries:
            yield ExtractError(node.label, f"7z archive has {len(files)} entries, more than max_entries "
                                           f"({limits.max_entries}); not read")
            return
        # py7zr never writes more than the declared sizes, so checking them bounds the work.
        declared = sum(f.uncompressed or 0 for f in files)
        if declared > remaining:
            yield ExtractError(node.label, f"stopped: 7z archive declares {declared} bytes, more than what "
                                           "max_total_bytes leaves")
            return
        ratio = declared / archive_size * node.meter.ratio()
        if declared > limits.ratio_grace_bytes and ratio > limits.max_ratio:
            yield ExtractError(node.label, f"stopped: decompressed size exceeds {limits.max_ratio:g}x the "
                                           "compressed size (zip bomb?)")
            return
        yield from _stream(node, archive, archive_size)
    finally:
        archive.close()


def _stream(node: Node, archive, archive_size: int) -> Iterator[Node | ExtractError]:
    channel = _Channel()

    def work():
        try:
            archive.extractall(factory=channel)
            channel.put(("done", None))
        except _Cancelled:
            pass
        except BaseException as exc:  # handed to the reader, who turns it into an error document
            try:
                channel.put(("error", exc))
            except _Cancelled:
                pass

    worker = threading.Thread(target=work, name="leakwatch-7z", daemon=True)
    worker.start()
    started = 0
    try:
        while True:
            kind, payload = channel.final or channel.queue.get()
            if kind == "done":
                return
            if kind == "error":
                yield ExtractError(node.label, describe(payload))
                return
            if kind != "start":
                continue
            label = names.child(node.label, payload)
            member = _MemberStream(channel, label, started)
            started += 1
            # Solid archives have no per-member compressed size: the whole archive's size is used,
            # which under-states the ratio; the declared sizes were checked before starting.
            yield Node(label, Meter(member, label, node.budget, compressed=archive_size, parent=node.meter),
                       node.depth + 1, node.budget)
            member.drain()
    finally:
        channel.cancel.set()
        while worker.is_alive():
            try:
                channel.queue.get(timeout=_PUT_TIMEOUT)
            except queue.Empty:
                pass
        worker.join()
