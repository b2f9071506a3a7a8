"""One table from one input: what fingerprinting an institution's own file needs."""

from .errors import ExtractError
from .walk import open_documents


def table_records(source, name=None, limits=None):
    """Records of the single table in `source`; ExtractError if it holds none, several, or fails."""
    label = name or str(source)
    documents = open_documents(source, name=label, limits=limits)
    doc = next(documents, None)
    if doc is None:
        raise ExtractError(label, "no table found")
    if doc.error is not None:
        raise doc.error
    # The walker owns the stream: keep it alive while the records are read.
    yield from doc.records()
    # Streamed archives: a second table shows up only once the first is read.
    if next(documents, None) is not None:
        raise ExtractError(label, "holds more than one table; fingerprint one table at a time")
