"""A copy of a freshly built token index on local disk, so that a new process (a `leakwatch scan`,
a crawler worker) starts from it instead of reading and sorting the whole registry again.

The file holds what Redis holds already (keyed tokens, record flags, the datasets' names and
generations), readable by its owner only. It names the registry's version and history (epoch):
a process that loads it then asks the registry what changed since that version and reads only
that, as a running process does; a file of another history, or one that does not read back
whole, is ignored and the registry is loaded in full.

Layout: the line MAGIC, the length of the header (8 bytes, little-endian), the header (UTF-8
JSON: format, version, epoch, datasets, and per array its dtype, length and offset), then the
arrays' bytes, each at a multiple of 64. A process maps the file (copy-on-write) instead of
reading it: its arrays are the page cache's pages, shared with the scan workers it forks, and a
snapshot of millions of tokens costs no copy and no checksum pass at start-up (an .npz did both:
21-37 ms for 1.4 million tokens, the longest step of a scan's start-up after its imports). A
file replaced meanwhile (os.replace) leaves the mapping on the old one.
"""

import json
import logging
import mmap
import os
import struct
from pathlib import Path

import numpy as np

FORMAT = "leakwatch-index-snapshot-2"
MAGIC = b"leakwatch index snapshot\n"
_ALIGN = 64
_DTYPES = {"tokens": "<u8", "record": "<i8", "kind": "|u1", "slot": "|u1", "offsets": "<i8", "entries": "<i8",
           "flags": "|u1"}
log = logging.getLogger(__name__)


def save_index(path: Path, index, version: int, epoch: str) -> None:
    """Write `index` (one sorted run: a full build) atomically; a failure only loses the cache."""
    path = Path(path)
    arrays = {"tokens": index.main.tokens, "record": index.main.record, "kind": index.main.kind,
              "slot": index.main.slot, "offsets": index.offsets, "entries": index.entries, "flags": index.flags}
    arrays = {name: np.ascontiguousarray(array, dtype=_DTYPES[name]) for name, array in arrays.items()}
    layout, offset = {}, 0
    for name, array in arrays.items():
        layout[name] = [array.dtype.str, len(array), offset]
        offset += -(-array.nbytes // _ALIGN) * _ALIGN
    header = json.dumps({"format": FORMAT, "version": version, "epoch": epoch, "datasets": list(index.datasets),
                         "arrays": layout}).encode()
    start = -(-(len(MAGIC) + 8 + len(header)) // _ALIGN) * _ALIGN
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + struct.pack("<Q", len(header)) + header)
            for name, array in arrays.items():
                handle.seek(start + layout[name][2])
                handle.write(memoryview(array).cast("B"))
            handle.truncate(start + offset)
        os.replace(tmp, path)
    except (OSError, ValueError) as exc:
        log.warning("index snapshot not written (%s): the next process loads the registry in full", exc)
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


def load_index(path: Path):
    """(header, arrays) of a snapshot that reads back whole and consistent, else None."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size < len(MAGIC) + 8 or handle.read(len(MAGIC)) != MAGIC:
                raise ValueError("not a snapshot of this format")
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > size:
                raise ValueError("a header longer than the file")
            header = json.loads(handle.read(length).decode())
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY)
        start = -(-(len(MAGIC) + 8 + length) // _ALIGN) * _ALIGN
        layout = header["arrays"]
        arrays = {}
        for name, expected in _DTYPES.items():
            dtype, count, offset = layout[name]
            if dtype != expected or not (isinstance(count, int) and isinstance(offset, int) and count >= 0 <= offset):
                raise ValueError(f"the header's layout of {name} is not this format's")
            arrays[name] = np.frombuffer(mapped, dtype=np.dtype(dtype), count=count, offset=start + offset)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError, struct.error) as exc:
        log.warning("index snapshot %s unreadable (%s): loading the registry in full", path, exc.__class__.__name__)
        return None
    if not _consistent(header, arrays):
        log.warning("index snapshot %s does not hold together: loading the registry in full", path)
        return None
    return header, arrays


def _consistent(header, arrays) -> bool:
    if not isinstance(header, dict) or header.get("format") != FORMAT or not isinstance(header.get("epoch"), str):
        return False
    datasets, version = header.get("datasets"), header.get("version")
    if not isinstance(version, int) or not isinstance(datasets, list) or not all(
            isinstance(d, dict) and "id" in d and "generation" in d for d in datasets):
        return False
    offsets, entries, flags = arrays["offsets"], arrays["entries"], arrays["flags"]
    n = len(arrays["tokens"])
    return (len(offsets) == len(datasets) + 1 and len(entries) == len(datasets)
            and int(offsets[-1]) == len(flags) and int(entries.sum()) == n
            and all(len(arrays[name]) == n for name in ("record", "kind", "slot"))
            and (n == 0 or (int(arrays["record"].max()) < len(flags) and int(arrays["record"].min()) >= 0))
            and bool(np.all(arrays["tokens"][1:] >= arrays["tokens"][:-1])))
