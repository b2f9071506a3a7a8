"""What the monitor knows of one match, gathered once for every response document: the
notification draft, the STIX bundle, the TheHive alert and the time-to-warning view.

Only what pages and alerts already show: institution, dataset, counts and range, kinds of
fields, where and when the leak was seen and reposted, the analyst's decision, the alert
deliveries. Never a value from a dump, and never which records were found (those positions
go to the institution alone).
"""

from dataclasses import dataclass, field

from leakwatch.review import spread_timeline

from .timing import warning_times


@dataclass
class MatchFacts:
    match: dict
    sighting: dict
    first: dict
    points: list                       # the leak's spread, oldest first (review/spread.py)
    deliveries: list = field(default_factory=list)
    times: dict = field(default_factory=dict)

    @property
    def sources(self) -> list:
        return sorted({p["source"] for p in self.points} or {self.match.get("source") or "scan"})

    @property
    def urls(self) -> list:
        seen = []
        for point in self.points:
            where = point.get("where") or ""
            if where.startswith(("http://", "https://")) and where not in seen:
                seen.append(where)
        return seen


def match_facts(sightings, match: dict, sender=None) -> MatchFacts:
    """The facts of `match` from the sighting store; `sender` (the AlertSender), if any, for its deliveries."""
    sighting = sightings.get(match["sighting"], with_matches=False) or {}
    points = spread_timeline(sightings, match) if sighting else []
    first_id = points[0]["sighting"] if points else match["sighting"]
    first = sighting if first_id == match["sighting"] else (sightings.get(first_id, with_matches=False) or {})
    deliveries = sender.deliveries(match["id"]) if sender is not None else []
    return MatchFacts(match, sighting, first, points, deliveries, warning_times(match, sighting, first, deliveries))
