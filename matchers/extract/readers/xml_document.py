"""XML documents: software exports of patients, HL7 CDA and FHIR XML, feeds.

An XML file has no rows, but a data export repeats one element per person (<patient> under
<patients>, <entry> under <feed>). The record element is the path that most often holds
elements of its own in the file's first 64 KiB (the shallowest of equals); each one is a
record of its values in document order: every element's text and every attribute, as a JSON
record's leaves are, named by their paths for the header. What lies outside the records (a
CDA's patient header, an export's metadata) is not lost: each top-level element outside them
gives a record of its own values. With no repeated element the document is one record.

The parse is streamed (defusedxml's iterparse, an element dropped once read: memory does not
grow with the file) and defused: a document declaring entities (the billion laughs) or
reaching out for external ones is refused at that point, with the records read before it kept.
Elements nested deeper than max_depth_json are skipped and counted in the document's notes.
Comments and processing instructions are markup, not values: they are not read.
"""

import io
import re
from collections import Counter
from typing import Callable, Iterator

from ..cells import fit_cells
from ..errors import ExtractError
from ..limits import ExtractLimits

#: what a document's notes say when elements nested deeper than max_depth_json were left out
DEPTH_NOTE = "{n} XML elements nested deeper than max_depth_json (%d levels) skipped"
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*\bencoding\s*=\s*[\"']([A-Za-z0-9._-]+)", re.I)
_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")
# Pages are read as text (their text is what a paste site shows), not as records of elements.
_HTML = frozenset("html head body div p span a table br meta link script style pre title form".split())


def is_xml(text: str, at_eof: bool = True) -> bool:
    """A sample that is the start of a well-formed XML document: its declaration or a root element
    that is no HTML element, and no error in it (a paste of '<b>' and prose is text)."""
    from xml.parsers.expat import ExpatError, ParserCreate

    first = _FIRST_TAG.match(text)
    if not text.startswith("<?xml") and (not first or first.group(1).lower() in _HTML):
        return False
    if "<!ENTITY" in text:
        return True  # read_xml refuses it, and says why
    parser = ParserCreate("utf-8")  # the sample is decoded already: whatever the declaration says
    try:
        parser.Parse(text.encode("utf-8", "replace"), False)
        if at_eof:
            parser.Parse(b"", True)
    except ExpatError:
        return False
    return True


def declares_encoding(head: bytes) -> bool:
    """The XML declaration names an encoding (expat then reads the bytes as they are)."""
    return bool(_DECLARED.match(head.lstrip(b"\xef\xbb\xbf")))


def _local(tag: str) -> str:
    """'{urn:hl7-org:v3}patient' -> 'patient': namespaces name nothing a reader needs."""
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


def _events(stream):
    from defusedxml.ElementTree import iterparse

    return iterparse(stream, events=("start", "end"), forbid_dtd=False, forbid_entities=True, forbid_external=True)


def record_path(sample: bytes) -> tuple:
    """The path of the record element in ``sample`` (the start of the document), or () for none."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException

    holders: Counter = Counter()
    path, nested = [], []
    try:
        for event, elem in _events(io.BytesIO(sample)):
            if event == "start":
                if nested:
                    nested[-1] = True
                path.append(_local(elem.tag))
                nested.append(False)
            else:
                if nested.pop() and len(path) > 1:
                    holders[tuple(path)] += 1
                path.pop()
                elem.clear()
    except (ParseError, DefusedXmlException, ValueError, LookupError):
        pass  # the sample ends mid-document, or the parse is refused: what was seen decides
    repeated = [(count, -len(p), p) for p, count in holders.items() if count >= 2]
    return max(repeated)[2] if repeated else ()


class _Paced(io.RawIOBase):
    """The bytes of ``raw``, refused once ``most`` of them pass without the parse giving an event:
    expat holds a text or a tag whole, and a 2 GB one must not be held."""

    def __init__(self, raw, most: int, name: str):
        super().__init__()
        self._raw, self._most, self._name = raw, most, name
        self.since = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self._raw.read(len(b))
        self.since += len(data)
        if self.since > self._most:
            raise ExtractError(self._name, f"an XML text, tag or attribute over {self._most} bytes: reading stopped there")
        b[:len(data)] = data
        return len(data)


def read_xml(stream, sample: bytes, limits: ExtractLimits, notes=None,
             on_header: Callable[[list[str]], None] | None = None, name: str = "") -> Iterator[list[str]]:
    """Records of the XML document in ``stream`` (bytes), its record element found in ``sample``."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException

    records_at = record_path(sample)
    depth_of_record = max(len(records_at), 1)
    max_cells, max_chars, max_depth = limits.max_cells, limits.max_cell_chars, limits.max_depth_json
    paced = _Paced(stream, 4 * max(max_chars, limits.max_line_chars) + (64 << 10), name)
    path: list[str] = []
    open_elements = []
    cells: list[str] = []
    keys: list[str] | None = [] if on_header is not None else None
    in_record = False
    skipped = 0
    ended = None  # the element that ended last: its tail (the text after it) is whole at the next event

    def value(text: str | None, attribute: str = "") -> None:
        text = (text or "").strip()
        if text:
            cells.append(text)
            if keys is not None and in_record and len(keys) < max_cells:  # the first record names the header
                keys.append(relative() + (f"@{attribute}" if attribute else ""))

    def relative() -> str:
        return "/".join(path[depth_of_record:] if in_record else path)

    def give() -> Iterator[list[str]]:
        nonlocal cells, keys
        if cells:
            if keys is not None and in_record and keys:
                on_header(keys)
                keys = None
            yield fit_cells(cells, max_chars)
            cells = []

    try:
        for event, elem in _events(paced):
            paced.since = 0
            if ended is not None:
                if len(path) <= max_depth:
                    value(ended.tail)
                ended = None
            if event == "start":
                path.append(_local(elem.tag))
                open_elements.append(elem)
                if len(path) > max_depth:
                    continue
                if len(path) == depth_of_record and (not records_at or tuple(path) == records_at):
                    yield from give()  # what came before the record, outside it
                    in_record = True
                for attribute, text in elem.attrib.items():
                    value(text, _local(attribute))
                continue
            if len(path) > max_depth:
                skipped += 1
            else:
                value(elem.text)
            ends_record = in_record and len(path) == depth_of_record
            path.pop()
            open_elements.pop()
            if open_elements:
                open_elements[-1].remove(elem)  # read: nothing of it is kept but its tail, read next
            ended = elem
            if ends_record:
                yield from give()
                in_record = False
            elif not in_record and len(path) <= 1:
                yield from give()  # a top-level element outside the records: its own record
            elif len(cells) >= max_cells:
                yield from give()  # a record wider than max_cells comes out in parts, as a document splits it
    except ExtractError:
        yield from give()
        raise
    except DefusedXmlException as exc:
        yield from give()
        raise ExtractError(name, f"XML refused: {type(exc).__name__} (entity or DTD declarations: a billion "
                                 "laughs or an external reference)") from None
    except (ParseError, ValueError, LookupError) as exc:
        yield from give()
        raise ExtractError(name, f"XML not well-formed: {str(exc)[:120]}") from None
    finally:
        if skipped and notes is not None:
            notes.add(DEPTH_NOTE % max_depth, skipped)
    if ended is not None:
        value(ended.tail)
    yield from give()
