"""Document: one readable thing found in a source (a file, an archive member), as records."""

from typing import Callable, Iterator

from .budget import Meter, describe
from .errors import ExtractError, ReadFailed
from .notes import Notes, split_wide
from .readers.blocks import RawBlock

FORMATS = ("csv", "tsv", "sql", "pg_copy", "jsonl", "json", "xml", "text", "combo", "hl7", "xlsx", "xlsb", "ods",
           "xls", "error")


class Document:
    """A stream of records (``list[str]``) with what is known about it.

    ``records()`` can be iterated once, and only until ``open_documents`` is asked for the next
    document (members of a stream are read in order). It may raise ``ExtractError`` part-way
    (truncated data, a limit): the records yielded before stay valid, and ``error`` is set.
    """

    def __init__(self, name: str, format: str, encoding: str | None = None, header: list[str] | None = None,
                 error: ExtractError | None = None, *, reader: Callable[[], Iterator[list[str]]] | None = None,
                 meter: Meter | None = None, max_cells: int | None = None):
        if format not in FORMATS:
            raise ValueError(f"Document format must be one of {', '.join(FORMATS)}, got {format!r}")
        if format == "error" and error is None:
            raise ValueError("an error Document needs its ExtractError")
        if format != "error" and reader is None:
            raise ValueError(f"a {format} Document needs a reader")
        self.name = name
        self.format = format
        self.encoding = encoding
        self.header = header
        self.error = error
        self.rows = 0
        #: what was skipped without failing (readers add to it); reported with ``error``
        self.notes = Notes()
        self._max_cells = max_cells
        self._reader = reader
        self._meter = meter
        self._started = False
        self._stale = False

    @classmethod
    def failed(cls, error: ExtractError) -> "Document":
        return cls(error.name, "error", error=error)

    @property
    def bytes_read(self) -> int:
        """Decompressed bytes of this document consumed so far (including the sniffed sample)."""
        return self._meter.count if self._meter is not None else 0

    def records(self) -> Iterator[list[str]]:
        if self._started:
            raise RuntimeError(f"{self.name}: records() can only be iterated once (the input is a stream)")
        self._started = True
        if self._reader is None:
            return iter(())
        return self._iterate()

    def _iterate(self) -> Iterator[list[str]]:
        if self._stale:
            raise self._fail(ExtractError(self.name, "no longer readable: open_documents() has moved on"))
        try:
            most = self._max_cells
            for cells in self._reader():
                if isinstance(cells, RawBlock):  # its records are counted where it is parsed
                    yield cells
                elif most is not None and len(cells) > most:  # never cut: several records
                    for part in split_wide(cells, most):
                        self.rows += 1
                        yield part
                else:
                    self.rows += 1
                    yield cells
        except ExtractError as exc:
            raise self._fail(exc)
        except ReadFailed as exc:
            raise self._fail(ExtractError(self.name, str(exc))) from None
        except (MemoryError, RecursionError, UnicodeError, OSError, ValueError) as exc:
            raise self._fail(ExtractError(self.name, describe(exc))) from exc

    def problems(self) -> list[str]:
        """The error and the notes, one line each, as reports show them."""
        lines = [str(self.error)] if self.error is not None else []
        return lines + [f"{self.name}: {note}" for note in self.notes.messages()]

    def _fail(self, error: ExtractError) -> ExtractError:
        self.error = error
        return error

    def close(self) -> None:
        """Called by the walker when it moves on: the stream below is no longer this document's."""
        self._stale = True

    def __repr__(self) -> str:
        state = f" error={self.error.reason!r}" if self.error else ""
        return f"<Document {self.name!r} {self.format} rows={self.rows}{state}>"
