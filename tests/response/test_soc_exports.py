"""A confirmed match for the SOC's tools: a STIX 2.1 bundle the stix2 library parses back, and a
TheHive 5 alert sent with thehive4py to a TheHive-compatible receiver (a repeat updates it)."""

import json

import pytest
import stix2
from typer.testing import CliRunner

from leakwatch.alerts.stix import stix_bundle
from leakwatch.alerts.thehive import publish_thehive, thehive_alert
from leakwatch.alerts import DeliveryError
from leakwatch.cli import app
from leakwatch.response import match_facts

from .thehive_receiver import TheHiveReceiver


@pytest.fixture
def thehive():
    receiver = TheHiveReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def reposted(confirmed):
    """The leak reposted on a forum: a second point of its spread."""
    rows = [confirmed.rows[i] for i in confirmed.leaked[:30]] + confirmed.strangers[2:12]
    confirmed.scan("labs-2021.csv", rows, source="forum", url="http://forum.test/t/4411")
    return confirmed


def _facts(lab):
    return match_facts(lab.runtime.sightings, lab.runtime.queue.get(lab.matches["leak"]), lab.runtime.alert_sender)


def _cli(lab, *args):
    s = lab.settings
    return CliRunner().invoke(app, ["--redis-url", s.redis_url, "--namespace", s.namespace, "--home", str(s.home),
                                    "--config", str(lab.home / "none.yaml"), *args])


def test_the_stix_bundle_parses_with_a_sighting_per_repost(reposted):
    facts = _facts(reposted)
    assert len(facts.points) >= 2
    bundle = stix2.parse(json.dumps(stix_bundle(facts)), allow_custom=False)
    by_type = {}
    for obj in bundle.objects:
        by_type.setdefault(obj.type, []).append(obj)
    (incident,) = by_type["incident"]
    assert reposted.matches["leak"] in incident.external_references[0].external_id
    assert len(by_type["sighting"]) == len(facts.points)
    assert all(s.sighting_of_ref == incident.id for s in by_type["sighting"])
    assert {u.value for u in by_type["url"]} == {"http://paste.test/raw/8f3kq2", "http://forum.test/t/4411"}
    assert by_type["file"][0].hashes["SHA-256"] == facts.sighting["sha256"]


def test_exporting_again_gives_the_same_stix_ids(reposted):
    ids = [sorted(o["id"] for o in stix_bundle(_facts(reposted))["objects"]) for _ in range(2)]
    assert ids[0] == ids[1]


def test_no_personal_value_is_in_the_soc_exports(reposted):
    facts = _facts(reposted)
    text = json.dumps(stix_bundle(facts)) + json.dumps(thehive_alert(facts))
    for i in reposted.leaked:
        row = reposted.rows[i]
        assert row["nir"] not in text and row["telephone"] not in text
        assert f"{row['prenom']} {row['nom']}" not in text and (not row["email"] or row["email"] not in text)


def test_a_repeat_updates_the_thehive_alert_instead_of_duplicating_it(reposted, thehive):
    facts = _facts(reposted)
    first = publish_thehive(thehive_alert(facts), thehive.url, thehive.api_key)
    assert first["action"] == "created"
    (alert,) = thehive.alerts.values()
    assert alert["sourceRef"] == reposted.matches["leak"] and alert["source"] == "leakwatch"
    assert {o["data"] for o in alert["observables"] if o["dataType"] == "url"} == set(facts.urls)
    again = thehive_alert(facts)
    again["title"] += " (updated)"
    second = publish_thehive(again, thehive.url, thehive.api_key)
    assert second == {"id": first["id"], "action": "updated"}
    assert len(thehive.alerts) == 1 and thehive.alerts[first["id"]]["title"].endswith("(updated)")


def test_a_refused_api_key_is_a_delivery_error(confirmed, thehive):
    with pytest.raises(DeliveryError, match="TheHive refused"):
        publish_thehive(thehive_alert(_facts(confirmed)), thehive.url, "wrong-key")
    assert not thehive.alerts


def test_the_cli_sends_to_thehive_and_prints_stix(confirmed, thehive, tmp_path):
    key = tmp_path / "hive.key"
    key.write_text(thehive.api_key + "\n")
    sent = _cli(confirmed, "thehive", confirmed.matches["leak"], "--url", thehive.url, "--api-key-file", str(key))
    assert sent.exit_code == 0, sent.output
    assert "created" in sent.output and len(thehive.alerts) == 1
    printed = _cli(confirmed, "stix", confirmed.matches["leak"])
    assert printed.exit_code == 0, printed.output
    assert stix2.parse(printed.output).type == "bundle"


def test_exports_wait_for_an_analysts_confirmation(lab):
    result = _cli(lab, "stix", lab.matches["leak"])
    assert result.exit_code == 2 and "only a confirmed match" in result.output
