"""Where fingerprints and sightings live: Redis, behind two small classes."""

from .names import RegistryError, check_name, dataset_id
from .redis import RedisRegistry
from .sightings import SightingStore

__all__ = ["RedisRegistry", "RegistryError", "SightingStore", "check_name", "dataset_id"]
