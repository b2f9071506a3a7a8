"""Recognise containers and non-text data by their first bytes; file names are never trusted."""

import re

# Container kinds this package opens.
GZIP, BZ2, XZ, ZIP, TAR, SEVENZIP = "gzip", "bz2", "xz", "zip", "tar", "7z"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# bz2: "BZh" + block size, then the block magic (pi) or the end-of-stream magic (sqrt pi):
# plain "BZh" alone would misfire on text starting with those letters.
_BZ2 = re.compile(rb"BZh[1-9](?:\x31\x41\x59\x26\x53\x59|\x17\x72\x45\x38\x50\x90)")

# Formats we do not read, named so the error says what the file is.
_OTHER = (
    (b"Rar!\x1a\x07", "RAR archive (not supported)"),
    (b"\x28\xb5\x2f\xfd", "zstd stream (not supported)"),
    (b"\x04\x22\x4d\x18", "lz4 stream (not supported)"),
    (b"MSCF", "CAB archive (not supported)"),
    (b"SQLite format 3\x00", "SQLite database (not supported)"),
    (b"%PDF-", "PDF document (not supported)"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ", None),  # PE executables: too short a magic to name; decided by the control-byte ratio
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
)

# Bytes that do not occur in text, whatever its single-byte encoding.
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\x0b\x0c\x1a\x1b") + b"\x7f"
_CONTROL_TABLE = bytes.maketrans(b"", b"")


def container(sample: bytes) -> str | None:
    """The container kind of a stream starting with ``sample``, or None for a plain document."""
    if sample[:2] == b"\x1f\x8b":
        return GZIP
    if sample[:6] == b"\xfd7zXZ\x00":
        return XZ
    if _BZ2.match(sample):
        return BZ2
    if sample[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return ZIP
    if sample[:6] == b"7z\xbc\xaf\x27\x1c":
        return SEVENZIP
    if len(sample) >= 262 and sample[257:262] == b"ustar":
        return TAR
    return None


def is_ole2(sample: bytes) -> bool:
    """An OLE2 compound file: an .xls workbook, or a .doc, .msg, .ppt..."""
    return sample[:8] == OLE2_MAGIC


def unsupported(sample: bytes) -> str | None:
    """A short description if ``sample`` starts like a known binary format we do not read."""
    for magic, what in _OTHER:
        if what and sample.startswith(magic):
            return what
    return None


def control_ratio(sample: bytes) -> float:
    """Share of bytes that are control characters no text contains (NUL included)."""
    if not sample:
        return 0.0
    return (len(sample) - len(sample.translate(_CONTROL_TABLE, _CONTROL))) / len(sample)


#: bytes of text in a row that start a text region inside binary data (random bytes hold no
#: run this long: 0.89 ** 512 < 1e-25)
TEXT_RUN = 512
_CONTROL_BYTE = re.compile(b"[" + re.escape(_CONTROL) + b"]")
_TEXT_RUN = re.compile(b"[^" + re.escape(_CONTROL) + b"]{%d,}" % TEXT_RUN)


def next_text(sample: bytes) -> int | None:
    """Offset of the first run of TEXT_RUN text bytes that follows a control byte in ``sample``
    (the start of a text region after binary data or padding), or None."""
    first = _CONTROL_BYTE.search(sample)
    if first is None:
        return None
    found = _TEXT_RUN.search(sample, first.end())
    return found.start() if found else None


def utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte is NUL, as in mostly-ASCII UTF-16 text."""
    even, odd = sample[0::2], sample[1::2]
    if len(sample) < 16:
        return None
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / max(len(odd), 1)
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None
