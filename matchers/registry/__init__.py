"""Where fingerprints and sightings live: Redis, behind two small classes.

The names below are imported when first asked for (PEP 562): most modules here import redis-py,
which takes 0.1 s of CPU to import (its asyncio client with it), and a scan needs the store only
once its workers are running (see DumpScanner.scan_path). `from . import names` and the like
import one module, not the store's.
"""

import importlib

_EXPORTS = {
    "CrawlState": ".crawl_state",
    "LeakStore": ".leaks",
    "MatchQueue": ".queue",
    "RedisRegistry": ".redis",
    "RegistryError": ".names",
    "ReplicaWait": ".replica_wait",
    "SightingStore": ".sightings",
    "SourceLock": ".lock",
    "check_name": ".names",
    "dataset_id": ".names",
    "meta_prefix": ".names",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
