"""Where fingerprints and sightings live: Redis, behind two small classes."""

from .crawl_state import CrawlState
from .names import RegistryError, check_name, dataset_id
from .redis import RedisRegistry
from .sightings import SightingStore

__all__ = ["CrawlState", "RedisRegistry", "RegistryError", "SightingStore", "check_name", "dataset_id"]
