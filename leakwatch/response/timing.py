"""Time-to-warning of a match: from the source's posting to the institution's warning.

Every time is read from what the stores already keep, at the moment each thing happened:
the sighting's `posted_at` (as the site gave it: kept as text, used as a time when it reads
as ISO 8601), `seen_at` of the leak's first sighting and of the match's own, the match's
`created_at` (matched) and `decided_at` (confirmed), and each alert delivery's
`delivered_at`. Nothing here is estimated.
"""

from datetime import datetime, timezone


def parse_posted(text) -> float | None:
    """A site's posting time as epoch seconds when it reads as ISO 8601 (a zone-less time is
    UTC); None for anything else ("2 hours ago", a local format): shown as text only."""
    text = str(text or "").strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def _iso(epoch) -> str | None:
    if epoch is None or epoch == "":
        return None
    return datetime.fromtimestamp(float(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(start, end) -> float | None:
    if start is None or end is None:
        return None
    return round(float(end) - float(start), 3)


def warning_times(match: dict, sighting: dict | None, first: dict | None, deliveries: list) -> dict:
    """The times of one match and the spans between them (seconds; None when a time is unknown).

    sighting: the match's own sighting; first: the first sighting of its leak (the same one
    for a leak seen once); deliveries: the alert sender's deliveries of the match.
    """
    sighting, first = sighting or {}, first or sighting or {}
    posted_text = first.get("posted_at") or sighting.get("posted_at") or ""
    posted = parse_posted(posted_text)
    first_seen = first.get("seen_at")
    seen = sighting.get("seen_at")
    matched = match.get("created_at")
    confirmed = match.get("decided_at") if match.get("state") == "confirmed" else None
    confirmed = float(confirmed) if confirmed not in (None, "") else None
    alerts = sorted(({"event": d.get("event", ""), "channel": d.get("channel", ""), "state": d.get("state", ""),
                      "created_at": _iso(d.get("created_at")), "delivered_at": _iso(d.get("delivered_at") or None),
                      "delivered_epoch": float(d["delivered_at"]) if d.get("delivered_at") not in (None, "") else None}
                     for d in deliveries), key=lambda a: a["created_at"] or "")
    delivered = [a["delivered_epoch"] for a in alerts if a["delivered_epoch"] is not None]
    warned = min(delivered) if delivered else None
    for alert in alerts:
        alert.pop("delivered_epoch")
    return {
        "posted_at": _iso(posted), "posted_at_text": str(posted_text)[:100],
        "first_seen": _iso(first_seen), "seen": _iso(seen), "matched": _iso(matched), "confirmed": _iso(confirmed),
        "warned": _iso(warned), "alerts": alerts,
        "seconds": {
            "posted_to_first_seen": _seconds(posted, first_seen),
            "seen_to_matched": _seconds(seen, matched),
            "matched_to_confirmed": _seconds(matched, confirmed),
            "first_seen_to_warned": _seconds(first_seen, warned),
            "posted_to_warned": _seconds(posted, warned),
        },
        "warned_epoch": warned,
    }
