"""Per-thread cursors of a forum: where the next round starts reading a thread.

A cursor `POST@START` says: every item (post, attachment) of the pages of the thread up to and
including the page at offset START was committed, and POST is the last post of that page. The next
round skips the thread if its last post is the cursor's, else starts at START (that page again: new
posts may have joined it; the committed ones are skipped by key, and posts up to POST by id).
Each cursor also has a reverse entry `lastpost:POST -> THREAD`: post ids are unique in a forum, so a
board row whose last post is a cursor's shows a thread with nothing new even when the board's link to
it changes between runs (a member is linked to the first unread post) and names no thread.

The pages of one thread are read by whichever workers take them from the shared queue, and their
items committed by whichever workers run them through the pipelines (an attachment is a request of
its own), so what the cursor may pass is kept in Redis for the whole round, not in one process:

    {ns}:crawl:<source>:cursor_pages:<round>    hash  thread -> "START,POST;..." pages read, not yet passed
    {ns}:crawl:<source>:cursor_waiting:<round>  hash  item key -> "THREAD\\tSTART": items not committed yet
    {ns}:crawl:<source>:cursor_pending:<round>  hash  "THREAD\\tSTART" -> items of that page not committed

A page is registered when it is read (`page_read`, with its items not committed yet); an item leaves
`waiting` when its commit is seen (`item_done`). After either, one Lua script moves the cursor over
the contiguous prefix of the thread's registered pages, lowest offset first, whose items are all
committed. A page's next page is only requested once the page is read, so the pages of a thread are
registered in order, and an item that fails in any worker holds the cursor before its page for every
worker. A round's keys expire a day after their last write (a failed item's page stays in them: its
next round reads it again); the cursor itself only moves forward (a page read again after a lease
expired does not move it back).
"""

import secrets

from leakwatch.matchers.registry.names import meta_prefix

from .sources import SourcesError

ROUND_TTL = 86400  # seconds a round's page records outlive their last write

# KEYS pages, waiting, pending, cursors. advance(thread): pass the complete prefix, move the cursor.
_ADVANCE = r"""
local function advance(thread)
  local list = redis.call('HGET', KEYS[1], thread)
  if not list then return 0 end
  local pages = {}
  for s, p in string.gmatch(list, '(%d+),(%d+);') do table.insert(pages, {tonumber(s), p}) end
  table.sort(pages, function(a, b) return a[1] < b[1] end)
  local passed, i = nil, 1
  while i <= #pages do
    local at = thread .. '\t' .. pages[i][1]
    if tonumber(redis.call('HGET', KEYS[3], at) or '0') > 0 then break end
    redis.call('HDEL', KEYS[3], at)
    passed, i = pages[i], i + 1
  end
  if passed == nil then return 0 end
  if i > #pages then
    redis.call('HDEL', KEYS[1], thread)
  else
    local rest = {}
    for j = i, #pages do table.insert(rest, pages[j][1] .. ',' .. pages[j][2] .. ';') end
    redis.call('HSET', KEYS[1], thread, table.concat(rest))
  end
  local field = 'thread:' .. thread
  local current = redis.call('HGET', KEYS[4], field)
  local post = current and tonumber(string.match(current, '^(%d+)@'))
  if post and tonumber(passed[2]) < post then return 0 end
  if post then redis.call('HDEL', KEYS[4], 'lastpost:' .. post) end
  redis.call('HSET', KEYS[4], field, passed[2] .. '@' .. passed[1])
  redis.call('HSET', KEYS[4], 'lastpost:' .. passed[2], thread)
  return 1
end
local function touch(ttl)
  for k = 1, 3 do redis.call('EXPIRE', KEYS[k], ttl) end
end
"""

# ARGV thread, start, last post, ttl, item keys not committed -> 1 if the cursor moved
PAGE_READ = _ADVANCE + r"""
local thread, start = ARGV[1], ARGV[2]
local at = thread .. '\t' .. start
local list = redis.call('HGET', KEYS[1], thread) or ''
if not string.find(';' .. list, ';' .. start .. ',', 1, true) then
  redis.call('HSET', KEYS[1], thread, list .. start .. ',' .. ARGV[3] .. ';')
end
for i = 5, #ARGV do
  if redis.call('HSETNX', KEYS[2], ARGV[i], at) == 1 then redis.call('HINCRBY', KEYS[3], at, 1) end
end
touch(tonumber(ARGV[4]))
return advance(thread)
"""

# ARGV item key (committed), ttl -> 1 if the cursor moved
ITEM_DONE = _ADVANCE + r"""
local at = redis.call('HGET', KEYS[2], ARGV[1])
if not at then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[3], at, -1)
touch(tonumber(ARGV[2]))
return advance(string.match(at, '^(.*)\t'))
"""


def parse_cursor(value: str | None) -> tuple[int | None, int]:
    """(last post id, page offset) of a stored cursor; (None, 0) for none or an unreadable one."""
    if not value:
        return None, 0
    post, _, start = value.partition("@")
    try:
        return int(post), int(start or 0)
    except ValueError:
        return None, 0


class ThreadCursors:
    """The cursors of one source's threads; `round_id()` names the round the pages are read in (a
    process of its own, without a shared round, gets an id of its own)."""

    def __init__(self, state, namespace: str = "lw", round_id=None, ttl: int = ROUND_TTL):
        self.state = state
        self.namespace = namespace
        self._round_id = round_id
        self._own_round = None
        self.ttl = ttl

    def get(self, thread: str) -> tuple[int | None, int]:
        return parse_cursor(self.state.cursor(f"thread:{thread}"))

    def thread_ending_at(self, post: int) -> str | None:
        """The thread whose cursor is at post `post`, if any: a board row whose last post is that one
        shows a thread with nothing new, whatever link the board gives it."""
        return self.state.cursor(f"lastpost:{int(post)}")

    def page_read(self, thread: str, start: int, last_post: int, keys) -> bool:
        """A page of `thread` at offset `start` was read; `keys` are the items it sent on that are not
        committed yet. Whether the cursor moved."""
        if "\t" in thread:
            raise SourcesError("a thread key holds a tab (forum option thread_key_pattern)")
        return bool(self.state.client.eval(PAGE_READ, 4, *self._keys(), thread, int(start), int(last_post),
                                           self.ttl, *sorted(keys)))

    def item_done(self, key: str) -> bool:
        """The item `key` is committed. Whether the cursor moved."""
        return bool(self.state.client.eval(ITEM_DONE, 4, *self._keys(), key, self.ttl))

    def _keys(self) -> list:
        round_id = self._round_id() if self._round_id is not None else None
        if not round_id:
            self._own_round = self._own_round or f"local-{secrets.token_hex(6)}"
            round_id = self._own_round
        base = f"{meta_prefix(self.namespace)}:crawl:{self.state.source}"
        return [f"{base}:cursor_pages:{round_id}", f"{base}:cursor_waiting:{round_id}",
                f"{base}:cursor_pending:{round_id}", self.state.cursors_key]
