"""A leak's spread: its first sighting and every repost or near-duplicate since, across
sources, with the records of one institution's dataset at stake at each point."""

import time


def spread_timeline(sightings, match: dict) -> list:
    """Points of the match's leak, oldest first.

    Each point: sighting id, when (epoch and ISO), source, where (URL or file name), rows,
    the records of this match's dataset in that sighting (0 if it did not match it), the
    records at stake so far (the largest count seen), and the distinct sources so far.
    """
    points = []
    most = 0
    sources = set()
    for sighting in sightings.family(match["sighting"]):
        records = 0
        for found in sighting.get("matches") or []:
            if found.get("institution") == match["institution"] and found.get("dataset") == match["dataset"]:
                records = int(found.get("records", 0))
        most = max(most, records)
        sources.add(sighting.get("source") or "scan")
        points.append({
            "sighting": sighting["id"],
            "seen_at": sighting["seen_at"],
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sighting["seen_at"])),
            "source": sighting.get("source") or "scan",
            "where": sighting.get("url") or sighting.get("name") or "",
            "rows": sighting.get("rows", 0),
            "records": records,
            "at_stake": most,
            "sources_so_far": len(sources),
            "first": sighting["id"] == sighting.get("first_of"),
            "this": sighting["id"] == match["sighting"],
        })
    return points
