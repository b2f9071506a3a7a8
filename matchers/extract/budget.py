"""Counting streams: every decompressed byte is counted as it is read, and limits are checked there.

Headers of archives can lie (a zip entry may declare 1 KB and inflate to 1 TB), so sizes and
ratios are enforced on the bytes actually produced, chunk by chunk, never on declared sizes alone.
"""

import io
import lzma
import sys
import time
import zlib
from typing import Callable

from .errors import ExtractError
from .limits import ExtractLimits


class SourceStopped(ExtractError):
    """A limit of the whole source (total size, time) was hit: nothing more is read from it."""


class Budget:
    """What one top-level source may still consume: total decompressed bytes and wall-clock time."""

    def __init__(self, limits: ExtractLimits, name: str):
        self.limits = limits
        self.name = name
        self.total = 0
        self.deadline = time.monotonic() + limits.max_seconds
        self.stopped: SourceStopped | None = None

    def charge(self, n: int, label: str) -> None:
        self.total += n
        if self.stopped is None:
            if self.total > self.limits.max_total_bytes:
                self.stopped = SourceStopped(
                    label, f"stopped: more than {self.limits.max_total_bytes} bytes decompressed "
                    f"from {self.name} (max_total_bytes)")
            elif time.monotonic() > self.deadline:
                self.stopped = SourceStopped(
                    label, f"stopped: {self.name} took longer than {self.limits.max_seconds:g} s (max_seconds)")
        if self.stopped is not None:
            raise self.stopped

    def check(self, label: str) -> None:
        """Raise if the source is already stopped or out of time (called between documents)."""
        self.charge(0, label)


def describe(exc: BaseException) -> str:
    """A one-line reason for a library error, without any input content in it."""
    if isinstance(exc, EOFError):
        return "truncated: compressed data ends before its end marker"
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "encrypted member, password required"
    if isinstance(exc, (zlib.error, lzma.LZMAError, *_archive_errors(), OSError,
                        NotImplementedError, ValueError, RuntimeError)):
        # These libraries' messages name the problem ("Bad CRC-32", "Invalid data stream"),
        # not the data; still cut them so a pathological one cannot flood a report.
        text = " ".join(str(exc).split())[:160]
        return f"corrupt or unsupported data ({type(exc).__name__}: {text})" if text else \
            f"corrupt or unsupported data ({type(exc).__name__})"
    return f"unreadable ({type(exc).__name__})"


def _archive_errors() -> tuple[type[BaseException], ...]:
    """zipfile's and tarfile's errors, looked up rather than imported: one can only come from a
    loaded module, and a process that scans a plain file loads neither."""
    found = (getattr(sys.modules.get(module), name, None) for module, name in
             (("zipfile", "BadZipFile"), ("tarfile", "TarError")))
    return tuple(error for error in found if error is not None)


class Meter(io.RawIOBase):
    """A readable raw stream over ``inner`` that counts bytes and enforces the limits.

    ``compressed`` is the size the bytes came from (an int, or a callable giving the compressed
    bytes consumed so far), or None when this layer does not decompress (a tar member, a plain
    file). The ratio compounds with ``parent``'s, so a bomb split over nested zips is caught too.
    ``charge`` says whether these bytes count toward ``max_total_bytes`` (not when they are a
    re-read of bytes already counted, such as a tar member read out of a counted gzip stream).
    """

    def __init__(self, inner, label: str, budget: Budget, *, compressed: int | Callable[[], int] | None = None,
                 parent: "Meter | None" = None, charge: bool = True):
        super().__init__()
        self.inner = inner
        self.label = label
        self.budget = budget
        self.compressed = compressed
        self.parent = parent
        self.charge = charge
        self.count = 0
        self.failed: ExtractError | None = None
        # readinto1 where there is one: a buffered decompressor's readinto() loses the data it
        # already produced when the input turns out truncated; readinto1 returns it first
        self._readinto = getattr(inner, "readinto1", None) or getattr(inner, "readinto", None)

    def readable(self) -> bool:
        return True

    def ratio(self) -> float:
        own = 1.0
        if self.compressed is not None:
            size = self.compressed() if callable(self.compressed) else self.compressed
            own = self.count / max(size, 1)
        return own * (self.parent.ratio() if self.parent is not None else 1.0)

    def readinto(self, b) -> int:
        if self.failed is not None:
            raise self.failed
        try:
            if self._readinto is not None:
                n = self._readinto(b) or 0
            else:
                data = self.inner.read(len(b))
                n = len(data)
                b[:n] = data
        except ExtractError as exc:
            self.failed = exc
            raise
        except Exception as exc:  # library errors of every kind become one clear ExtractError
            self.failed = ExtractError(self.label, describe(exc))
            raise self.failed from exc
        self.count += n
        if self.charge:
            self.budget.charge(n, self.label)
        limits = self.budget.limits
        if self.count > limits.ratio_grace_bytes and self.ratio() > limits.max_ratio:
            self.failed = ExtractError(
                self.label, f"stopped: decompressed size exceeds {limits.max_ratio:g}x the compressed size (zip bomb?)")
            raise self.failed
        return n
