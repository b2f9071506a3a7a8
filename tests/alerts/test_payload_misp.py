"""The alert payload and the MISP event of a real match (registered, scanned, reposted)."""

import json

from pymisp import MISPEvent

from leakwatch.alerts import alert_payload, misp_event
from leakwatch.review import spread_timeline

from .lab import CANARY, DATASET, INSTITUTION, PEOPLE, RAW_VALUES, register, scan_leak


def test_payload_has_counts_kinds_where_when_and_link_but_no_excerpt(runtime, tmp_path):
    register(runtime)
    match = scan_leak(runtime, tmp_path, PEOPLE + [CANARY], url="https://paste.example/raw/abc", source="paste")
    sighting = runtime.sightings.get(match["sighting"])
    payload = alert_payload("canary", match, sighting, "https://leakwatch.example/")

    assert set(payload) == {"event", "match", "institution", "dataset", "records", "records_low", "records_high",
                            "fields", "canaries", "state", "first_seen", "sha256", "link"}
    assert (payload["institution"], payload["dataset"], payload["records"], payload["canaries"]) == (INSTITUTION, DATASET, 4, 1)
    assert {"nir", "email", "phone"} <= set(payload["fields"])
    assert payload["first_seen"]["where"] == "https://paste.example/raw/abc" and payload["first_seen"]["source"] == "paste"
    assert payload["first_seen"]["at"].endswith("Z") and payload["sha256"] == sighting["sha256"]
    assert payload["link"] == f"https://leakwatch.example/matches/{match['id']}"
    text = json.dumps(payload).lower()
    assert sighting["excerpt"] and [v for v in RAW_VALUES if v.lower() in text] == []


def test_misp_event_of_a_reposted_leak_round_trips_through_pymisp(runtime, tmp_path):
    register(runtime)
    match = scan_leak(runtime, tmp_path, PEOPLE + [CANARY], url="https://paste.example/raw/abc", source="paste")
    scan_leak(runtime, tmp_path, PEOPLE + [CANARY], name="repost.csv", url="https://forum.example/t/9", source="forum")
    match = runtime.queue.get(match["id"])
    sighting = runtime.sightings.get(match["sighting"])
    timeline = spread_timeline(runtime.sightings, match)
    assert len(timeline) == 2

    exported = json.loads(json.dumps(misp_event(match, sighting, timeline)))  # JSON-able as is
    event = MISPEvent()
    event.from_dict(**exported)

    urls = sorted(a.value for a in event.attributes if a.type == "url")
    assert urls == ["https://forum.example/t/9", "https://paste.example/raw/abc"]
    assert {a.category for a in event.attributes if a.type == "url"} == {"External analysis"}
    assert [a.value for a in event.attributes if a.type == "sha256"] == [sighting["sha256"]]
    (text,) = [a.value for a in event.attributes if a.type == "text"]
    assert INSTITUTION in text and DATASET in text and "4-4" in text and "nir" in text
    assert {"tlp:amber", "leakwatch:data-leak", "leakwatch:canary-hit"} <= {t.name for t in event.tags}
    assert int(event.threat_level_id) == 1 and int(event.distribution) == 0
    assert [v for v in RAW_VALUES if v.lower() in json.dumps(exported).lower()] == []
