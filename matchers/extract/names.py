"""Display labels for documents. Archive entry names are hostile input: they are only ever
shown, never used as paths, and are cleaned of anything that could mislead a terminal or a log."""

import re

SEPARATOR = "!"
_MAX_PART = 200
# C0/C1 controls, zero-width and bidirectional overrides (which can make "gpj.exe" read "exe.jpg")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_COMPRESSION_SUFFIX = {
    "gzip": (".gz", ".gzip", ".tgz", ".z"),
    "bz2": (".bz2", ".bz", ".tbz", ".tbz2"),
    "xz": (".xz", ".txz", ".lzma"),
}
_TAR_SHORT = {".tgz", ".tbz", ".tbz2", ".txz"}


def clean(raw: str) -> str:
    """One label part: no control characters, bounded length, never empty."""
    text = _UNSAFE.sub("?", raw).strip()
    if len(text) > _MAX_PART:
        text = text[:_MAX_PART // 2 - 1] + "…" + text[-(_MAX_PART // 2):]
    return text or "?"


def child(parent: str, part: str) -> str:
    return f"{parent}{SEPARATOR}{clean(part)}"


def decompressed(label: str, kind: str) -> str:
    """The name of what a gzip/bz2/xz layer holds: "dump.csv.gz" -> "dump.csv", "a.tgz" -> "a.tar"."""
    base = label.rsplit(SEPARATOR, 1)[-1].rsplit("/", 1)[-1]
    lower = base.lower()
    for suffix in _COMPRESSION_SUFFIX.get(kind, ()):
        if lower.endswith(suffix) and len(base) > len(suffix):
            stem = base[:-len(suffix)]
            return stem + ".tar" if suffix in _TAR_SHORT else stem
    return f"{base}.{'out' if kind != 'gzip' else 'gunzip'}"
