"""Sightings: every dump ever scanned or crawled, and the near-duplicate links between them.

A sighting keeps what matching and evidence need (where and when, content hash, counts,
match results, MinHash) and never the dump's raw content. Reposts are found with MinHash
LSH (band_index.py: the bands datasketch's MinHashLSH chooses), then checked with the
Jaccard estimate and the containment it implies (a repost with half the columns is
contained in the original even though their Jaccard similarity is only about one half).

The MinHashes live in Redis with their sightings; the LSH index is held in each process
and brought up to date from Redis before every query. A process reads every sighting once,
then follows the sightings log, a stream each sighting is added to in the transaction that
stores it: its entries are in the order of the commits. (Their times seen are not: a sighting
takes its time before it is committed, and processes on other machines have other clocks;
reading by time seen missed a sighting committed just after a later one had been read.) datasketch's own Redis storage costs one round trip per band (64 at
the default threshold) for each query and insert: 30 ms or more of a 100-line paste's scan.
A new process reads every sighting's MinHash once and indexes them all in one sort.

A small dump (at most WHOLE_LIMIT distinct tokens, most pastes) also keeps the MinHash of all
its tokens and its exact size (see fingerprint/sketch.py): its 1-in-4 sample can be a handful
of tokens or none. Those go in a second LSH index; two small dumps are compared whole, any
other pair by their samples. Sightings stored before this have the sample only.

Keys, under the namespace's hash tag ({ns} = `{lw}`, see names.meta_prefix), since a
sighting is committed in one transaction with its matches and its crawled item's mark:
  {ns}:sighting:<id>             hash, one sighting (see `record`); minhash_whole and
                                 cardinality_whole only for a small dump
  {ns}:sighting:next             the last sighting number given
  {ns}:sightings                 zset of sighting ids by time seen; {ns}:sightings:matched those with a match
  {ns}:sightings:log             stream of sighting ids in the order they were committed (field `id`);
                                 purged sightings stay in it (an entry costs some tens of bytes)
  {ns}:sighting:sha256:<hex>     set of the sightings of those exact bytes
  {ns}:sighting:family:<id>      zset of a first sighting's reposts and near-duplicates
"""

import json
import threading
import time

import numpy as np

from ..fingerprint import containment, new_minhash
from ..fingerprint.load_datasketch import datasketch, lsh_params
from ..fingerprint.sketch import NUM_PERM
from .band_index import BandIndex
from .names import RegistryError, meta_prefix


