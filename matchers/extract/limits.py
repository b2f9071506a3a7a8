"""Limits that keep hostile input (zip bombs, endless lines, deep nesting) cheap to reject."""

from dataclasses import dataclass, fields

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True)
class ExtractLimits:
    """Bounds applied to one top-level source given to ``open_documents``.

    Exceeding a bound turns the member concerned into an error document (or makes its
    ``records()`` raise ``ExtractError``); the other members are still read, except for
    ``max_total_bytes`` and ``max_seconds`` which stop the whole source.
    """

    #: archives (and compression layers: a .tar.gz counts 2) nested around a document
    max_depth: int = 5
    #: members read from one archive; the rest become one error document
    max_entries: int = 10_000
    #: decompressed bytes for the whole source, every layer counted (a plain 2 GB paste must pass)
    max_total_bytes: int = 8 * GiB
    #: decompressed/compressed, compounded through nested layers (a zip in a zip multiplies)
    max_ratio: float = 200.0
    #: ratio is only enforced past this many decompressed bytes of one member, so that
    #: small, very compressible files (a 1 MB gz of a repeated line) pass
    ratio_grace_bytes: int = 64 * MiB
    #: wall-clock seconds for the whole source, including the time the caller spends per record
    max_seconds: float = 600.0
    #: a line longer than this is read in windows of this many characters, each a line of its
    #: own, overlapping a little so that no identifier is lost at a cut (never held whole)
    max_line_chars: int = 1 * MiB
    #: a cell longer than this is cut
    max_cell_chars: int = 1 * MiB
    #: a record with more cells than this is given out as several records of at most this many
    #: cells each (a 2,000-column export is one record per row)
    max_cells: int = 10_000
    #: JSON containers nested deeper than this are skipped with what they hold (counted in the
    #: document's error); the rest of the document is read
    max_depth_json: int = 256
    #: documents (archive members and leaves) opened from one source, every layer counted;
    #: the rest of the source is not read, and the error says so
    max_members: int = 10_000
    #: zip and 7z need random access: when one is nested in a stream (a zip inside a tar.gz)
    #: it is held in memory, up to this size; never on disk
    max_spool_bytes: int = 512 * MiB
    #: address space of the process that reads a workbook (xlsx, ods, xls): the library holds
    #: a sheet whole, 30 to 100 bytes a cell, in a grid sized by its furthest cells, so a tiny
    #: file can ask for terabytes. A workbook that needs more is an error document.
    max_sheet_memory: int = 2 * GiB

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"ExtractLimits.{f.name} must be a number, got {type(value).__name__}")
            if f.type is int and not isinstance(value, int):
                raise TypeError(f"ExtractLimits.{f.name} must be an int, got {value!r}")
            if value <= 0:
                raise ValueError(f"ExtractLimits.{f.name} must be > 0, got {value!r}")
        if self.max_ratio < 1:
            raise ValueError(f"ExtractLimits.max_ratio must be >= 1 (decompressed/compressed), got {self.max_ratio!r}")
        if self.max_line_chars < 80:
            raise ValueError(f"ExtractLimits.max_line_chars must be >= 80, got {self.max_line_chars!r}")
        if self.max_sheet_memory < 128 * MiB:  # the interpreter of the workbook reader needs some
            raise ValueError(f"ExtractLimits.max_sheet_memory must be >= {128 * MiB}, got {self.max_sheet_memory!r}")
