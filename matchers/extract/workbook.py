"""Workbooks: .xlsx/.xlsm, .xlsb and .ods are zip files, .xls an OLE2 file. They are recognised by
their parts (never their names), and read sheet by sheet, with the cell types of the
workbook, by readers/spreadsheet.py in a child process.

Why a child: python-calamine loads a whole sheet as a grid sized by its furthest cells, and
a failed allocation aborts the process that makes it. The child runs with its address space
capped at max_sheet_memory; if a workbook asks for more, that child ends and the workbook is
an error document, while the scan goes on. Before a zip workbook is handed over, the sizes
its entries declare are checked against the limits (the library refuses to inflate an
entry past its declared size, so these bound what it decompresses) and charged to the
source's budget. Rows come back in batches, read with the source's deadline.
"""

import json
import os
import select
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from . import names
from .budget import Budget
from .errors import ExtractError, ReadFailed
from .header import looks_like_header

XLSX, XLSB, ODS, XLS = "xlsx", "xlsb", "ods", "xls"
FORMATS = (XLSX, XLSB, ODS, XLS)
_ODS_TYPES = (b"application/vnd.oasis.opendocument.spreadsheet",
              b"application/vnd.oasis.opendocument.spreadsheet-template")
_PROGRAM = Path(__file__).with_name("readers") / "spreadsheet.py"
HEADER_SAMPLE = 50         # rows looked at to tell a header row from data, as for CSV
_MAX_FRAME = 256 << 20     # no batch of the child comes near this: a bigger length is garbage
_FEED_BYTES = 1 << 20


def zip_kind(archive: zipfile.ZipFile) -> str | None:
    """The kind of workbook a zip is, or None for an ordinary zip (of CSVs, say)."""
    parts = set(archive.namelist())
    if "[Content_Types].xml" in parts:
        if "xl/workbook.xml" in parts:
            return XLSX
        if "xl/workbook.bin" in parts:
            return XLSB
    if "content.xml" in parts and "mimetype" in parts:
        info = archive.getinfo("mimetype")
        if info.file_size <= 100 and info.compress_size <= 200 and not info.flag_bits & 0x1:
            if archive.read(info).strip() in _ODS_TYPES:
                return ODS
    return None


@dataclass
class Workbook:
    """A workbook found by the zip reader where an archive was expected."""

    kind: str
    fileobj: object                     # random access to the whole file
    infos: list[zipfile.ZipInfo]


@dataclass
class Sheet:
    label: str
    header: list[str] | None
    records: Callable[[], Iterator[list[str]]]


def check_declared(label: str, infos: list[zipfile.ZipInfo], size: int, ratio_above: float,
                   budget: Budget) -> ExtractError | None:
    """Refuse a zip workbook whose declared decompressed size breaks the ratio limit; charge
    that size to the budget (which stops the source past max_total_bytes)."""
    limits = budget.limits
    declared = sum(info.file_size for info in infos)
    ratio = declared / max(size, 1) * ratio_above
    if declared > limits.ratio_grace_bytes and ratio > limits.max_ratio:
        return ExtractError(label, f"not read: its parts declare {declared} bytes, more than {limits.max_ratio:g}x "
                                   "the compressed size (zip bomb?)")
    budget.charge(declared, label)
    return None


def sheets(label: str, fileobj, kind: str, budget: Budget) -> Iterator[Sheet | ExtractError]:
    """The sheets with data of a workbook, in order, each a Sheet to read before asking for the
    next one (or left unread: its rows are then skipped); problems are ExtractErrors."""
    try:
        child = _Child(fileobj, label, budget)
    except OSError as exc:
        yield ExtractError(label, f"could not start the spreadsheet reader ({type(exc).__name__})")
        return
    try:
        yield from _sheets(child, label, kind)
    finally:
        child.close()


