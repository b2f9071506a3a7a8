"""A match as a MISP event, for sharing with a CERT or an ISAC that runs MISP.

Built with pymisp's MISPEvent, so the output is what MISP imports (`{"Event": {...}}`).
It names where the dump was seen (every URL of the leak's spread timeline), the dump's
SHA-256 and, in one text attribute, the institution, dataset, records range and kinds of
data: never a value from the dump. Distribution "your organisation only" and TLP:AMBER:
the sharer widens it on purpose, not by default.
"""

import json
from datetime import UTC, datetime


TAG = "leakwatch:data-leak"
TLP = "tlp:amber"
# MISP enumerations (see MISP's describeTypes): distribution 0 = your organisation only;
# threat level 1 high, 2 medium, 3 low; analysis 0 initial, 1 ongoing, 2 completed.
DISTRIBUTION_ORG_ONLY = 0
HIGH, MEDIUM, LOW = 1, 2, 3
ANALYSIS = {"new": 0, "confirmed": 2, "false_positive": 2, "duplicate": 2}
# Records at stake from which a leak is a high threat even without a canary.
HIGH_RECORDS = 1000
_URL_SCHEMES = ("http://", "https://")


def threat_level(match: dict) -> int:
    """High for a canary hit or a large leak, medium for a real but small one, low otherwise."""
    records = int(match.get("records_high") or match.get("records") or 0)
    if match.get("canaries") or records >= HIGH_RECORDS:
        return HIGH
    return MEDIUM if records else LOW


def misp_event(match: dict, sighting: dict | None, timeline: list) -> dict:
    """The MISP event of a match, as a JSON-able dict: `MISPEvent().from_dict(**result)` loads it."""
    sighting = sighting or {}
    from pymisp import MISPEvent  # here: pymisp takes a quarter second to import

    event = MISPEvent()
    event.info = (f"leakwatch: data of {match['institution']}/{match['dataset']} seen in a dump "
                  f"({match.get('records_low', 0)}-{match.get('records_high', 0)} records"
                  f"{', canary hit' if match.get('canaries') else ''})")
    event.distribution = DISTRIBUTION_ORG_ONLY
    event.threat_level_id = threat_level(match)
    event.analysis = ANALYSIS.get(match.get("state") or "new", 1)
    first = timeline[0]["seen_at"] if timeline else sighting.get("seen_at") or match.get("created_at")
    if first is not None:
        event.set_date(datetime.fromtimestamp(float(first), UTC).date())  # UTC, not the host's zone
    event.add_tag(TLP)
    event.add_tag(TAG)
    event.add_tag("leakwatch:canary-hit" if match.get("canaries") else "leakwatch:match")

    urls = []
    for point in timeline:
        where = point.get("where") or ""
        if where.startswith(_URL_SCHEMES) and where not in urls:
            urls.append(where)
            event.add_attribute("url", where, category="External analysis", to_ids=False,
                                comment=f"seen {point.get('when', '')} on {point.get('source') or 'scan'}")
    own_url = sighting.get("url") or ""
    if own_url.startswith(_URL_SCHEMES) and own_url not in urls:
        event.add_attribute("url", own_url, category="External analysis", to_ids=False)
    if sighting.get("sha256"):
        event.add_attribute("sha256", sighting["sha256"], category="External analysis", to_ids=False,
                            comment="SHA-256 of the dump as found")
    fields = ", ".join(sorted(match.get("fields") or [])) or "-"
    summary = (f"Institution: {match['institution']}; dataset: {match['dataset']}; "
               f"records: {match.get('records', 0)} (range {match.get('records_low', 0)}-{match.get('records_high', 0)}); "
               f"canary records: {match.get('canaries', 0)}; kinds of data: {fields}; "
               f"sightings: {len(timeline) or 1}")
    event.add_attribute("text", summary, category="External analysis", to_ids=False,
                        comment="leakwatch match " + match["id"])
    return {"Event": json.loads(event.to_json())}
