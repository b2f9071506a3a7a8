"""Where fingerprints and sightings live: Redis, behind two small classes."""

from .crawl_state import CrawlState
from .lock import SourceLock
from .queue import MatchQueue
from .names import RegistryError, check_name, dataset_id
from .redis import RedisRegistry
from .sightings import SightingStore

__all__ = ["CrawlState", "MatchQueue", "SourceLock", "RedisRegistry", "RegistryError", "SightingStore", "check_name", "dataset_id"]
