"""The analysts' unit of work: a leak (a dump family), not a (sighting, institution) match.

A leak gathers the matches of every sighting of one family (matchers/registry/sightings.py
links reposts and near-duplicates to their first sighting), per institution and dataset (a
"part"). Its state follows its matches': new while any match in it is new, else confirmed
if any part was confirmed, else dismissed.

New sightings are filed before every read (`sync`), so the crawler and `leakwatch scan`
need not know about leaks. A repost of a part already decided, with no more records or
canaries than the part's decided matches, is marked a duplicate of them at once (audited as
`leakwatch`): it lands in the leak's spread, not in anybody's work. A repost that brings a
new institution or more records stays new, and the leak comes back with the reason.

Decisions made on single matches (web page, `leakwatch queue`) reach the leak through the
audit log: `sync` re-reads the leaks of the matches decided since its last pass.
"""

import json
import time

from leakwatch.matchers.registry.leaks import LEAK_STATES, LeakStore
from leakwatch.matchers.registry.lock import SourceLock
from leakwatch.matchers.registry.queue import urgency

from .triage import TriageError

SYSTEM_ACTOR = "leakwatch"
LOCK_SECONDS = 30          # a sync files at most a few thousand sightings; a crashed one frees the lock soon
LOCK_WAIT_SECONDS = 10.0   # a reader waits this long for another process's sync, then reads what is stored
AUDIT_BATCH = 1000
SIGHTING_FIELDS = ("seen_at", "source", "url", "name", "title", "rows", "matches", "first_of")


