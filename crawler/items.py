"""What the spiders hand to the pipelines: one `DumpItem` per paste, post, attachment or page."""

from dataclasses import dataclass, field, fields

KINDS = ("paste", "post", "attachment", "page")


@dataclass
class DumpItem:
    source: str
    kind: str  # paste | post | attachment | page
    key: str  # stable within the source: the paste key, post:ID, attachment:ID
    url: str
    body: bytes = field(default=b"", repr=False)  # never in logs: Scrapy logs items with repr()
    title: str | None = None
    author: str | None = None
    posted_at: str | None = None  # ISO 8601, as the site gave it, or None
    filename: str | None = None  # attachments: a label from the site, never used as a path
    # A large file received in pieces: an anonymous temporary file scanned in place of `body` (read
    # from its start, closed by the scan pipeline), so it is never whole in memory.
    stream: object = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"DumpItem.kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not isinstance(self.body, bytes):
            raise TypeError("DumpItem.body must be bytes")

    # A mapping too (`dict(item)`, `item["key"]`), as pipelines written for scrapy.Item expect.
    def keys(self):
        return [f.name for f in fields(self)]

    def __getitem__(self, name):
        if name not in self.keys():
            raise KeyError(name)
        return getattr(self, name)

    def __repr__(self):
        return (f"DumpItem(source={self.source!r}, kind={self.kind!r}, key={self.key!r}, url={self.url!r}, "
                f"body=<{len(self.body)} bytes>)")
