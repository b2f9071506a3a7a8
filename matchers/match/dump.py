"""Scanning one dump end to end: the one path every input takes.

A file given to `leakwatch scan`, a crawled paste and a forum attachment all come here:
extract -> tokens -> index lookup -> evidence -> sighting (with its repost links).
"""

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from .scanner import Scanner

_READ = 1 << 20
# Below this size a file is scanned in one process: forking costs more than it saves. A
# 15 MB lab export takes a second and a half of CPU past start-up: the second core halves
# that, while the fork and the parent's first 2,000 records cost under 0.1 s.
PARALLEL_FROM_BYTES = 8 << 20


class _HashingReader:
    """A binary reader that hashes what passes through it (the dump itself is never stored)."""

    def __init__(self, raw):
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.count = 0

    def read(self, size=-1):
        data = self._raw.read(size)
        self.sha256.update(data)
        self.count += len(data)
        return data

    def readable(self):
        return True

    def drain(self, deadline: float, seconds: float) -> str | None:
        """Read (and hash) the rest, until ``deadline`` (time.monotonic()); None when all was read,
        else why not: an endless stream (/dev/zero, a gzip that never ends) is not read for ever,
        and a pipe that trickles or says nothing is read with the deadline (extract/deadline.py)."""
        from ..extract import ExtractError

        while time.monotonic() < deadline:
            try:
                if not self.read(_READ):
                    return None
            except ExtractError:  # the deadline reader gave up waiting
                break
            except OSError as exc:  # a broken pipe, an I/O error of the device
                return f"reading failed ({exc.strerror or type(exc).__name__})"
        return f"stopped reading after {seconds:g} s (max_seconds)"


@dataclass
class DumpReport:
    name: str
    rows: int
    format: str
    matches: list
    similar_sightings: list
    errors: list
    documents: list
    sighting_id: str | None
    sha256: str
    excerpt: list = None

    def as_dict(self) -> dict:
        return {
            "file": self.name,
            "rows": self.rows,
            "format": self.format,
            "matches": self.matches,
            "similar_sightings": self.similar_sightings,
            "error": error_text(self.errors),
            "documents": self.documents,
            "sighting": self.sighting_id,
            "sha256": self.sha256,
            "excerpt": self.excerpt or [],
        }


class _StaleSnapshot(Exception):
    """The registry changed after the index snapshot a scan started from was saved."""


