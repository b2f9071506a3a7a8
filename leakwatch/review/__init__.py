"""Analysts' review: the queue of leaks, triage decisions on matches, the audit log, a leak's spread."""

from .audit import AuditLog
from .leak_queue import LeakQueue
from .leak_spread import leak_timeline
from .spread import spread_timeline
from .triage import DECISIONS, Triage, TriageError

__all__ = ["AuditLog", "DECISIONS", "LeakQueue", "Triage", "TriageError", "leak_timeline", "spread_timeline"]