class SightingStore:
    def __init__(self, client, namespace: str = "lw",
                 lsh_threshold: float = 0.1, link_threshold: float = 0.6, replica_wait=None):
        if not 0.0 < lsh_threshold < 1.0 or not 0.0 < link_threshold <= 1.0:
            raise RegistryError("lsh_threshold must be in (0, 1) and link_threshold in (0, 1] (settings lsh_threshold, "
                                "link_threshold)")
        self.client = client
        self.namespace = namespace
        self.prefix = meta_prefix(namespace)
        # On a Redis Cluster, waits after each commit until a replica has it (ReplicaWait).
        self.replica_wait = replica_wait
        self.link_threshold = link_threshold
        self.lsh_threshold = lsh_threshold
        self._index = None  # LSH of the samples, made on first use (see _lsh)
        self._whole_index = None  # and of small dumps' whole sets
        self._log_at = None  # id of the last sightings log entry indexed; None until the first refresh
        # One store serves every crawl of a process, each scanning in its own thread: a sighting
        # is then both recorded by one thread and read back from Redis by another's refresh.
        # Checking and inserting under one lock indexes it once.
        self._index_lock = threading.RLock()

    @property
    def _lsh(self) -> BandIndex:
        """The LSH index of the samples, made on first use; then `_lsh_whole`, of small dumps' whole sets."""
        with self._index_lock:
            if self._index is None:
                self._index = BandIndex(*lsh_bands(self.lsh_threshold))
        return self._index

    @property
    def _lsh_whole(self) -> BandIndex:
        with self._index_lock:
            if self._whole_index is None:
                self._whole_index = BandIndex(*lsh_bands(self.lsh_threshold))
        return self._whole_index

    def _indexes(self):
        return [index for index in (self._index, self._whole_index) if index is not None]

    def _key(self, sighting_id: str) -> str:
        return f"{self.prefix}:sighting:{sighting_id}"

    def record(self, *, name: str, sha256: str, rows: int, fmt: str, matches: list, sketch,
               url: str | None = None, source: str | None = None, error: str | None = None,
               excerpt: str | None = None, seen_at: float | None = None, title: str | None = None,
               author: str | None = None, posted_at: str | None = None, commit=None, queue=None,
               positions=None) -> dict:
        """Store one sighting and return it with the earlier sightings it repeats.

        commit: (CrawlState, item key) to mark a crawled item done in the same transaction,
        so an item is either not done or done with its sighting, never half.
        queue: a MatchQueue that gets the matches in that same transaction.
        positions: {(institution, dataset): DatasetMatch} whose registered record positions the
        queue stores with each match (registry/positions.py).
        """
        seen_at = time.time() if seen_at is None else seen_at
        similar, number = self._similar(sketch, sha256, allocate=True)
        sighting_id = f"s{number}"
        first_of = min((s["first_of"] for s in similar), key=lambda s: int(s[1:]), default=sighting_id)
        record = {
            "id": sighting_id,
            "name": name,
            "url": url or "",
            "source": source or "",
            "seen_at": seen_at,
            "sha256": sha256,
            "rows": rows,
            "format": fmt,
            "matches": json.dumps(matches),
            "error": error or "",
            "excerpt": excerpt or "",
            "title": title or "",
            "author": author or "",
            "posted_at": posted_at or "",
            "first_of": first_of,
            "minhash": np.asarray(sketch.minhash.hashvalues, dtype="<u8").tobytes(),
            "cardinality": sketch.cardinality,
        }
        whole = sketch.whole_minhash
        if whole is not None:
            record["minhash_whole"] = np.asarray(whole.hashvalues, dtype="<u8").tobytes()
            record["cardinality_whole"] = sketch.whole_size
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(sighting_id), mapping=record)
            pipe.zadd(f"{self.prefix}:sightings", {sighting_id: seen_at})
            pipe.xadd(self._log_key, {"id": sighting_id})
            pipe.sadd(f"{self.prefix}:sighting:sha256:{sha256}", sighting_id)
            pipe.zadd(self._family_key(first_of), {sighting_id: seen_at})
            if matches:
                pipe.zadd(f"{self.prefix}:sightings:matched", {sighting_id: seen_at})
            if commit is not None:
                state, item_key = commit
                state.commit(item_key, sighting_id, pipe=pipe)
            if queue is not None:
                for match in matches:
                    found = (positions or {}).get((match["institution"], match["dataset"]))
                    queue.add({"id": sighting_id, "name": name, "url": url, "source": source}, match, pipe=pipe,
                              positions=found)
            pipe.execute()
        if self.replica_wait is not None:
            self.replica_wait(self.client, self._key(sighting_id))
        with self._index_lock:
            if sketch.fed and sighting_id not in self._lsh:
                self._lsh.insert(sighting_id, sketch.minhash.hashvalues)
            if whole is not None and sighting_id not in self._lsh_whole:
                self._lsh_whole.insert(sighting_id, whole.hashvalues)
        return {"id": sighting_id, "first_of": first_of, "similar": similar}

    def _family_key(self, first_of: str) -> str:
        return f"{self.prefix}:sighting:family:{first_of}"

    def family(self, sighting_id: str) -> list:
        """Every sighting of the dump this one belongs to (its first sighting, reposts and
        near-duplicates since), oldest first: the spread of one leak."""
        meta = self.get(sighting_id, with_matches=False)
        if meta is None:
            return []
        ids = [raw.decode() for raw in self.client.zrange(self._family_key(meta["first_of"]), 0, -1)]
        return [s for s in (self.get(i) for i in ids or [sighting_id]) if s]

    @property
    def _log_key(self) -> str:
        return f"{self.prefix}:sightings:log"

    def _newer(self, pipe) -> int:
        """Queue the reads `_refresh` takes (sightings committed since the last one); return their number.

        The first time: the log's last entry, then every sighting. One committed in between is
        read twice, and indexed once.
        """
        if self._log_at is None:
            pipe.xrevrange(self._log_key, count=1)
            pipe.zrange(f"{self.prefix}:sightings", 0, -1)
            return 2
        pipe.xrange(self._log_key, min=f"({self._log_at}")
        return 1

    def _refresh(self, read: list) -> None:
        """Index the sightings other processes (or threads) committed since the last refresh (`read`, see _newer).

        The log position moves to the last entry read even when all of them were indexed
        already (this process's own): otherwise every query read again all it had recorded since.
        """
        if len(read) == 2:
            last, everything = read
            names, at = [_text(raw) for raw in everything], _text(last[0][0]) if last else "0-0"
        else:
            names, at = [_text(fields.get(b"id", fields.get("id"))) for _, fields in read[0]], _text(read[0][-1][0]) if read[0] else None
        names = [name for name in dict.fromkeys(names) if name not in self._lsh and name not in self._lsh_whole]
        if names:
            with self.client.pipeline(transaction=False) as pipe:
                for sighting_id in names:
                    pipe.hmget(self._key(sighting_id), "minhash", "minhash_whole")
                stored = pipe.execute()
            with self._index_lock:  # another thread may have indexed some of them meanwhile
                for index, column in ((self._lsh, 0), (self._lsh_whole, 1)):
                    ids, hashvalues = _fed([(name, got[column]) for name, got in zip(names, stored)
                                            if name not in index])
                    index.insert_many(ids, hashvalues)
        if at is not None:
            with self._index_lock:  # threads may refresh side by side: the position only moves on
                if self._log_at is None or _log_order(at) > _log_order(self._log_at):
                    self._log_at = at

    def similar(self, sketch, sha256: str) -> list:
        """Earlier sightings this content repeats: same bytes, or a near-duplicate by MinHash."""
        return self._similar(sketch, sha256)[0]

    def _similar(self, sketch, sha256: str, allocate: bool = False) -> tuple[list, int | None]:
        """similar(), and the next sighting number if `allocate`: Redis is read in one round trip."""
        whole = sketch.whole_minhash
        query = bool(sketch.fed or whole is not None)
        with self.client.pipeline(transaction=False) as pipe:
            pipe.smembers(f"{self.prefix}:sighting:sha256:{sha256}")
            reads = self._newer(pipe) if query else 0
            if allocate:
                pipe.incr(f"{self.prefix}:sighting:next")
            replies = pipe.execute()
        number = int(replies[-1]) if allocate else None
        found = {raw.decode(): (1.0, 1.0) for raw in replies[0]}
        if query:
            self._refresh(replies[1:1 + reads])
            candidates = set(self._lsh.query(sketch.minhash.hashvalues)) if sketch.fed else set()
            if whole is not None:
                candidates.update(self._lsh_whole.query(whole.hashvalues))
            ordered = sorted(candidates - found.keys())
            # One round trip for all of them: a dump reposted a few hundred times has as many candidates.
            with self.client.pipeline(transaction=False) as pipe:
                for candidate in ordered:
                    pipe.hmget(self._key(candidate), "minhash", "cardinality", "minhash_whole", "cardinality_whole")
                stored_all = pipe.execute() if ordered else []
            for candidate, stored in zip(ordered, stored_all):
                if stored[0] is None:  # purged by another process
                    self._forget(candidate)
                    continue
                other_whole = _minhash(stored[2]) if whole is not None else None
                other_sample = _minhash(stored[0]) if other_whole is None and sketch.fed else None
                if other_whole is not None:
                    jaccard = float(whole.jaccard(other_whole))
                    sizes = (sketch.whole_size, float(stored[3]))
                elif other_sample is not None:
                    jaccard = float(sketch.minhash.jaccard(other_sample))
                    sizes = (sketch.cardinality, float(stored[1]))
                else:
                    continue  # nothing comparable: a small dump's sample was empty
                contained = containment(jaccard, *sizes)
                if max(jaccard, contained) >= self.link_threshold:
                    found[candidate] = (jaccard, contained)
        # What the links show of each, in one round trip: a dump reposted a few hundred times links to as many.
        linked = list(found)
        with self.client.pipeline(transaction=False) as pipe:
            for sighting_id in linked:
                pipe.hmget(self._key(sighting_id), "name", "url", "seen_at", "first_of")
            metas = pipe.execute() if linked else []
        result = []
        for sighting_id, (name, url, seen_at, first_of) in zip(linked, metas):
            if seen_at is None:
                continue  # purged by another process
            jaccard, contained = found[sighting_id]
            result.append({
                "id": sighting_id,
                "name": _shown(name),
                "url": _shown(url) or None,
                "first_seen": _iso(float(seen_at)),
                "similarity": round(jaccard, 3),
                "containment": round(contained, 3),
                "first_of": _shown(first_of),
            })
        result.sort(key=lambda s: int(s["id"][1:]))
        return result, number

    def get(self, sighting_id: str, with_matches: bool = True) -> dict | None:
        raw = self.client.hgetall(self._key(sighting_id))
        if not raw:
            return None
        out = {}
        for key, value in raw.items():
            key = key.decode()
            if key == "minhash":
                continue
            out[key] = value.decode(errors="replace")
        out["seen_at"] = float(out["seen_at"])
        out["rows"] = int(out["rows"])
        out["cardinality"] = float(out["cardinality"])
        out["matches"] = json.loads(out["matches"]) if with_matches else None
        return out

    def purge(self, older_than: float, now: float | None = None) -> int:
        """Delete sightings that matched nothing and were seen more than `older_than` seconds ago.

        Matched sightings are evidence and stay. A crawled item stays done after its
        sighting is purged, so purging never makes the crawler fetch it again.
        """
        cutoff = (time.time() if now is None else now) - older_than
        removed = 0
        for raw in self.client.zrangebyscore(f"{self.prefix}:sightings", "-inf", cutoff):
            sighting_id = raw.decode()
            if self.client.zscore(f"{self.prefix}:sightings:matched", sighting_id) is not None:
                continue
            sha256, first_of = self.client.hmget(self._key(sighting_id), "sha256", "first_of")
            first_of = first_of.decode() if first_of else sighting_id
            if first_of != sighting_id and self.client.zscore(f"{self.prefix}:sightings:matched", first_of) is not None:
                continue  # a repost of a matched dump is part of that leak's spread: evidence too
            with self.client.pipeline(transaction=True) as pipe:
                pipe.delete(self._key(sighting_id))
                pipe.zrem(f"{self.prefix}:sightings", sighting_id)
                pipe.zrem(self._family_key(first_of), sighting_id)
                if sha256:
                    pipe.srem(f"{self.prefix}:sighting:sha256:{sha256.decode()}", sighting_id)
                pipe.execute()
            self._forget(sighting_id)
            removed += 1
        return removed

    def _forget(self, sighting_id: str) -> None:
        with self._index_lock:
            for index in self._indexes():
                if sighting_id in index:
                    index.remove(sighting_id)

    def recent(self, limit: int = 50) -> list:
        ids = self.client.zrevrange(f"{self.prefix}:sightings", 0, limit - 1)
        return [s for s in (self.get(i.decode()) for i in ids) if s]