class DumpScanner:
    def __init__(self, index_cache, tokenizer, sightings, limits=None, queue=None, workers: int = 1,
                 parallel_from_bytes: int = PARALLEL_FROM_BYTES, open_stores=None):
        """open_stores: opens the client of the registry, sightings and queue when they are made on
        first use (leakwatch.runtime): a big file's scan calls it while its workers run."""
        self.open_stores = open_stores
        self.workers = workers
        self.parallel_from_bytes = parallel_from_bytes
        self.index_cache = index_cache
        self.tokenizer = tokenizer
        self.sightings = sightings
        self.limits = limits
        self.queue = queue
        # A list to take each scan's workers' pool once its results are in, for the caller to end
        # after answering (Scanner's pools_to_end; the scan service); None: ended by the scan.
        self.pools_to_end = None

    def scan_path(self, path, *, name: str | None = None, opener=None, **sighting) -> DumpReport:
        """opener(path): a new reader of the file from its start (default: extract.deadline.open_for_scan);
        called again if the file is read a second time."""
        from ..extract.deadline import open_for_scan

        path = Path(path)
        opener = opener or open_for_scan  # a FIFO is opened without waiting for its writer
        from_snapshot = True
        while True:
            try:
                handle = opener(path)
            except OSError as exc:
                return failed_report(name or str(path), f"cannot read {path}: {exc.strerror or exc}")
            with handle:
                try:
                    size = path.stat().st_size
                except OSError:
                    size = 0
                workers = self.workers if size >= self.parallel_from_bytes else 1
                # A big file's workers start on the index the snapshot holds, while this process
                # imports redis-py and connects (a tenth of a 20 MB file's scan); a file, which
                # can be read again, is scanned again if the registry has changed since.
                unchecked = None
                if workers > 1 and from_snapshot and path.is_file():
                    unchecked = self.index_cache.unchecked()
                try:
                    return self.scan_stream(handle, name=name or str(path), workers=workers, unchecked=unchecked,
                                            **sighting)
                except _StaleSnapshot:
                    from_snapshot = False

    def scan_bytes(self, data: bytes, *, name: str, **sighting) -> DumpReport:
        import io

        return self.scan_stream(io.BytesIO(data), name=name, **sighting)

    def scan_stream(self, stream, *, name: str, url=None, source=None, progress=None, record=True,
                    title=None, author=None, posted_at=None, commit=None, workers: int = 1,
                    unchecked=None) -> DumpReport:
        """unchecked: an index from IndexCache.unchecked, to scan with before the registry is asked
        whether it changed (see scan_path); _StaleSnapshot if it had, before any sighting is
        recorded."""
        # Imported here: archive support pulls in py7zr, which the matching code does not need.
        from ..extract import ExtractError, ExtractLimits, open_documents
        from ..extract.deadline import with_deadline

        limits = self.limits or ExtractLimits()
        # max_seconds bounds the whole scan of one input: extraction, matching and the hash
        deadline = time.monotonic() + limits.max_seconds
        # a pipe or FIFO is read with that deadline: a blocked read would not check it
        reader = _HashingReader(with_deadline(stream, deadline, name, limits.max_seconds))
        documents, errors, read = [], [], []

        def records():
            # With workers, a big CSV's lines are parsed by them (blocks, see extract/readers/blocks.py).
            for doc in open_documents(reader, name=name, limits=limits, blocks=workers > 1):
                entry = {"name": doc.name, "format": doc.format, "rows": 0, "error": None}
                documents.append(entry)
                if doc.error is not None:
                    entry["error"] = str(doc.error)
                    errors.append(str(doc.error))
                    continue
                try:
                    yield from doc.records()
                except ExtractError:
                    pass  # doc.error is set: reported below with the notes
                finally:
                    entry["rows"] = doc.rows
                    read.append((doc, entry, len(errors)))  # its problems: once its blocks are read too

        index = unchecked if unchecked is not None else self.index_cache.get()
        scanner = Scanner(index, self.tokenizer, workers=workers, pools_to_end=self.pools_to_end)
        meanwhile = self.open_stores if unchecked is not None else None
        try:
            outcome = scanner.scan(records(), progress=progress, meanwhile=meanwhile)
        except ExtractError as exc:  # raised while opening the outer source itself
            errors.append(str(exc))
            outcome = scanner.scan(iter(()))
        if unchecked is not None and not self.index_cache.current(unchecked):
            raise _StaleSnapshot
        if read:
            # What the workers' reading of the blocks skipped belongs to the document they came
            # from, the first (the only one read in blocks): counted with its own notes.
            for template, count in outcome.notes.items():
                read[0][0].notes.add(template, count)
        for doc, entry, at in reversed(read):  # from the last: each inserts where its reading ended
            problems = doc.problems()
            if problems:
                entry["error"] = error_text(problems)
                errors[at:at] = problems
        unread = reader.drain(deadline, limits.max_seconds)
        if unread is not None:
            errors.append(f"{name}: {unread}; its sha256 "
                          f"is that of the first {reader.count} bytes, not of the whole input")
        errors.extend(outcome.errors)
        if workers > 1 and documents:
            # Blocks of lines were counted, and failed, where they were parsed; only the first
            # document can have blocks (a CSV that is the source itself).
            documents[0]["rows"] = outcome.rows - sum(d["rows"] for d in documents[1:])
            documents[0]["error"] = documents[0]["error"] or error_text(outcome.errors)
        sha256 = reader.sha256.hexdigest()
        matches = [m.as_dict() for m in outcome.matches]
        positions = {(m.institution, m.dataset): m for m in outcome.matches}
        formats = sorted({d["format"] for d in documents if d["format"] != "error"})
        fmt = "+".join(formats) if formats else "error"
        similar, sighting_id = [], None
        if record:
            stored = self.sightings.record(
                name=name, url=url, source=source, sha256=sha256, rows=outcome.rows, fmt=fmt,
                matches=matches, sketch=outcome.sketch, error=error_text(errors),
                excerpt="\n".join(outcome.excerpt), title=title, author=author, posted_at=posted_at, commit=commit,
                queue=self.queue, positions=positions,
            )
            similar, sighting_id = stored["similar"], stored["id"]
        return DumpReport(name, outcome.rows, fmt, matches, similar, errors, documents, sighting_id, sha256,
                          outcome.excerpt)


#: errors of one input shown (and stored with its sighting) in full; the others are counted
SHOWN_ERRORS = 10
#: longest text of one error (a member's name can be 64 KB long)
ERROR_CHARS = 400


def error_text(errors: list[str]) -> str | None:
    """The errors of one input as one bounded text: the first few and the last, each cut to
    ERROR_CHARS, and how many more (a 42.zip-style bomb has tens of thousands)."""
    if not errors:
        return None
    def cut(e: str) -> str:
        return e if len(e) <= ERROR_CHARS else e[:ERROR_CHARS] + "…"

    if len(errors) <= SHOWN_ERRORS:
        return "; ".join(map(cut, errors))
    # the last one too: a limit that stopped the whole input is reported last
    more = len(errors) - SHOWN_ERRORS
    return "; ".join(map(cut, errors[:SHOWN_ERRORS - 1])) + f"; and {more} more errors; last: {cut(errors[-1])}"


def failed_report(name: str, message: str) -> DumpReport:
    """The report of a dump that could not be scanned at all: no rows, one error."""
    return DumpReport(name, 0, "error", [], [], [message], [], None, "")
