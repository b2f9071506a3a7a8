"""Matching dumps against the registry: index, scanner, evidence rules, and the end-to-end dump scan."""

from .dump import DumpReport, DumpScanner
from .evidence import threshold
from .index import IndexCache, TokenIndex
from .scanner import DatasetMatch, Scanner, ScanOutcome

__all__ = ["DatasetMatch", "DumpReport", "DumpScanner", "IndexCache", "ScanOutcome", "Scanner", "TokenIndex", "threshold"]
