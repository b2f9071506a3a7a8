"""One stream found while walking a source: the source itself or an archive member."""

from dataclasses import dataclass

from .budget import Budget, Meter


@dataclass
class Node:
    #: display label, the archive path chain ("leak.zip!inner/dump.csv.gz!dump.csv")
    label: str
    #: the counted byte stream of this node
    meter: Meter
    #: containers around this node (0 for the source itself)
    depth: int
    budget: Budget
    #: the underlying object when it allows cheap random access (a real file, a BytesIO);
    #: zip and 7z then read it in place instead of holding it in memory
    random: object = None
