"""open_documents: walk a source and its nested archives, yielding one Document per member."""

import codecs
import io
import logging
import os
from pathlib import Path
from typing import Iterator

# Archives, workbooks, JSON documents and SQL dumps are imported by the branch that reads
# them: a process that scans one CSV needs none of them (and their libraries: ijson, tarfile...).
from . import encoding, magic, names
from .budget import Budget, Meter, SourceStopped, describe
from .document import Document
from .errors import ExtractError
from .limits import ExtractLimits
from .node import Node
from .readers.blocks import BLOCK_ENCODINGS, read_delimited_blocks
from .readers.text_blocks import read_text_blocks
from .readers.combo import read_combo, read_combo_blocks
from .readers.delimited import read_delimited
from .readers.json_lines import read_json_lines, read_json_lines_blocks
from .readers.text import read_text
from .sniff import sniff
from .streams import SAMPLE_BYTES, buffered, random_access, read_sample

log = logging.getLogger(__name__)

#: share of control bytes above which a sample is binary data, not text (NUL padding in a CSV
#: stays far below; random or compressed bytes are around 11%)
BINARY_CONTROL_RATIO = 0.05
#: read size while looking for text in binary data or padding
_SKIP_READ = 8 << 20


def _binary(sample: bytes) -> bool:
    """Binary data, not text: too many control bytes, NULs aside (padding, never data), or
    nothing but NULs."""
    text = sample.replace(b"\0", b"")
    return not text or magic.control_ratio(text) > BINARY_CONTROL_RATIO


