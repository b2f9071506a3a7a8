"""One table from one input: what fingerprinting an institution's own file needs."""

from .errors import ExtractError
from .notes import Notes
from .walk import open_documents


class Table:
    """The single table in `source`: its header (None when it has none) and its records.

    Opening reads the table's start (to find the header); iterating reads the records once,
    as does `parts`. ExtractError if the source holds no table, several, or fails. What was
    skipped without failing (values nested too deep, binary bytes before the text) is in
    `problems()` once the records are read: an institution registering its table must learn
    that some of its values are not in the fingerprint.
    """

    def __init__(self, source, name=None, limits=None):
        self.label = name or str(source)
        # Blocks: a CSV's lines that end outside quotes are left unparsed for whoever reads them (parts()).
        self._documents = open_documents(source, name=self.label, limits=limits, blocks=True)
        self._doc = next(self._documents, None)
        if self._doc is None:
            raise ExtractError(self.label, "no table found")
        if self._doc.error is not None:
            raise self._doc.error
        self.header = self._doc.header
        self._block_notes = []  # each block's own, counted where the block is parsed

    def __iter__(self):
        for part in self.parts():
            if isinstance(part, list):
                yield part
            else:
                yield from part.records()

    def parts(self):
        """The records (``list[str]``) and, in their place, blocks of lines left unparsed
        (readers/blocks.py ``RawBlock``: ``records()`` parses them, ``spans()`` gives the
        C tokenizer their cells where they lie). Fingerprinting reads both."""
        # The walker owns the stream: keep it alive while the records are read.
        for part in self._doc.records():
            notes = getattr(part, "notes", None)  # a block of JSON lines counts what its parsing skips
            if notes is not None:
                self._block_notes.append(notes)
            yield part
        # Streamed archives: a second table shows up only once the first is read.
        if next(self._documents, None) is not None:
            raise ExtractError(self.label, "holds more than one table; fingerprint one table at a time")

    def problems(self) -> list[str]:
        """What reading the records skipped, one line each as a scan's report says it: the
        table's notes and those of the blocks parsed so far (after the records are read: all)."""
        notes = Notes()
        for part in (self._doc.notes, *self._block_notes):
            notes.add_all(part)
        return [f"{self._doc.name}: {message}" for message in notes.messages()]


def table_records(source, name=None, limits=None):
    """Records of the single table in `source` (see Table)."""
    yield from Table(source, name, limits)
