"""A match as a STIX 2.1 bundle, built with the `stix2` library (OASIS's own), for SOCs
whose threat-intelligence platform reads STIX (OpenCTI, and most TIPs).

As OpenCTI's leak connectors model it: the leak is an Incident (institution, dataset,
counts, kinds of data in its description); every sighting of its spread (first posting,
reposts, near-duplicates) is a Sighting of that Incident, with the URL it was seen at and the
dump's SHA-256 as observables in an Observed Data, sighted where the source is (an Identity
per source). The monitor is the bundle's author; TLP:AMBER marks every object.

Ids are derived from the match id (UUIDv5), so exporting a match again gives the same
objects, which a platform merges instead of duplicating. Never a value from the dump.
"""

import json
import uuid
from datetime import datetime, timezone

# A namespace of leakwatch's own for the UUIDv5 of its objects (fixed: the ids must not
# change between releases, or a platform would hold every leak twice).
NAMESPACE = uuid.UUID("5b8f1f0e-4c5e-5f4e-9a51-6c65616b7761")
INCIDENT_TYPE = "data-leak"


def _id(kind: str, *parts) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '/'.join(map(str, parts)))}"


def _at(epoch) -> datetime:
    return datetime.fromtimestamp(float(epoch), timezone.utc)


def stix_bundle(facts) -> dict:
    """The STIX 2.1 bundle of a match's facts (response/facts.py), as a JSON-able dict."""
    import stix2

    match = facts.match
    marking = stix2.TLP_AMBER
    first_seen = _at(facts.points[0]["seen_at"] if facts.points else match["created_at"])
    author = stix2.Identity(id=_id("identity", "leakwatch"), name="leakwatch monitor", identity_class="system",
                            created=datetime(2026, 1, 1, tzinfo=timezone.utc),
                            modified=datetime(2026, 1, 1, tzinfo=timezone.utc))
    victim = stix2.Identity(id=_id("identity", "institution", match["institution"]), name=match["institution"],
                            identity_class="organization", created_by_ref=author.id, created=first_seen,
                            modified=first_seen, object_marking_refs=[marking])
    fields = ", ".join(match.get("fields") or []) or "-"
    incident = stix2.Incident(
        id=_id("incident", match["id"]), created_by_ref=author.id, created=first_seen, modified=first_seen,
        name=f"Data leak: {match['institution']}/{match['dataset']}",
        description=(f"Records of {match['institution']}'s dataset {match['dataset']} seen in a dump: "
                     f"{match['records']} records (range {match['records_low']}-{match['records_high']}), "
                     f"{match.get('canaries', 0)} canary record(s); kinds of data: {fields}; "
                     f"seen {max(len(facts.points), 1)} time(s) on {', '.join(facts.sources)}."),
        labels=[INCIDENT_TYPE, "canary-hit" if match.get("canaries") else "match"],
        external_references=[{"source_name": "leakwatch", "external_id": match["id"]}],
        object_marking_refs=[marking])
    targets = stix2.Relationship(id=_id("relationship", match["id"], "targets"), relationship_type="targets",
                                 source_ref=incident.id, target_ref=victim.id, created_by_ref=author.id,
                                 created=first_seen, modified=first_seen, object_marking_refs=[marking])
    objects = [author, victim, incident, targets]
    sha256 = (facts.sighting or {}).get("sha256")
    dump = stix2.File(name=_dump_name(facts), hashes={"SHA-256": sha256}) if sha256 else None
    if dump is not None:
        objects.append(dump)
    places = {}
    for point in facts.points:
        source = point["source"]
        if source not in places:
            places[source] = stix2.Identity(id=_id("identity", "source", source), name=f"source: {source}",
                                            identity_class="system", created_by_ref=author.id, created=first_seen,
                                            modified=first_seen, object_marking_refs=[marking])
            objects.append(places[source])
        when = _at(point["seen_at"])
        observed = []
        if point["where"].startswith(("http://", "https://")):
            url = stix2.URL(value=point["where"])
            objects.append(url)
            observed.append(url.id)
        if dump is not None and point["this"]:
            observed.append(dump.id)
        refs = []
        if observed:
            data = stix2.ObservedData(id=_id("observed-data", match["id"], point["sighting"]), created_by_ref=author.id,
                                      created=when, modified=when, first_observed=when, last_observed=when,
                                      number_observed=1, object_refs=observed, object_marking_refs=[marking])
            objects.append(data)
            refs = [data.id]
        objects.append(stix2.Sighting(
            id=_id("sighting", match["id"], point["sighting"]), created_by_ref=author.id, created=when, modified=when,
            sighting_of_ref=incident.id, first_seen=when, last_seen=when, count=1,
            where_sighted_refs=[places[source].id], observed_data_refs=refs or None,
            description=f"{'first posting' if point['first'] else 'repost or near-duplicate'} on {source}; "
                        f"{point['records']} of the dataset's records", object_marking_refs=[marking]))
    bundle = stix2.Bundle(objects=[marking, *objects], id=_id("bundle", match["id"], len(objects)))
    return json.loads(bundle.serialize())


def _dump_name(facts) -> str:
    name = (facts.sighting or {}).get("name") or "dump"
    return name.rsplit("/", 1)[-1][:200]
