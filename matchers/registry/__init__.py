"""Where fingerprints and sightings live: Redis, behind two small classes."""

from .crawl_state import CrawlState
from .leaks import LeakStore
from .lock import SourceLock
from .queue import MatchQueue
from .names import RegistryError, check_name, dataset_id, meta_prefix
from .redis import RedisRegistry
from .replica_wait import ReplicaWait
from .sightings import SightingStore

__all__ = ["CrawlState", "LeakStore", "MatchQueue", "SourceLock", "RedisRegistry", "RegistryError", "ReplicaWait", "SightingStore",
           "check_name", "dataset_id", "meta_prefix"]
