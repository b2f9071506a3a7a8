"""A whole leak's spread: one point per sighting of its family, with the records of every
institution in that sighting, and the records at stake so far (per institution and dataset,
the most seen in any one copy, summed: reposts of one file are not counted twice)."""

import time


def leak_timeline(leak: dict) -> list:
    """Points of the leak, oldest first, in the shape spread_timeline gives (for timeline_chart)."""
    records = {}
    for part in leak["parts"]:
        for match in part["matches"]:
            records.setdefault(match["sighting"], {})[(part["institution"], part["dataset"])] = match["records"]
    most, sources, points = {}, set(), []
    for sighting in sorted(leak["sightings"], key=lambda s: (s["seen_at"], int(s["id"][1:] or 0))):
        found = records.get(sighting["id"], {})
        for part, count in found.items():
            most[part] = max(most.get(part, 0), count)
        sources.add(sighting["source"])
        points.append({
            "sighting": sighting["id"],
            "seen_at": sighting["seen_at"],
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sighting["seen_at"])),
            "source": sighting["source"],
            "where": sighting["url"] or sighting["name"],
            "rows": sighting["rows"],
            "records": sum(found.values()),
            "institutions": len(found),
            "at_stake": sum(most.values()),
            "sources_so_far": len(sources),
            "first": sighting["id"] == leak["id"],
            "this": False,
        })
    return points
