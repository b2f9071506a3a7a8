"""What a source's crawls have already taken, kept in Redis so it survives between runs.

An item (a paste, a post, an attachment) counts as done only once its sighting is committed:
`commit` writes the sighting's id under the item's key, so a run killed at any point loses
nothing committed, and the next run takes up every item that was not.

Keys: {ns}:crawl:<source>:items (hash: item key -> sighting id), {ns}:crawl:<source>:cursors,
under the namespace's hash tag since an item is marked done in the sighting's transaction.
"""

from .names import meta_prefix


class CrawlState:
    def __init__(self, client, source: str, namespace: str = "lw"):
        self.client = client
        self.source = source
        prefix = meta_prefix(namespace)
        self._items = f"{prefix}:crawl:{source}:items"
        self._cursors = f"{prefix}:crawl:{source}:cursors"

    def done(self, key: str) -> bool:
        return bool(self.client.hexists(self._items, key))

    def not_done(self, keys: list) -> list:
        """The keys among `keys` whose items are not committed yet, in the same order."""
        if not keys:
            return []
        committed = self.client.hmget(self._items, keys)
        return [key for key, sighting in zip(keys, committed) if sighting is None]

    def sighting_of(self, key: str) -> str | None:
        value = self.client.hget(self._items, key)
        return value.decode() if value is not None else None

    def commit(self, key: str, sighting_id: str, pipe=None) -> None:
        (pipe or self.client).hset(self._items, key, sighting_id)

    def cursor(self, name: str) -> str | None:
        """A resumption point, e.g. the last post id read in a thread."""
        value = self.client.hget(self._cursors, name)
        return value.decode() if value is not None else None

    def set_cursor(self, name: str, value: str) -> None:
        self.client.hset(self._cursors, name, value)

    def count(self) -> int:
        return int(self.client.hlen(self._items))
