"""The Redis side of a crawl: which store, and the crawl state of one source in it.

The store comes from the Scrapy settings `LEAKWATCH_REDIS_URL` and `LEAKWATCH_NAMESPACE` (the CLI
passes them; crawler/settings.py fills them from leakwatch's own settings). An empty URL means
leakwatch's own local redis-server under `LEAKWATCH_HOME`, started on first use, as the CLI does.
"""

from pathlib import Path

import redis

from leakwatch.matchers.errors import LeakwatchError
from leakwatch.matchers.registry import CrawlState


class StoreUnavailable(LeakwatchError, RuntimeError):
    """Redis cannot be reached: a crawl without its state would fetch everything again."""


def redis_url(settings) -> str:
    url = settings.get("LEAKWATCH_REDIS_URL") or ""
    if url:
        return url
    from leakwatch.matchers.registry.local_server import LocalRedis  # only when no store is configured

    home = Path(settings.get("LEAKWATCH_HOME") or "~/.local/share/leakwatch").expanduser()
    return LocalRedis(home / "redis").ensure()


def open_crawl_state(settings, source_name: str) -> CrawlState:
    from leakwatch.matchers.registry.connection import CLUSTER_RETRY_SECONDS, connect, shown

    url = redis_url(settings)
    retry_seconds = (settings.getdict("LEAKWATCH_SETTINGS") or {}).get("redis_cluster_retry_seconds", CLUSTER_RETRY_SECONDS)
    try:
        client = connect(url, socket_timeout=10, retry_seconds=float(retry_seconds))
        client.ping()
    except redis.RedisError as exc:  # connect() turns "no cluster node answers" into one too
        # No password in a log line.
        raise StoreUnavailable(f"source {source_name}: Redis at {shown(url)} does not answer ({exc})") from None
    return CrawlState(client, source_name, settings.get("LEAKWATCH_NAMESPACE") or "lw")
