"""A crawl round of one source: from seeding its start requests to the moment its queue drains.

Every worker of a source (processes of one `leakwatch crawl --workers N`, other cron runs, other
machines) works on the same round. Keys, under the namespace's hash tag (`{lw}`), next to the
source's crawl state:

    {lw}:crawl:<source>:round        hash  id, opened (ms), seeder: the round in progress
    {lw}:crawl:<source>:round:last   the id of the last round that drained
    {lw}:crawl:<source>:queue|leases|leased|seen   crawler.shared.lease_queue

`open` is atomic: with a round in progress a worker joins it; without one, a worker allowed to
lead (the holder of the source's lock, or a `scrapy crawl` of its own) opens a new one and seeds it
(its start requests), others have nothing to join. While it seeds, the seeder holds a lease
(`seed:<worker>`) like any request's, so the round cannot look drained before its first request
is queued, and a seeder killed before it seeded lets the round end when that lease expires.

`status` says whether work is left: requests queued or leased by any worker. The first worker to
see neither closes the round: its seen-set is deleted with it. The seen-set therefore holds one
round's requests at most (listing pages and the items new in that round: items committed earlier
are never requested again, crawler.spiders.base.new_keys), and the next round fetches the listing
pages again, so a new page is never skipped because an earlier round saw its URL.
"""

import secrets
import time

from leakwatch.matchers.registry.names import meta_prefix

from .lease_queue import _NOW, _REQUEUE_EXPIRED

SEED_PREFIX = "seed:"

# KEYS round, last, queue, leases, seen; ARGV role (lead|join), proposed id, worker, seed lease ms
OPEN = _NOW + """
local id = redis.call('HGET', KEYS[1], 'id')
if id then return {'join', id} end
if redis.call('ZCARD', KEYS[3]) + redis.call('ZCARD', KEYS[4]) > 0 then
  -- Requests without a round: pushed by a worker that went on after its round was closed
  -- (it had lost Redis for longer than a lease). Adopt them rather than lose them.
  redis.call('HSET', KEYS[1], 'id', ARGV[2], 'opened', now, 'seeder', '')
  return {'join', ARGV[2]}
end
if ARGV[1] ~= 'lead' or redis.call('GET', KEYS[2]) == ARGV[2] then return {'none', ''} end
redis.call('DEL', KEYS[5])
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'opened', now, 'seeder', ARGV[3])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[4]), 'seed:' .. ARGV[3])
return {'seed', ARGV[2]}
"""

# KEYS queue, leases, leased, round, last, seen; ARGV round id -> {queued, leased, state}
STATUS = _NOW + _REQUEUE_EXPIRED + """
local requeued = requeue_expired(100)
local id = redis.call('HGET', KEYS[4], 'id')
if id ~= ARGV[1] then return {0, 0, 'closed', requeued} end
local queued = redis.call('ZCARD', KEYS[1])
local leased = redis.call('ZCARD', KEYS[2])
if queued + leased > 0 then return {queued, leased, 'open', requeued} end
redis.call('DEL', KEYS[4], KEYS[6])
redis.call('SET', KEYS[5], id)
return {0, 0, 'drained', requeued}
"""


def new_round_id() -> str:
    return f"{int(time.time())}-{secrets.token_hex(4)}"


class CrawlRound:
    def __init__(self, client, source: str, namespace: str = "lw", wait=None):
        self.client = client
        self.source = source
        base = f"{meta_prefix(namespace)}:crawl:{source}"
        self.round_key, self.last_key = f"{base}:round", f"{base}:round:last"
        self.queue_key, self.leases_key = f"{base}:queue", f"{base}:leases"
        self.leased_key, self.seen_key = f"{base}:leased", f"{base}:seen"
        self.wait = wait
        self.id = None
        self._open = client.register_script(OPEN)
        self._status = client.register_script(STATUS)

    def keys(self) -> list:
        return [self.round_key, self.last_key, self.queue_key, self.leases_key, self.leased_key, self.seen_key]

    def _call(self, fn, **kwargs):
        return self.wait.call(fn, **kwargs) if self.wait is not None else fn(**kwargs)

    def open(self, role: str, worker: str, proposed_id: str | None = None, seed_ms: int = 120_000) -> str:
        """'seed' (this worker opened the round and seeds it), 'join' (a round is in progress) or
        'none' (no round, and this worker may not open one)."""
        if role not in ("lead", "join"):
            raise ValueError(f"role must be 'lead' or 'join', not {role!r}")
        how, round_id = self._call(self._open, keys=[self.round_key, self.last_key, self.queue_key, self.leases_key,
                                                     self.seen_key],
                                   args=[role, proposed_id or new_round_id(), worker, seed_ms])
        how = how.decode() if isinstance(how, bytes) else how
        self.id = (round_id.decode() if isinstance(round_id, bytes) else round_id) or None
        return how

    def status(self) -> tuple[int, int, str, int]:
        """(requests queued, requests leased by any worker, 'open'|'drained'|'closed', expired leases
        put back). 'drained': this call found no work left and closed the round."""
        if self.id is None:
            return 0, 0, "closed", 0
        queued, leased, state, requeued = self._call(
            self._status, keys=[self.queue_key, self.leases_key, self.leased_key, self.round_key, self.last_key,
                                self.seen_key], args=[self.id])
        return int(queued), int(leased), state.decode() if isinstance(state, bytes) else state, int(requeued)

    def seed_token(self, worker: str) -> str:
        return SEED_PREFIX + worker
