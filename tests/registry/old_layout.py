"""The writes of leakwatch before the current key layout, to build a store as it made them.

Copied from the last commit of that layout, 4f230a8 (`git show 4f230a8:<path>`), cut down to
the writes: matchers/registry/redis.py (RedisRegistry.register), sightings.py
(SightingStore.record, without the LSH: it only finds earlier sightings, and these stores start
empty), queue.py (MatchQueue.add), crawl_state.py (CrawlState.commit), lock.py
(SourceLock.acquire), leakwatch/accounts/analysts.py (AnalystStore.add) and
leakwatch/review/audit.py (AuditLog.record). Every key is `<namespace>:...`, with the dataset's
and the crawl source's hash tags of the time; the values are as the current code reads them
(`git diff 4f230a8 HEAD` of those files changes the key names, not the values).
"""

import json
import os
import secrets
import socket
import time

import numpy as np
from argon2 import PasswordHasher

from leakwatch.matchers.fingerprint import TOKEN_DTYPE
from leakwatch.matchers.registry.names import dataset_id, dataset_key
from leakwatch.matchers.registry.queue import alert_event, urgency


def register(client, ns, institution, dataset, fingerprint):
    ds_id = dataset_id(institution, dataset)
    meta_key = dataset_key(ns, ds_id, "meta")
    generation = int(client.hincrby(dataset_key(ns, ds_id, "generation"), "n", 1))
    tokens_key = dataset_key(ns, ds_id, f"tokens:{generation}")
    flags_key = dataset_key(ns, ds_id, f"flags:{generation}")
    old = client.hget(meta_key, "generation")
    meta = {
        "institution": institution,
        "dataset": dataset,
        "rows": fingerprint.rows,
        "canaries": fingerprint.canaries,
        "fields": json.dumps(list(fingerprint.fields)),
        "tokens": len(fingerprint.tokens),
        "key_id": fingerprint.key_id,
        "fingerprint_version": fingerprint.version,
        "fingerprint_created_at": fingerprint.created_at,
        "registered_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "generation": generation,
        "minhash": np.asarray(fingerprint.minhash, dtype="<u8").tobytes(),
        "cardinality": fingerprint.cardinality,
    }
    with client.pipeline(transaction=True) as pipe:
        pipe.set(tokens_key, np.ascontiguousarray(fingerprint.tokens, dtype=TOKEN_DTYPE).tobytes())
        pipe.set(flags_key, np.asarray(fingerprint.flags, dtype=np.uint8).tobytes())
        pipe.delete(meta_key)
        pipe.hset(meta_key, mapping=meta)
        pipe.execute()
    client.sadd(f"{ns}:datasets", ds_id)
    if old is not None:
        client.delete(dataset_key(ns, ds_id, f"tokens:{int(old)}"), dataset_key(ns, ds_id, f"flags:{int(old)}"))
    client.incr(f"{ns}:registry:version")


def queue_add(target, ns, sighting, match):
    match_id = f"{sighting['id']}-{match['institution']}-{match['dataset']}"
    score = urgency(match)
    entry = {
        "id": match_id,
        "sighting": sighting["id"],
        "institution": match["institution"],
        "dataset": match["dataset"],
        "records": match["records"],
        "records_low": match["records_low"],
        "records_high": match["records_high"],
        "canaries": match["canaries"],
        "fields": json.dumps(match["fields"]),
        "urgency": score,
        "created_at": time.time(),
        "source": sighting.get("source") or "",
        "url": sighting.get("url") or "",
        "name": sighting.get("name") or "",
    }
    key = f"{ns}:match:{match_id}"
    target.hset(key, mapping=entry)
    target.hsetnx(key, "state", "new")
    target.hsetnx(key, "assignee", "")
    target.zadd(f"{ns}:queue:state:new", {match_id: score}, nx=True)
    target.sadd(f"{ns}:queue:institution:{match['institution']}", match_id)
    target.sadd(f"{ns}:queue:source:{sighting.get('source') or 'scan'}", match_id)
    target.sadd(f"{ns}:queue:sources", sighting.get("source") or "scan")
    if match["canaries"]:
        target.rpush(f"{ns}:alerts:pending", alert_event("canary", match_id))
    return match_id