class LeakQueue:
    def __init__(self, store: LeakStore, queue, sightings, triage, lock_wait_seconds: float = LOCK_WAIT_SECONDS):
        self.lock_wait_seconds = lock_wait_seconds
        self.store = store
        self.queue = queue
        self.sightings = sightings
        self.triage = triage
        self.client = store.client

    # ------------------------------------------------------------ filing

    def _pending(self) -> bool:
        """Whether a sighting waits to be filed or a decision to be applied (one round trip, no lock)."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.zdiff([self.store.matched_key, self.store.filed_key])
            pipe.get(self.store.cursor_key)
            pipe.xrevrange(f"{self.store.prefix}:audit", count=1)
            unfiled, cursor, last = pipe.execute()
        return bool(unfiled) or bool(last and last[0][0] != cursor)

    def sync(self) -> int:
        """File matched sightings not in a leak yet and apply decisions made since; returns sightings filed."""
        if not self._pending():
            return 0
        # One process files at a time. The lock (a SourceLock: a name no crawl source can take) is
        # renewed while a long first filing runs, and a crashed holder's expires or is noticed.
        lock = SourceLock(self.client, "leak-queue:sync", self.store.namespace, ttl=LOCK_SECONDS)
        deadline = time.monotonic() + self.lock_wait_seconds
        while not lock.acquire():
            if time.monotonic() > deadline:
                return 0
            time.sleep(0.05)
        try:
            filed, renewed = 0, time.monotonic()
            for sighting_id in self.store.unfiled():
                self._file(sighting_id)
                filed += 1
                if time.monotonic() - renewed > LOCK_SECONDS / 3:
                    lock.renew()
                    renewed = time.monotonic()
            self._apply_decisions()
            return filed
        finally:
            lock.release()

    def _file(self, sighting_id: str) -> None:
        found = self._sightings([sighting_id])
        if not found:
            return
        sighting = found[0]
        leak_id = sighting["first_of"] or sighting_id
        leak = self.build(leak_id)
        if leak is None:
            return
        before = _without(leak, sighting_id)
        handled = any(p["state"] != "new" for p in before["parts"])
        reasons, decided = [], False
        mine = {(m["institution"], m["dataset"]): m for m in (
            {**match, "institution": p["institution"], "dataset": p["dataset"]}
            for p in leak["parts"] for match in p["matches"] if match["sighting"] == sighting_id)}
        for (institution, dataset), match in sorted(mine.items()):
            if match["state"] != "new":
                continue
            part = _part(before, institution, dataset)
            lead = _decided_lead(part)
            label = f"{institution}/{dataset}"
            if lead is not None and match["records"] <= lead["records"] and match["canaries"] <= part["canaries"]:
                self.triage.decide(match["id"], "duplicate", SYSTEM_ACTOR, duplicate_of=lead["id"],
                                   note=f"repost in leak {leak_id}: no new institution, no more records")
                decided = True
            elif lead is not None:
                canaries = f" and {match['canaries']} canaries" if match["canaries"] > part["canaries"] else ""
                reasons.append(f"{sighting_id} holds {match['records']} records{canaries} of {label} "
                               f"(was {lead['records']})")
            elif handled and part is None:
                reasons.append(f"{sighting_id} brings a new institution: {label}")
        if decided:
            leak = self.build(leak_id)
        reason = "; ".join(reasons) if reasons else (None if leak["state"] == "new" else "")
        self.store.save(leak, filed=((sighting_id, sighting["seen_at"]),), reason=reason)

    def _apply_decisions(self) -> None:
        """Refresh the leaks of the matches decided since the last pass (the audit stream)."""
        cursor = self.client.get(self.store.cursor_key)
        start = "(" + cursor.decode() if cursor else "-"
        while True:
            entries = self.client.xrange(f"{self.store.prefix}:audit", min=start, count=AUDIT_BATCH)
            if not entries:
                return
            leaks = set()
            for _, fields in entries:
                action = fields.get(b"action", b"").decode()
                match_id = fields.get(b"match", b"").decode()
                if action.startswith("state:") and match_id:
                    match = self.queue.get(match_id)
                    leak_id = match and self.store.leak_of(match["sighting"])
                    if leak_id:
                        leaks.add(leak_id)
            for leak_id in sorted(leaks):
                self.refresh(leak_id)
            last = entries[-1][0].decode()
            self.client.set(self.store.cursor_key, last)
            start = "(" + last

    def refresh(self, leak_id: str) -> dict | None:
        leak = self.build(leak_id)
        if leak is not None:
            # Out of the queue, a leak's reason to be back is spent.
            self.store.save(leak, reason=None if leak["state"] == "new" else "")
        return self.store.get(leak_id)

    def build(self, leak_id: str, exclude: str | None = None) -> dict | None:
        """The leak as its family's sightings and matches make it now (None: no match in it)."""
        family = [raw.decode() for raw in self.client.zrange(self.sightings._family_key(leak_id), 0, -1)]
        sightings = [s for s in self._sightings(family or [leak_id]) if s["id"] != exclude]
        found_ids = [f"{s['id']}-{found['institution']}-{found['dataset']}" for s in sightings for found in s["matches"]]
        by_id = {m["id"]: m for m in self.queue.get_many(found_ids) if m}
        parts = {}
        for sighting in sightings:
            for found in sighting["matches"]:
                match = by_id.get(f"{sighting['id']}-{found['institution']}-{found['dataset']}")
                if match is None:
                    continue
                part = parts.setdefault((match["institution"], match["dataset"]), {
                    "institution": match["institution"], "dataset": match["dataset"], "records": 0, "records_low": 0,
                    "records_high": 0, "canaries": 0, "fields": set(), "matches": []})
                for name in ("records", "records_low", "records_high", "canaries"):
                    part[name] = max(part[name], match[name])
                part["fields"].update(match["fields"])
                part["matches"].append({"id": match["id"], "sighting": sighting["id"], "state": match["state"],
                                        "records": match["records"], "canaries": match["canaries"],
                                        "seen_at": sighting["seen_at"]})
        if not parts:
            return None
        for part in parts.values():
            part["fields"] = sorted(part["fields"])
            part["state"] = _state(m["state"] for m in part["matches"])
            part["urgency"] = urgency(part)
        ordered = sorted(parts.values(), key=lambda p: (-p["urgency"], p["institution"], p["dataset"]))
        sources = sorted({s.get("source") or "scan" for s in sightings})
        texts = sources + [s.get(k) or "" for s in sightings for k in ("url", "title", "name")]
        return {
            "id": leak_id,
            "state": _state(p["state"] for p in ordered),
            "urgency": sum(p["urgency"] for p in ordered),
            "institutions": sorted({p["institution"] for p in ordered}),
            "parts": ordered,
            "records": sum(p["records"] for p in ordered),
            "records_low": sum(p["records_low"] for p in ordered),
            "records_high": sum(p["records_high"] for p in ordered),
            "canaries": sum(p["canaries"] for p in ordered),
            "fields": sorted({f for p in ordered for f in p["fields"]}),
            "sources": sources,
            "sightings": [{"id": s["id"], "seen_at": s["seen_at"], "source": s.get("source") or "scan",
                           "url": s.get("url") or "", "name": s.get("name") or "", "title": s.get("title") or "",
                           "rows": s.get("rows", 0)} for s in sightings],
            "first_seen": min(s["seen_at"] for s in sightings),
            "latest_seen": max(s["seen_at"] for s in sightings),
            "name": sightings[0].get("title") or sightings[0].get("name") or sightings[0]["id"],
            # What the text search looks through: where and under which name the dump was seen,
            # and who is in it; never its content.
            "search": " ".join(texts + [p["institution"] for p in ordered]).lower(),
        }

    def _sightings(self, ids: list) -> list:
        """The fields of these sightings a leak shows, in one round trip (not their MinHashes)."""
        with self.client.pipeline(transaction=False) as pipe:
            for sighting_id in ids:
                pipe.hmget(self.sightings._key(sighting_id), *SIGHTING_FIELDS)
            rows = pipe.execute()
        out = []
        for sighting_id, values in zip(ids, rows):
            if values[0] is None:   # purged
                continue
            raw = dict(zip(SIGHTING_FIELDS, (v.decode(errors="replace") if v is not None else "" for v in values)))
            out.append({**raw, "id": sighting_id, "seen_at": float(raw["seen_at"]), "rows": int(raw["rows"] or 0),
                        "matches": json.loads(raw["matches"] or "[]")})
        return out

    # ------------------------------------------------------------ reading

    def list(self, *, states=("new",), institution: str | None = None, source: str | None = None,
             seen_from: float | None = None, seen_to: float | None = None, text: str = "",
             limit: int = 50, offset: int = 0) -> tuple[list, int]:
        """Leaks most urgent first, with the total before paging.

        seen_from/seen_to: leaks seen (any sighting) in that time span; text: a piece of a
        source, URL, title, file name or institution name (case-insensitive).
        """
        for state in states:
            self.store.state_key(state)  # an unknown state is refused before any work
        self.sync()
        text = (text or "").strip().lower()
        if len(states) == 1 and not (institution or source or text) and seen_from is None and seen_to is None:
            ids, total = self.store.page(states[0], offset, limit)
            return [leak for leak in self.store.get_many(ids) if leak], total
        ids = self.store.ranked(states, institution=institution, source=source)
        if seen_from is None and seen_to is None and not text:
            return [leak for leak in self.store.get_many(ids[offset:offset + limit]) if leak], len(ids)
        kept = [leak for leak in self.store.get_many(ids) if leak and _within(leak, seen_from, seen_to)
                and (not text or text in leak["search"])]
        return kept[offset:offset + limit], len(kept)

    def for_institution(self, institution: str) -> list:
        """Every leak holding the institution's records, most urgent first."""
        self.sync()
        return [leak for leak in self.store.get_many(self.store.ranked(LEAK_STATES, institution=institution)) if leak]

    def get(self, leak_id: str) -> dict | None:
        self.sync()
        return self.store.get(leak_id)

    def counts(self) -> dict:
        return self.store.counts()

    def sources(self) -> list:
        return self.store.sources()

    # ------------------------------------------------------------ deciding

    def decide(self, leak_id: str, decision: str, actor: str, note: str = "",
               institution: str | None = None, dataset: str | None = None) -> dict:
        """Confirm or dismiss a whole leak, or one institution's part of it (one dataset, if given).

        Confirm: per part, the new match with the most records is confirmed (the institution is
        alerted once) and the part's other new matches become its duplicates; a part already
        confirmed with as many records gets its new matches as duplicates of that one; a part
        dismissed before is confirmed the same way from its dismissed matches.
        Dismiss: every match of the part that is not a false positive becomes one.
        """
        if decision not in ("confirmed", "false_positive"):
            raise TriageError(f"a leak is confirmed or dismissed (false_positive), not {decision!r}")
        leak = self.get(leak_id)
        if leak is None:
            raise TriageError(f"no leak {leak_id!r}")
        parts = [p for p in leak["parts"] if (not institution or p["institution"] == institution)
                 and (not dataset or p["dataset"] == dataset)]
        if not parts:
            raise TriageError(f"leak {leak_id} holds nothing of {institution}{'/' + dataset if dataset else ''}")
        note = (note or "").strip()
        changed = []
        for part in parts:
            matches = [self.queue.get(m["id"]) for m in part["matches"]]
            matches = [m for m in matches if m is not None]
            if decision == "false_positive":
                for match in matches:
                    if match["state"] != "false_positive":
                        self.triage.decide(match["id"], "false_positive", actor, note=_noted(note, leak_id))
                        changed.append(match["id"])
                continue
            confirmed = max((m for m in matches if m["state"] == "confirmed"),
                            key=lambda m: (m["records"], m["canaries"]), default=None)
            # A part dismissed before (nothing new, nothing confirmed) is confirmed all the same:
            # the analyst changed their mind about the whole leak.
            undecided = ("new",) if confirmed is not None or any(m["state"] == "new" for m in matches) \
                else ("false_positive", "duplicate")
            fresh = sorted((m for m in matches if m["state"] in undecided),
                           key=lambda m: (-m["records"], -m["canaries"], int(m["sighting"][1:] or 0)))
            if not fresh:
                continue
            best = fresh[0]
            if confirmed is None or best["records"] > confirmed["records"] or best["canaries"] > confirmed["canaries"]:
                self.triage.decide(best["id"], "confirmed", actor, note=_noted(note, leak_id))
                changed.append(best["id"])
                lead, rest = best, fresh[1:]
            else:
                lead, rest = confirmed, fresh
            for match in rest:
                self.triage.decide(match["id"], "duplicate", actor, duplicate_of=lead["id"],
                                   note=_noted(note, leak_id))
                changed.append(match["id"])
        with self.client.pipeline(transaction=True) as pipe:
            entry = self.triage.audit.record(actor, f"leak:{decision}", "", {
                "leak": leak_id, "institution": institution or "", "dataset": dataset or "", "note": note,
                "matches": len(changed)}, pipe=pipe)
            pipe.rpush(_leak_audit_key(self.triage.audit, leak_id), json.dumps(entry))
            pipe.execute()
        refreshed = self.refresh(leak_id)
        refreshed["changed"] = changed
        return refreshed


