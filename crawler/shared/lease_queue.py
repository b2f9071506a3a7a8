"""The shared request queue of one source, with leases: scrapy-redis's priority queue whose pop
hands a request over instead of removing it.

    queue   zset  encoded request -> -priority (scrapy_redis.queue.PriorityQueue, as is)
    leases  zset  lease token -> deadline (ms, Redis's clock)
    leased  hash  lease token -> "<queue score>\\n<encoded request>"
    seen    set   request fingerprints of the round (scrapy_redis.dupefilter.RFPDupeFilter's)

`pop` moves the first request into a lease in one Lua script; the worker `ack`s the lease once the
request's response (or error) has been handled, its items committed and the requests it led to
pushed; until then it `renew`s it. A lease whose deadline passed (its worker was killed, or lost
Redis for longer than a lease) goes back to the queue, with its priority, at the next `pop` or
`status` of any worker. A request is therefore never lost: it is in the queue, in a lease, or done.
Killing a worker costs the requests it held a second fetch, after the lease timeout; the scan
pipeline skips an item already committed, so nothing is matched twice.

Every script keeps its keys under one hash tag (matchers.registry.names.meta_prefix): one slot on a
Redis Cluster. Each is safe to call again after a connection error (crawler.shared.store_wait):
`push` checks the seen-set in the same script, so a push whose reply was lost is not pushed twice
and not dropped; a `pop` whose reply was lost leaves a lease nobody holds, which expires back into
the queue; `ack`, `renew` and `release` are idempotent.
"""

from scrapy_redis.queue import PriorityQueue

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# Leases past their deadline back into the queue (KEYS[1] queue, KEYS[2] leases, KEYS[3] leased).
_REQUEUE_EXPIRED = """
local function requeue_expired(limit)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
  for _, token in ipairs(expired) do
    local value = redis.call('HGET', KEYS[3], token)
    if value then
      local cut = string.find(value, '\\n', 1, true)
      redis.call('ZADD', KEYS[1], tonumber(string.sub(value, 1, cut - 1)), string.sub(value, cut + 1))
      redis.call('HDEL', KEYS[3], token)
    end
    redis.call('ZREM', KEYS[2], token)
  end
  return #expired
end
"""

# KEYS queue, leases, leased; ARGV token, lease ms -> {requeued, request or nothing}
POP = _NOW + _REQUEUE_EXPIRED + """
local requeued = requeue_expired(100)
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return {requeued} end
redis.call('ZREM', KEYS[1], top[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], top[2] .. '\\n' .. top[1])
return {requeued, top[1]}
"""

# KEYS seen, queue; ARGV fingerprint ('' for dont_filter), score, request -> 1 pushed, 0 seen before
PUSH = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# KEYS leases, leased; ARGV tokens -> leases removed
ACK = """
local n = 0
for _, token in ipairs(ARGV) do
  n = n + redis.call('ZREM', KEYS[1], token)
  redis.call('HDEL', KEYS[2], token)
end
return n
"""

# KEYS leases; ARGV lease ms, tokens -> tokens no longer leased (expired and taken back)
RENEW = _NOW + """
local lost = {}
for i = 2, #ARGV do
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[i]) == 0
     and not redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    table.insert(lost, ARGV[i])
  end
end
return lost
"""

# KEYS queue, leases, leased; ARGV tokens: back into the queue now (a worker that stops early)
RELEASE = """
local n = 0
for _, token in ipairs(ARGV) do
  local value = redis.call('HGET', KEYS[3], token)
  if value then
    local cut = string.find(value, '\\n', 1, true)
    redis.call('ZADD', KEYS[1], tonumber(string.sub(value, 1, cut - 1)), string.sub(value, cut + 1))
    redis.call('HDEL', KEYS[3], token)
    n = n + 1
  end
  redis.call('ZREM', KEYS[2], token)
end
return n
"""


class LeaseQueue(PriorityQueue):
    """scrapy-redis's PriorityQueue (one zset per source) with leases; see the module's doc."""

    def __init__(self, server, spider, key, serializer=None, *, leases_key, leased_key, seen_key,
                 lease_ms: int = 120_000, wait=None):
        super().__init__(server, spider, key, serializer)
        if lease_ms < 1000:
            raise ValueError("a lease under 1 s would expire while its request downloads (crawl_lease_seconds)")
        self.leases_key, self.leased_key, self.seen_key = leases_key, leased_key, seen_key
        self.lease_ms = lease_ms
        self.wait = wait
        self._pop = server.register_script(POP)
        self._push = server.register_script(PUSH)
        self._ack = server.register_script(ACK)
        self._renew = server.register_script(RENEW)
        self._release = server.register_script(RELEASE)

    def _call(self, fn, *args, **kwargs):
        return self.wait.call(fn, *args, **kwargs) if self.wait is not None else fn(*args, **kwargs)

    def push(self, request, fingerprint: str = "") -> bool:
        """Queue `request` unless its fingerprint is in the round's seen-set (added in the same step)."""
        data = self._encode_request(request)
        return bool(self._call(self._push, keys=[self.seen_key, self.key], args=[fingerprint, -request.priority, data]))

    def pop(self, token: str):
        """(request leased under `token` or None, number of expired leases this call put back)."""
        reply = self._call(self._pop, keys=[self.key, self.leases_key, self.leased_key], args=[token, self.lease_ms])
        requeued = int(reply[0])
        return (self._decode_request(reply[1]) if len(reply) > 1 else None), requeued

    def ack(self, tokens) -> int:
        tokens = list(tokens)
        return int(self._call(self._ack, keys=[self.leases_key, self.leased_key], args=tokens)) if tokens else 0

    def renew(self, tokens) -> list:
        """Push the deadlines of `tokens` back by a lease; the tokens that were no longer leased."""
        tokens = list(tokens)
        if not tokens:
            return []
        lost = self._call(self._renew, keys=[self.leases_key], args=[self.lease_ms, *tokens])
        return [t.decode() if isinstance(t, bytes) else t for t in lost]

    def release(self, tokens) -> int:
        tokens = list(tokens)
        if not tokens:
            return 0
        return int(self._call(self._release, keys=[self.key, self.leases_key, self.leased_key], args=tokens))

    def clear(self):
        # The queue belongs to the round, not to this worker: it is never flushed by one worker.
        raise RuntimeError("a shared queue is dropped with its round (crawler.shared.crawl_round), not cleared")