def _text(raw) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _shown(raw) -> str:
    """A stored text field as `get` gives it ("" if absent)."""
    return raw.decode(errors="replace") if isinstance(raw, bytes) else (raw or "")


def _log_order(entry_id: str) -> tuple:
    """A stream entry id ("<ms>-<seq>") as a sortable key."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _minhash(stored: bytes | None):
    """A stored MinHash for Jaccard, or None if there is none or it was never fed."""
    ids, hashvalues = _fed([("", stored)])
    return new_minhash(hashvalues[0]) if ids else None


def _fed(stored: list) -> tuple[list, np.ndarray]:
    """The (name, stored MinHash bytes) that hold a MinHash that was fed, as (names, hash values).

    An empty sketch (every value the maximum) links nothing; a missing one is a sighting of
    an older version or a big dump without a whole sketch."""
    kept = [(name, raw) for name, raw in stored if raw and len(raw) == NUM_PERM * 8]
    hashvalues = np.frombuffer(b"".join(raw for _, raw in kept), dtype="<u8").reshape(len(kept), NUM_PERM)
    fed = ~(hashvalues == hashvalues.max(axis=1, keepdims=True)).all(axis=1) if kept else np.empty(0, bool)
    return [name for (name, _), ok in zip(kept, fed.tolist()) if ok], hashvalues[fed]


def lsh_bands(threshold: float) -> tuple[int, int]:
    """The (bands, rows) datasketch's MinHashLSH chooses for a threshold (at 128 permutations)."""
    known = lsh_params(threshold, NUM_PERM)
    if known is None:
        lsh = datasketch().MinHashLSH(threshold=threshold, num_perm=NUM_PERM)  # imports SciPy to choose
        known = (lsh.b, lsh.r)
    return known


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