def public(leak: dict) -> dict:
    """A leak as the CLI and the web app show it (the search text is the queue's own)."""
    return {k: v for k, v in leak.items() if k != "search"}


def _leak_audit_key(audit, leak_id: str) -> str:
    return f"{audit.prefix}:audit:leak:{leak_id}"


def leak_audit(audit, leak: dict) -> list:
    """The decisions on a leak: whole-leak ones and those on each of its matches, oldest first."""
    entries = [json.loads(raw) for raw in audit.client.lrange(_leak_audit_key(audit, leak["id"]), 0, -1)]
    for entry in entries:
        entry["detail"] = json.loads(entry["detail"])
    for part in leak["parts"]:
        for match in part["matches"]:
            entries.extend(audit.for_match(match["id"]))
    return sorted(entries, key=lambda e: float(e["at"]))


def _noted(note: str, leak_id: str) -> str:
    return f"{note} (whole leak {leak_id})" if note else f"decided on the whole leak {leak_id}"


def _state(states) -> str:
    states = set(states)
    if "new" in states:
        return "new"
    return "confirmed" if "confirmed" in states else "dismissed"


assert set(LEAK_STATES) == {"new", "confirmed", "dismissed"}


def _without(leak: dict, sighting_id: str) -> dict:
    """The leak's parts as they were before `sighting_id` was filed (what a repost is compared with)."""
    parts = []
    for part in leak["parts"]:
        matches = [m for m in part["matches"] if m["sighting"] != sighting_id]
        if matches:
            parts.append({**part, "matches": matches, "state": _state(m["state"] for m in matches),
                          "records": max(m["records"] for m in matches),
                          "canaries": max(m["canaries"] for m in matches)})
    return {**leak, "parts": parts}


def _part(leak: dict | None, institution: str, dataset: str) -> dict | None:
    if leak is None:
        return None
    return next((p for p in leak["parts"] if (p["institution"], p["dataset"]) == (institution, dataset)), None)


def _decided_lead(part: dict | None) -> dict | None:
    """The match a repost of a decided part duplicates: its confirmed match with the most
    records, else its false positive with the most; None if nothing in the part was decided."""
    if part is None:
        return None
    for state in ("confirmed", "false_positive"):
        decided = [m for m in part["matches"] if m["state"] == state]
        if decided:
            return max(decided, key=lambda m: (m["records"], m["canaries"]))
    return None


def _within(leak: dict, seen_from: float | None, seen_to: float | None) -> bool:
    if seen_from is not None and leak["latest_seen"] < seen_from:
        return False
    if seen_to is not None and leak["first_seen"] > seen_to:
        return False
    return True