def _sheets(child: "_Child", label: str, kind: str) -> Iterator[Sheet | ExtractError]:
    try:
        while True:
            message = child.next()
            if message[0] == "done":
                return
            if message[0] == "error":
                where = label if message[1] is None else names.child(label, message[1])
                reason = message[2]
                if message[1] is None and kind == XLS:
                    reason = f"OLE2 document that is no readable Excel workbook (.doc, .msg?): {reason}"
                yield ExtractError(where, reason)
                continue
            if message[0] != "sheet":
                continue  # the rest of a sheet its reader left: skipped
            name = message[1]
            first: list[list[str]] = []
            while len(first) < HEADER_SAMPLE:
                message = child.next()
                if message[0] != "rows":
                    child.push(message)
                    break
                first.extend(message[1])
            header = None
            if first and looks_like_header(first[0], first[1:HEADER_SAMPLE]):
                header = [cell.strip() for cell in first[0]]
                first = first[1:]
            yield Sheet(names.child(label, name), header, _records_of(child, first))
    except _ChildGone as gone:
        if not child.reported:
            yield ExtractError(label, str(gone))


def _records_of(child: "_Child", first: list[list[str]]) -> Callable[[], Iterator[list[str]]]:
    def records() -> Iterator[list[str]]:
        yield from first
        try:
            while True:
                message = child.next()
                if message[0] == "rows":
                    yield from message[1]
                elif message[0] == "error":  # this sheet's, part-way: the records before it stand
                    raise ReadFailed(message[2])
                else:
                    if message[0] != "end_sheet":
                        child.push(message)
                    return
        except _ChildGone as gone:
            child.reported = True
            raise ReadFailed(str(gone)) from None
    return records


class _ChildGone(Exception):
    """The child ended before saying "done"."""


class _Child:
    """readers/spreadsheet.py running on one workbook, and its messages."""

    def __init__(self, fileobj, label: str, budget: Budget):
        limits = budget.limits
        self.label = label
        self.budget = budget
        self.limits = limits
        self.reported = False  # the child's end was already told through a sheet's error
        self._pushed: list | None = None
        self._proc = subprocess.Popen(
            [sys.executable, "-I", str(_PROGRAM), str(limits.max_sheet_memory), str(limits.max_cells),
             str(limits.max_cell_chars), str(limits.max_line_chars)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._fd = self._proc.stdout.fileno()
        self._feed(fileobj)

    def _feed(self, fileobj) -> None:
        # The child reads its whole input before it writes anything: no deadlock.
        fileobj.seek(0)
        try:
            while chunk := fileobj.read(_FEED_BYTES):
                self._proc.stdin.write(chunk)
        except BrokenPipeError:
            pass  # it ended early: its exit status says why
        finally:
            try:
                self._proc.stdin.close()
            except BrokenPipeError:
                pass

    def push(self, message: list) -> None:
        self._pushed = message

    def next(self) -> list:
        if self._pushed is not None:
            message, self._pushed = self._pushed, None
            return message
        size = int.from_bytes(self._read(4), "big")
        if size > _MAX_FRAME:
            raise _ChildGone("the spreadsheet reader sent garbage")
        return json.loads(self._read(size).decode("utf-8"))

    def _read(self, n: int) -> bytes:
        parts, got = [], 0
        while got < n:
            left = self.budget.deadline - time.monotonic()
            ready = select.select([self._fd], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                self.close()
                self.budget.check(self.label)  # raises: the source is out of time
                continue
            chunk = os.read(self._fd, min(n - got, _FEED_BYTES))
            if not chunk:
                raise _ChildGone(self._why_gone())
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def _why_gone(self) -> str:
        code = self._proc.wait()
        if code == -signal.SIGABRT or code == -signal.SIGKILL:
            return (f"stopped: the workbook needs more memory than max_sheet_memory ({self.limits.max_sheet_memory} "
                    "bytes) to be read (a sheet is held whole, as a grid as wide and long as its furthest cells)")
        return f"the spreadsheet reader ended unexpectedly (exit status {code})"

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._proc.stdout.close()
