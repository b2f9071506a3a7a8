"""What a source's crawls have already taken, kept in Redis so it survives between runs.

An item (a paste, a post, an attachment) counts as done only once its sighting is committed:
`commit` writes the sighting's id under the item's key, so a run killed at any point loses
nothing committed, and the next run takes up every item that was not.

The done record stays bounded: each done item also carries the last time a crawl saw it listed
(a listing page, an API list, a forum thread page: `listed`), and `prune` forgets the items no
listing has shown for the retention window (setting crawl_done_retention_days). An item no longer
listed cannot be requested again by the listing, so forgetting it skips nothing; the window is
measured back from the source's newest listing, not from the clock, so a source left uncrawled for
longer than the window does not lose its whole record on its next run. An item that reappears after
being forgotten (a site that lists very old items again) is fetched once more, and the sighting store
links its new sighting to the first one as a repost (MinHash), as for any repost.

Keys, under the namespace's hash tag since an item is marked done in the sighting's transaction:
  {ns}:crawl:<source>:items    hash, item key -> sighting id
  {ns}:crawl:<source>:listed   zset, item key -> last time listed (unix seconds); the same members
  {ns}:crawl:<source>:cursors  hash, resumption points (forum threads: crawler.thread_cursors)
"""

import time

from .names import meta_prefix

# KEYS items, listed; ARGV retention (s), now (s), batch -> items forgotten by this call.
# The window ends at the newest listing time (capped at the caller's clock: a machine whose clock runs
# ahead cannot make every other item look old).
_PRUNE = """
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if #top == 0 then return 0 end
local cutoff = math.min(tonumber(top[2]), tonumber(ARGV[2])) - tonumber(ARGV[1])
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. cutoff, 'LIMIT', 0, tonumber(ARGV[3]))
if #old > 0 then
  redis.call('HDEL', KEYS[1], unpack(old))
  redis.call('ZREM', KEYS[2], unpack(old))
end
return #old
"""
PRUNE_BATCH = 1000  # items per script call: a short pause of Redis each, well under Lua's unpack limit


class CrawlState:
    def __init__(self, client, source: str, namespace: str = "lw"):
        self.client = client
        self.source = source
        prefix = meta_prefix(namespace)
        self._items = f"{prefix}:crawl:{source}:items"
        self._listed = f"{prefix}:crawl:{source}:listed"
        self._cursors = f"{prefix}:crawl:{source}:cursors"

    @property
    def cursors_key(self) -> str:
        return self._cursors

    def keys(self) -> list:
        """The keys of the source's done record (to measure or inspect it)."""
        return [self._items, self._listed]

    def done(self, key: str) -> bool:
        return bool(self.client.hexists(self._items, key))

    def not_done(self, keys: list) -> list:
        """The keys among `keys` whose items are not committed yet, in the same order."""
        if not keys:
            return []
        committed = self.client.hmget(self._items, keys)
        return [key for key, sighting in zip(keys, committed) if sighting is None]

    def listed(self, keys: list, now: float | None = None) -> list:
        """`keys` were seen listed now: the ones not committed yet, in the same order; the committed
        ones have their listing time moved to `now`, so they stay remembered (see `prune`)."""
        if not keys:
            return []
        committed = self.client.hmget(self._items, keys)
        done = {key: time.time() if now is None else now for key, s in zip(keys, committed) if s is not None}
        if done:
            # XX: an item forgotten by a prune meanwhile is not brought back half (listed, not done).
            self.client.zadd(self._listed, done, xx=True)
        return [key for key, sighting in zip(keys, committed) if sighting is None]

    def sighting_of(self, key: str) -> str | None:
        value = self.client.hget(self._items, key)
        return value.decode() if value is not None else None

    def commit(self, key: str, sighting_id: str, pipe=None, now: float | None = None) -> None:
        target = pipe or self.client
        target.hset(self._items, key, sighting_id)
        target.zadd(self._listed, {key: time.time() if now is None else now})

    def prune(self, retention_seconds: float, now: float | None = None, batch: int = PRUNE_BATCH) -> int:
        """Forget the done items no listing has shown for `retention_seconds` before the source's
        newest listing; how many. 0 or less: keep everything."""
        if retention_seconds <= 0:
            return 0
        now = time.time() if now is None else now
        self._adopt_unlisted(now)
        forgotten = 0
        while True:
            n = int(self.client.eval(_PRUNE, 2, self._items, self._listed, retention_seconds, now, batch))
            forgotten += n
            if n < batch:
                return forgotten

    def _adopt_unlisted(self, now: float) -> None:
        """Items committed before listing times were kept (no `listed` entry) count as listed now."""
        if self.client.hlen(self._items) <= self.client.zcard(self._listed):
            return
        cursor = 0
        while True:
            cursor, chunk = self.client.hscan(self._items, cursor, count=PRUNE_BATCH)
            if chunk:
                self.client.zadd(self._listed, {key: now for key in chunk}, nx=True)
            if cursor == 0:
                return

    def cursor(self, name: str) -> str | None:
        """A resumption point, e.g. the last post id read in a thread."""
        value = self.client.hget(self._cursors, name)
        return value.decode() if value is not None else None

    def set_cursor(self, name: str, value: str) -> None:
        self.client.hset(self._cursors, name, value)

    def count(self) -> int:
        return int(self.client.hlen(self._items))
