"""Builds the components a command needs from the settings: store, key, registry, scanner."""

import contextlib
from functools import cached_property

from leakwatch.matchers.fingerprint import DeploymentKey, DeploymentKeyError, Tokenizer
from leakwatch.matchers.registry import RedisRegistry, SightingStore


class Runtime:
    def __init__(self, settings, imports=None):
        """imports: a context manager factory the store's client (redis-py) is imported in, the
        CLI's imports_without_gc for a process that runs one command; imported as it is if None."""
        self.settings = settings
        self._imports = imports or contextlib.nullcontext

    @cached_property
    def redis_url(self) -> str:
        if self.settings.redis_url:
            return self.settings.redis_url
        from leakwatch.matchers.registry.local_server import LocalRedis

        return LocalRedis(self.settings.home_path / "redis").ensure()

    @cached_property
    def redis(self):
        """A `redis.Redis`, or a `redis.cluster.RedisCluster` for a redis+cluster:// URL."""
        with self._imports():
            from leakwatch.matchers.registry.connection import connect

            url = self.redis_url  # a local store's module imports redis-py too
        client = connect(url, retry_seconds=self.settings.redis_cluster_retry_seconds)
        client.ping()
        return client

    @cached_property
    def replica_wait(self):
        """Waits after a commit until replicas have it (on a Redis Cluster; nothing on one server)."""
        from leakwatch.matchers.registry.replica_wait import ReplicaWait

        return ReplicaWait(self.settings.redis_wait_replicas, self.settings.redis_wait_ms)

    @cached_property
    def key(self) -> DeploymentKey:
        path = self.settings.key_path
        try:
            return DeploymentKey.load(path)
        except DeploymentKeyError:
            if path.exists() or self.settings.key_file:
                raise
            # First run of a deployment: make its key, once.
            key = DeploymentKey.generate()
            key.save(path)
            return key

    @cached_property
    def registry(self) -> RedisRegistry:
        return RedisRegistry(self.redis, namespace=self.settings.namespace, replica_wait=self.replica_wait)

    @cached_property
    def sightings(self) -> SightingStore:
        return SightingStore(
            self.redis, namespace=self.settings.namespace,
            lsh_threshold=self.settings.lsh_threshold, link_threshold=self.settings.link_threshold,
            replica_wait=self.replica_wait,
        )

    @cached_property
    def extract_limits(self):
        from leakwatch.matchers.extract import ExtractLimits

        s = self.settings
        return ExtractLimits(max_total_bytes=s.extract_max_total_bytes, max_ratio=s.extract_max_ratio,
                             max_depth=s.extract_max_depth, max_seconds=s.extract_max_seconds,
                             max_depth_json=s.extract_max_depth_json, max_members=s.extract_max_members)

    @cached_property
    def dump_scanner(self):
        from leakwatch.matchers.match import DumpScanner, IndexCache

        # A full load is kept on disk: the next process (a scan, a crawler worker) starts from it.
        snapshot = self.settings.home_path / "index" / f"{self.settings.namespace}.index"
        # The .npz beside it is the format before (leakwatch-index-snapshot-1): nothing reads it.
        try:
            snapshot.with_suffix(".npz").unlink(missing_ok=True)
        except OSError:
            pass
        # Its stores are made when first used: a big file's scan starts its workers first, then
        # opens them (open_stores) while they run (DumpScanner.scan_path).
        return DumpScanner(IndexCache(_OnFirstUse(lambda: self.registry), snapshot=snapshot),
                           Tokenizer(self.key.hasher()), _OnFirstUse(lambda: self.sightings), self.extract_limits,
                           queue=_OnFirstUse(lambda: self.queue), workers=self.scan_workers,
                           open_stores=self._open_stores)

    def _open_stores(self) -> None:
        self.redis  # noqa: B018 - made and kept by the cached property

    @property
    def scan_workers(self) -> int:
        import os

        return self.settings.scan_workers or os.cpu_count() or 1

    def scan_components(self):
        """What a crawl's scan pipeline scans with and commits to (crawler/pipelines/scan.py)."""
        from leakwatch.crawler.pipelines.scan import ScanComponents

        return ScanComponents(self.dump_scanner, self.redis, self.settings.namespace)

    @cached_property
    def queue(self):
        from leakwatch.matchers.registry import MatchQueue

        return MatchQueue(self.redis, namespace=self.settings.namespace)

    @cached_property
    def leaks(self):
        from leakwatch.matchers.registry.leaks import LeakStore

        from .review import LeakQueue

        return LeakQueue(LeakStore(self.redis, namespace=self.settings.namespace), self.queue, self.sightings,
                         self.triage)

    @cached_property
    def analysts(self):
        from .accounts import AnalystStore

        return AnalystStore(self.redis, namespace=self.settings.namespace)

    @cached_property
    def tokens(self):
        from .accounts import InstitutionTokens

        return InstitutionTokens(self.redis, namespace=self.settings.namespace)

    @cached_property
    def audit(self):
        from .review import AuditLog

        return AuditLog(self.redis, namespace=self.settings.namespace)

    @cached_property
    def triage(self):
        from .review import Triage

        return Triage(self.queue, self.audit, self.analysts, replica_wait=self.replica_wait)

    @cached_property
    def channels(self):
        from .alerts import AlertChannels

        return AlertChannels(self.redis, namespace=self.settings.namespace, webhook_allow=self.settings.alert_webhook_allow)

    @cached_property
    def alert_sender(self):
        from .alerts import AlertSender

        return AlertSender.from_runtime(self)


def crawl_scan_components(values: dict):
    """The scan pipeline's components in a crawler process that has only settings (a worker of
    `leakwatch crawl --workers N`, `scrapy crawl` in crawler/): its LEAKWATCH_SCAN_COMPONENTS_FACTORY."""
    from .settings import Settings

    return Runtime(Settings.from_dict(values) if values else Settings.load()).scan_components()


class _OnFirstUse:
    """Stands for an object made when one of its attributes is first asked for: the scan's stores,
    whose client imports redis-py (0.1 s of CPU) and connects."""

    def __init__(self, make):
        self._make = make
        self._made = None

    def __getattr__(self, name):  # asked only for names this object does not hold itself
        if self._made is None:
            self._made = self._make()
        return getattr(self._made, name)
