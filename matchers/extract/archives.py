"""Open containers by kind and yield their members as counted streams, in archive order.

Everything is read from streams; nothing is extracted to disk and entry names are labels only.
Each generator yields ``Node`` for a member to walk into, or ``ExtractError`` for a member (or
the rest of the archive) that cannot be read, so the walker can carry on with the others. A
zip that is a workbook (xlsx, ods) gives one ``Workbook`` instead of its parts.
"""

import bz2
import gzip
import lzma
import struct
import tarfile
import zipfile
from typing import Iterator

from . import magic, names, workbook
from .budget import Meter, describe
from .errors import ExtractError
from .node import Node
from .streams import spool

Item = Node | ExtractError | workbook.Workbook


def members(kind: str, node: Node, stream) -> Iterator[Item]:
    """Members of container ``node`` of ``kind``; ``stream`` re-reads it from its first byte."""
    if kind in (magic.GZIP, magic.BZ2, magic.XZ):
        return _decompressed(kind, node, stream)
    if kind == magic.ZIP:
        return _zip(node, stream)
    if kind == magic.TAR:
        return _tar(node, stream)
    if kind == magic.SEVENZIP:
        from .sevenzip import members as sevenzip_members  # py7zr is slow to import; most inputs never need it
        return sevenzip_members(node, stream)
    raise ValueError(f"unknown container kind {kind!r}")


def _decompressed(kind: str, node: Node, stream) -> Iterator[Item]:
    # Counting the compressed bytes consumed gives the true ratio, whatever the headers say.
    compressed = Meter(stream, node.label, node.budget, charge=False)
    opener = {magic.GZIP: gzip.GzipFile, magic.BZ2: bz2.BZ2File, magic.XZ: lzma.LZMAFile}[kind]
    decompressor = opener(fileobj=compressed, mode="rb") if kind == magic.GZIP else opener(compressed, mode="rb")
    label = names.child(node.label, names.decompressed(node.label, kind))
    try:
        yield Node(label, Meter(decompressor, label, node.budget, compressed=lambda: compressed.count,
                                parent=node.meter), node.depth + 1, node.budget)
    finally:
        decompressor.close()


def whole(node: Node, stream, what: str):
    """``node`` with random access: its own file, or its stream held in memory (max_spool_bytes)."""
    if node.random is not None:
        return node.random
    return spool(stream, node.budget.limits.max_spool_bytes, node.label, what)


def _zip_declared_entries(fileobj) -> int | None:
    """Entry count from the end-of-central-directory record, read before zipfile loads every
    entry into memory (a hostile zip can declare millions)."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    tail_len = min(size, 22 + 65535)
    fileobj.seek(size - tail_len)
    tail = fileobj.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    count = struct.unpack("<H", tail[at + 10:at + 12])[0]
    return None if count == 0xFFFF else count  # 0xFFFF: zip64, the real count is elsewhere


class _CountingFile:
    """A seekable file that counts the bytes read through it: the compressed bytes a zip member
    has consumed so far give its true ratio early on (the declared size would only give it at
    the end, when the damage is done)."""

    def __init__(self, fileobj):
        self._f = fileobj
        self.count = 0

    def read(self, n=-1):
        data = self._f.read(n)
        self.count += len(data)
        return data

    def seek(self, *args):
        return self._f.seek(*args)

    def tell(self):
        return self._f.tell()

    def seekable(self):
        return True


def _zip(node: Node, stream) -> Iterator[Item]:
    limits = node.budget.limits
    fileobj = whole(node, stream, "zip archive")
    declared = _zip_declared_entries(fileobj)
    if declared is not None and declared > 10 * limits.max_entries:
        yield ExtractError(node.label, f"zip archive declares {declared} entries, far more than "
                                       f"max_entries ({limits.max_entries}); not read")
        return
    counting = _CountingFile(fileobj)
    with zipfile.ZipFile(counting) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        overlap = _overlapping(infos)
        if overlap:
            yield ExtractError(node.label, "stopped: zip entries overlap each other (zip bomb?)")
            return
        kind = workbook.zip_kind(archive)
        if kind is not None:
            yield workbook.Workbook(kind, fileobj, infos)
            return
        for index, info in enumerate(infos):
            label = names.child(node.label, info.filename)
            if index >= limits.max_entries:
                yield ExtractError(node.label, f"stopped after {limits.max_entries} entries (max_entries); "
                                               f"{len(infos) - index} more not read")
                return
            if info.flag_bits & 0x1:
                yield ExtractError(label, "encrypted member, password required")
                continue
            try:
                start = counting.count
                member = archive.open(info)
            except (NotImplementedError, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
                yield ExtractError(label, describe(exc))
                continue
            try:
                consumed = lambda start=start: counting.count - start  # noqa: E731
                yield Node(label, Meter(member, label, node.budget, compressed=consumed, parent=node.meter),
                           node.depth + 1, node.budget)
            finally:
                member.close()


def _overlapping(infos: list[zipfile.ZipInfo]) -> bool:
    """True if an entry's data runs into the next entry's header: "overlapping file" zip bombs
    point thousands of entries at one compressed blob, each small, together enormous."""
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for a, b in zip(ordered, ordered[1:]):
        if a.header_offset + a.compress_size > b.header_offset:
            return True
    return False


def _tar(node: Node, stream) -> Iterator[Item]:
    limits = node.budget.limits
    # 'r|': stream mode, members in order, no seeking; the decompression layer (if any)
    # was already peeled off by the walker, which recognised it by its magic bytes.
    archive = tarfile.open(fileobj=stream, mode="r|")
    try:
        count = 0
        while (info := archive.next()) is not None:
            count += 1
            if count > limits.max_entries:
                yield ExtractError(node.label, f"stopped after {limits.max_entries} entries (max_entries); "
                                               "more not read")
                return
            if not info.isreg():
                continue  # directories, links, devices: nothing to read (and links are never followed)
            label = names.child(node.label, info.name)
            member = archive.extractfile(info)
            # charge=False: these bytes were already counted by the layer below (file or gzip)
            yield Node(label, Meter(member, label, node.budget, parent=node.meter, charge=False),
                       node.depth + 1, node.budget)
            # tarfile skips what the reader left unread when it moves to the next header
            archive.members.clear()  # stream mode would keep every TarInfo: memory grows with entries
    finally:
        archive.close()
