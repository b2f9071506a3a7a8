"""extract: any input (a paste, a forum attachment, a file given to `leakwatch scan`) as a
stream of records. Archives are opened recursively from streams, formats and encodings are
sniffed from content, and limits keep hostile input cheap. Nothing is written to disk.

    for doc in open_documents("leak.zip"):
        if doc.error:            # this member could not be read; the others still are
            report(doc.error)
            continue
        for cells in doc.records():
            ...
"""

from .document import Document
from .errors import ExtractError
from .limits import ExtractLimits
from .table import Table, table_records
from .walk import open_documents

__all__ = ["Document", "ExtractError", "ExtractLimits", "Table", "open_documents", "table_records"]