def record_sighting(client, ns, *, name, sha256, rows, fmt, matches, sketch, url=None, source=None,
                    excerpt=None, commit_item=None):
    """A first sighting (no earlier one to link to) with its matches queued and, if
    commit_item, its crawled item marked done, in one transaction."""
    seen_at = time.time()
    sighting_id = f"s{int(client.incr(f'{ns}:sighting:next'))}"
    first_of = sighting_id
    record = {
        "id": sighting_id, "name": name, "url": url or "", "source": source or "", "seen_at": seen_at,
        "sha256": sha256, "rows": rows, "format": fmt, "matches": json.dumps(matches), "error": "",
        "excerpt": excerpt or "", "title": "", "author": "", "posted_at": "", "first_of": first_of,
        "minhash": np.asarray(sketch.minhash.hashvalues, dtype="<u8").tobytes(),
        "cardinality": sketch.cardinality,
    }
    with client.pipeline(transaction=True) as pipe:
        pipe.hset(f"{ns}:sighting:{sighting_id}", mapping=record)
        pipe.zadd(f"{ns}:sightings", {sighting_id: seen_at})
        pipe.sadd(f"{ns}:sighting:sha256:{sha256}", sighting_id)
        pipe.zadd(f"{ns}:sighting:family:{first_of}", {sighting_id: seen_at})
        if matches:
            pipe.zadd(f"{ns}:sightings:matched", {sighting_id: seen_at})
        if commit_item is not None:
            pipe.hset(f"{ns}:crawl:{{{source}}}:items", commit_item, sighting_id)
        for match in matches:
            queue_add(pipe, ns, {"id": sighting_id, "name": name, "url": url, "source": source}, match)
        pipe.execute()
    return sighting_id


def set_cursor(client, ns, source, name, value):
    client.hset(f"{ns}:crawl:{{{source}}}:cursors", name, value)


def acquire_lock(client, ns, source, ttl=120):
    token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
    assert client.set(f"{ns}:lock:{{{source}}}", token, nx=True, ex=ttl)
    return token


def add_analyst(client, ns, name, password):
    with client.pipeline(transaction=True) as pipe:
        pipe.hset(f"{ns}:analyst:{name}", mapping={"name": name, "password": PasswordHasher().hash(password),
                                                   "created_at": time.time()})
        pipe.sadd(f"{ns}:analysts", name)
        pipe.execute()


def audit(client, ns, actor, action, match_id, detail):
    entry = {"at": time.time(), "actor": actor, "action": action, "match": match_id,
             "detail": json.dumps(detail or {}, sort_keys=True)}
    client.xadd(f"{ns}:audit", entry)
    client.rpush(f"{ns}:audit:match:{match_id}", json.dumps(entry))


# ---------------------------------------------------------------- a whole store

PASSWORD = "correct horse battery"
# What build_store writes under `<ns>:`, by kind (datasets' keys apart): two labs registered,
# one paste crawled that quotes both (a sighting, two matches, the item and a cursor), the
# source's lock, an analyst and a note in the audit log.
KEYS_BY_KIND = {"registry": 2, "sightings": 6, "queue": 7, "crawl": 3, "accounts": 2, "audit": 2}
DATASET_KEYS = 8  # 2 datasets x meta, generation, tokens:1, flags:1


def build_store(client, ns, key, labs, workdir):
    """An old-layout store as leakwatch made it: labs[0] and labs[1] registered as
    "<name>/patients", then a paste quoting 10 people of each crawled from source "paste".
    Returns what the checks need: the paste's path, the old sighting and match ids, the lock token."""
    import hashlib

    from world.synth import write_table
    from leakwatch.matchers.extract import table_records
    from leakwatch.matchers.fingerprint import Tokenizer, fingerprint_records
    from leakwatch.matchers.match import Scanner, TokenIndex

    fingerprints = {}
    for lab in labs[:2]:
        table = write_table(workdir / f"{lab.name}.csv", lab.rows)
        fingerprints[lab.name] = fingerprint_records(table_records(table), key, "patients")
        register(client, ns, lab.name, "patients", fingerprints[lab.name])
    paste = write_table(workdir / "paste.csv", labs[0].rows[:10] + labs[1].rows[:10])
    # The matches as the scan computed them (the same matching code then and now).
    index = TokenIndex([{"institution": name, "dataset": "patients", "generation": 1} for name in fingerprints],
                       [(fp.tokens, fp.flags) for fp in fingerprints.values()])
    outcome = Scanner(index, Tokenizer(key.hasher())).scan(table_records(paste))
    matches = [m.as_dict() for m in outcome.matches]
    assert sorted(m["institution"] for m in matches) == sorted(fingerprints)
    sighting = record_sighting(client, ns, name="paste-1", sha256=hashlib.sha256(paste.read_bytes()).hexdigest(),
                               rows=outcome.rows, fmt="csv", matches=matches, sketch=outcome.sketch,
                               url="http://paste.example/1", source="paste", excerpt="\n".join(outcome.excerpt),
                               commit_item="item-1")
    set_cursor(client, ns, "paste", "archive", "page-3")
    token = acquire_lock(client, ns, "paste")
    add_analyst(client, ns, "alice", PASSWORD)
    match_ids = [f"{sighting}-{name}-patients" for name in fingerprints]
    audit(client, ns, "alice", "note", match_ids[0], {"note": "seen on the forum too"})
    return {"paste": paste, "sighting": sighting, "matches": match_ids, "lock": token}
