"""What an institution receives about a match: counts, kinds of data, where and when, a link.

The same dictionary is the webhook body (as JSON) and the content of the e-mail. It is
built from the match and its sighting only, field by field: never the sighting's excerpt
nor any value of the dump, so an alert that lands in the wrong inbox or a receiver's log
reveals no one's data. The analyst's page behind the link has the evidence.
"""

import time

from .errors import AlertError

EVENTS = ("canary", "confirmed")


def alert_payload(event: str, match: dict, sighting: dict | None, public_url: str) -> dict:
    """The alert about `match` for event "canary" (a canary record was seen) or "confirmed"
    (an analyst confirmed the match)."""
    if event not in EVENTS:
        raise AlertError(f"unknown alert event {event!r}: one of {', '.join(EVENTS)}")
    sighting = sighting or {}
    seen_at = sighting.get("seen_at")
    return {
        "event": event,
        "match": match["id"],
        "institution": match["institution"],
        "dataset": match["dataset"],
        "records": int(match.get("records", 0)),
        "records_low": int(match.get("records_low", 0)),
        "records_high": int(match.get("records_high", 0)),
        "fields": sorted(match.get("fields") or []),
        "canaries": int(match.get("canaries", 0)),
        "state": match.get("state") or "new",
        "first_seen": {
            "where": sighting.get("url") or sighting.get("name") or match.get("url") or match.get("name") or None,
            "source": sighting.get("source") or match.get("source") or "scan",
            "at": _iso(seen_at if seen_at is not None else match.get("created_at")),
        },
        "sha256": sighting.get("sha256") or None,
        "link": f"{public_url.rstrip('/')}/matches/{match['id']}",
    }


def _iso(timestamp) -> str | None:
    if timestamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(timestamp)))
