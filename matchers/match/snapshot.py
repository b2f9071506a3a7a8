"""A copy of a freshly built token index on local disk, so that a new process (a `leakwatch scan`,
a crawler worker) starts from it instead of reading and sorting the whole registry again.

The file holds what Redis holds already (keyed tokens, record flags, the datasets' names and
generations), readable by its owner only. It names the registry's version and history (epoch):
a process that loads it then asks the registry what changed since that version and reads only
that, as a running process does; a file of another history, or one that does not read back
whole, is ignored and the registry is loaded in full.

Layout (NumPy .npz): header (UTF-8 JSON: format, version, epoch, datasets), the sorted run's
tokens, record, kind and slot, and per dataset / record: offsets, entries, flags.
"""

import json
import logging
import os
import zipfile
from pathlib import Path

import numpy as np

FORMAT = "leakwatch-index-snapshot-1"
log = logging.getLogger(__name__)


def save_index(path: Path, index, version: int, epoch: str) -> None:
    """Write `index` (one sorted run: a full build) atomically; a failure only loses the cache."""
    path = Path(path)
    header = {"format": FORMAT, "version": version, "epoch": epoch, "datasets": list(index.datasets)}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, header=np.frombuffer(json.dumps(header).encode(), np.uint8),
                     tokens=index.main.tokens, record=index.main.record, kind=index.main.kind,
                     slot=index.main.slot, offsets=index.offsets, entries=index.entries, flags=index.flags)
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
        with np.load(Path(path), allow_pickle=False) as archive:
            header = json.loads(bytes(archive["header"]).decode())
            arrays = {name: archive[name] for name in ("tokens", "record", "kind", "slot", "offsets",
                                                      "entries", "flags")}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
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