def open_documents(source, name: str | None = None, limits: ExtractLimits | None = None, *,
                   blocks: bool = False) -> Iterator[Document]:
    """Documents found in ``source``: a path (str or Path), a binary file-like object (read
    sequentially, need not be seekable) or bytes. ``name`` labels it in messages (default: the
    file's name). Archives are opened recursively; nothing is ever written to disk.

    ``blocks``: the records of a CSV/TSV, combo-list or free-text source that is not inside an
    archive may include RawBlocks (readers/blocks.py, combo.py, text_blocks.py): whole lines left unparsed, for
    a caller that parses them in other processes. Its ``rows`` then counts only the records
    parsed here.

    Problems with one member (corrupt, encrypted, a limit hit) give an error Document for it and
    the walk goes on; only max_total_bytes and max_seconds stop the whole source.
    """
    if limits is None:
        limits = ExtractLimits()
    elif not isinstance(limits, ExtractLimits):
        raise TypeError(f"limits must be an ExtractLimits, got {type(limits).__name__}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if isinstance(source, (str, os.PathLike)):
        label, opened = names.clean(name or Path(source).name), True
        raw = open(source, "rb")  # an OSError here (missing file) is the caller's to report
    elif isinstance(source, (bytes, bytearray, memoryview)):
        label, opened, raw = names.clean(name or "<bytes>"), True, io.BytesIO(bytes(source))
    elif hasattr(source, "read"):
        own_name = getattr(source, "name", None)  # an int for os.fdopen files
        default = Path(own_name).name if isinstance(own_name, str) and own_name else "<stream>"
        label, opened, raw = names.clean(name or default), False, source
    else:
        raise TypeError(f"source must be a path, bytes or a binary file-like object, got {type(source).__name__}")
    return _documents(raw, label, limits, close=opened, blocks=blocks)


def _documents(raw, label: str, limits: ExtractLimits, close: bool, blocks: bool) -> Iterator[Document]:
    budget = Budget(limits, label)
    walker = _Walker(budget, blocks)
    try:
        top = Node(label, Meter(raw, label, budget), 0, budget, random=raw if random_access(raw) else None)
        yield from walker.walk(top)
        if budget.stopped is not None and budget.stopped not in walker.reported:
            yield Document.failed(budget.stopped)
    finally:
        if close:
            raw.close()


class _Walker:
    def __init__(self, budget: Budget, blocks: bool = False):
        self.budget = budget
        self.blocks = blocks
        self.reported: list[ExtractError] = []  # errors already given to the caller, not to repeat
        self.members = 0  # streams walked into: the source and every member of every layer

    def _error(self, error: ExtractError) -> Document:
        self.reported.append(error)
        log.info("extract: %s", error)  # names and reasons only, never content
        return Document.failed(error)

    def _known(self, error: ExtractError) -> bool:
        return any(error is seen for seen in self.reported)

    def walk(self, node: Node) -> Iterator[Document]:
        if self.budget.stopped is not None:
            return
        try:
            self.budget.check(node.label)
        except SourceStopped as exc:
            yield self._error(exc)
            return
        self.members += 1
        most = self.budget.limits.max_members
        if self.members > most:  # 42.zip: 16 zips of 16 zips... each small, together endless
            self.budget.stopped = SourceStopped(
                node.label, f"stopped: more than {most} archive members and documents in {self.budget.name} "
                            "(max_members); the rest of it not read")
            yield self._error(self.budget.stopped)
            return
        head, error = read_sample(node.meter)
        kind = magic.container(head)
        if kind is None and magic.is_ole2(head):
            yield from self._ole2(node, head, error)
            return
        if kind is None:
            yield from self._leaf(node, head, error)
            return
        if node.depth >= self.budget.limits.max_depth:
            yield self._error(ExtractError(node.label, f"not opened: more than {self.budget.limits.max_depth} "
                                                       "nested archive layers (max_depth)"))
            return
        log.debug("extract: %s is a %s container", node.label, kind)
        from . import archives, workbook

        count = 0
        try:
            for item in archives.members(kind, node, buffered(head, node.meter, error)):
                count += 1
                if isinstance(item, ExtractError):
                    yield self._error(item)
                    continue
                if isinstance(item, workbook.Workbook):
                    yield from self._workbook(node, item.fileobj, item.kind, item.infos)
                    return
                yield from self.walk(item)
                if self.budget.stopped is not None:
                    return
        except ExtractError as exc:
            if not self._known(exc):
                yield self._error(exc)
        except Exception as exc:  # a corrupt container: report it, keep what was read before
            yield self._error(ExtractError(node.label, describe(exc)))
            return
        if count == 0:  # say so, rather than give the caller nothing at all
            yield self._error(ExtractError(node.label, f"empty {kind} archive (no file in it)"))

    def _ole2(self, node: Node, head: bytes, error: ExtractError | None) -> Iterator[Document]:
        """An OLE2 file: an .xls workbook if the spreadsheet reader can read it."""
        from . import archives, workbook

        try:
            if error is not None:
                raise error
            fileobj = archives.whole(node, buffered(head, node.meter, error), "xls workbook")
            yield from self._workbook(node, fileobj, workbook.XLS, None)
        except ExtractError as exc:
            if not self._known(exc):
                yield self._error(exc)

    def _workbook(self, node: Node, fileobj, kind: str, infos) -> Iterator[Document]:
        """One document per sheet with data, read in a child process (workbook.py)."""
        from . import workbook

        if infos is not None:
            fileobj.seek(0, 2)
            problem = workbook.check_declared(node.label, infos, fileobj.tell(), node.meter.ratio(), self.budget)
            if problem is not None:
                yield self._error(problem)
                return
        found = 0
        for item in workbook.sheets(node.label, fileobj, kind, self.budget):
            found += 1
            if isinstance(item, ExtractError):
                yield self._error(item)
                continue
            yield from self._hand_out(Document(item.label, kind, None, item.header, meter=node.meter,
                                               reader=item.records))
            if self.budget.stopped is not None:
                return
        if not found:
            yield self._error(ExtractError(node.label, f"empty {kind} workbook (no cell in any sheet)"))

    def _leaf(self, node: Node, head: bytes, error: ExtractError | None) -> Iterator[Document]:
        if not head:
            yield self._error(error or ExtractError(node.label, "empty input"))
            return
        unsupported = magic.unsupported(head)
        if unsupported:
            yield self._error(ExtractError(node.label, f"binary data, not text: {unsupported}"))
            return
        at_eof = len(head) < SAMPLE_BYTES
        while not at_eof and error is None and not head.strip():  # blank lines: the text is further on
            head, error = read_sample(node.meter)
            at_eof = len(head) < SAMPLE_BYTES
        enc = encoding.detect(head)
        skipped = nuls = 0
        if not enc.startswith(("utf-16", "utf-32")) and _binary(head):
            # Judged by region, not by the first 64 KB: NUL padding or a binary blob may hold a
            # table further on. Read on (every byte counted: max_total_bytes and max_seconds
            # bound this) to the first run of text, and start the document there.
            head, skipped, nuls, at_eof, error = self._skip_binary(node, head, at_eof, error)
            if not head:
                looked = f" (none in its {skipped} bytes)" if skipped > SAMPLE_BYTES else ""
                yield self._error(error or ExtractError(node.label, f"binary data, not text{looked}"))
                return
            enc = encoding.detect(head)
        errors = encoding.errors_for(enc)
        sample = codecs.getincrementaldecoder(enc)(errors).decode(head, final=at_eof)
        sample = sample.lstrip("\ufeff").replace("\x00", "")
        found = sniff(sample, at_eof, self.budget.limits)
        if found.format == "empty":
            yield self._error(error or ExtractError(node.label, "empty input (only blank characters)"))
            return
        log.debug("extract: %s is %s, %s%s", node.label, found.format, enc,
                  f", delimiter {found.delimiter!r}" if found.delimiter else "")
        doc = Document(node.label, found.format, enc, found.header, meter=node.meter,
                       reader=lambda: self._records(doc, found, node, head, error, enc, errors),
                       max_cells=self.budget.limits.max_cells)
        if skipped > nuls:  # NUL padding is never data; other bytes may have been: say so
            doc.notes.add(f"{skipped - nuls} bytes of binary data before its text skipped")
        yield from self._hand_out(doc)

    def _skip_binary(self, node: Node, head: bytes, at_eof: bool, error):
        """(head, bytes skipped, NULs among them, at_eof, error): ``head`` now starts at the first
        text region of the stream and holds up to SAMPLE_BYTES of it; empty if there is none."""
        skipped = nuls = 0
        while True:
            lead = len(head) - len(head.lstrip(b"\0"))  # padding: dropped fast, a sparse file is GBs of it
            if lead:
                skipped, nuls, head = skipped + lead, nuls + lead, head[lead:]
            if head and not _binary(head):
                return head, skipped, nuls, at_eof, error
            cut = 0
            if head:
                cut = magic.next_text(head)
                if cut is None:  # keep a tail that may start a text run
                    cut = len(head) if at_eof else max(len(head) - magic.TEXT_RUN, 0) or len(head)
                skipped += cut
                nuls += head.count(0, 0, cut)
                head = head[cut:]
            if at_eof or error is not None:
                if not head or cut == 0:
                    return b"", skipped, nuls, at_eof, error
                continue
            want = SAMPLE_BYTES - len(head) if head else _SKIP_READ
            more, error = read_sample(node.meter, want)
            at_eof = len(more) < want
            head += more

    def _hand_out(self, doc: Document) -> Iterator[Document]:
        """Yield a document, close it once the consumer moves on, and keep its error for the report."""
        try:
            yield doc
        finally:
            doc.close()
        if doc.error is not None:
            self.reported.append(doc.error)

    def _records(self, doc: Document, found, node: Node, head: bytes, error, enc: str, errors: str):
        limits = self.budget.limits

        def on_header(columns: list[str]) -> None:
            if doc.header is None:
                doc.header = columns

        if found.format == "json":
            from .readers.json_document import ReencodedUtf8, read_json_document

            if enc in ("utf-8", "utf-8-sig"):
                body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
                stream = buffered(body, node.meter, error)
            else:
                stream = ReencodedUtf8(self._text(head, node, error, enc, errors))
            return read_json_document(stream, found.json_prefix, limits, doc.notes)
        if found.format == "xml":
            from .readers.json_document import ReencodedUtf8
            from .readers.xml_document import declares_encoding, read_xml

            # expat reads the encoding the declaration names, else UTF-8 (or UTF-16 by its mark)
            if declares_encoding(head) or enc in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"):
                stream, sample = buffered(head, node.meter, error), head
            else:
                stream = ReencodedUtf8(self._text(head, node, error, enc, errors))
                sample = head.decode(enc, errors).encode("utf-8", "replace")
            return read_xml(stream, sample, limits, doc.notes, on_header, name=node.label)
        if found.format in ("csv", "tsv") and self.blocks and node.depth == 0 and enc in BLOCK_ENCODINGS:
            return read_delimited_blocks(buffered(head, node.meter, error), enc, errors, found.delimiter,
                                         found.skip_header, limits)
        if found.format == "sql" and self.blocks and node.depth == 0 and enc in BLOCK_ENCODINGS:
            from .readers.sql import _spans, read_sql_blocks

            if _spans is not None:
                return read_sql_blocks(buffered(head, node.meter, error), enc, errors, limits, on_header)
        if found.format == "jsonl" and self.blocks and node.depth == 0 and enc in BLOCK_ENCODINGS:
            return read_json_lines_blocks(buffered(head, node.meter, error), enc, errors, limits, doc.notes)
        if found.format == "combo" and self.blocks and node.depth == 0 and enc in BLOCK_ENCODINGS:
            return read_combo_blocks(buffered(head, node.meter, error), enc, errors, limits)
        if found.format == "text" and self.blocks and node.depth == 0 and enc in BLOCK_ENCODINGS:
            return read_text_blocks(buffered(head, node.meter, error), enc, errors, limits, on_header)
        text = self._text(head, node, error, enc, errors)
        if found.format in ("csv", "tsv"):
            return read_delimited(text, found.delimiter, found.skip_header, limits)
        if found.format in ("sql", "pg_copy"):
            from .readers.sql import read_sql

            return read_sql(text, limits, on_header)
        if found.format == "jsonl":
            return read_json_lines(text, limits, doc.notes)
        if found.format == "combo":
            return read_combo(text, limits)
        if found.format == "hl7":
            from .readers.hl7 import read_hl7

            return read_hl7(text, limits)
        return read_text(text, limits, on_header)

    @staticmethod
    def _text(head: bytes, node: Node, error, enc: str, errors: str) -> io.TextIOWrapper:
        # newline="": line endings are given to the readers untouched (csv needs them)
        return io.TextIOWrapper(buffered(head, node.meter, error), encoding=enc, errors=errors, newline="")
