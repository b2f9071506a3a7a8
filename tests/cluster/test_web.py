"""The web app on a runtime whose store is the cluster: the queue page, a match's page, a
decision through the form, and the institutions' API."""

import re

import pytest

from .conftest import leak_of, register_labs

PASSWORD = "correct horse battery"


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)


@pytest.fixture
def web(cluster_runtime, labs, tmp_path):
    from fastapi.testclient import TestClient

    from leakwatch.web import create_app

    runtime = cluster_runtime
    register_labs(runtime, labs)
    reports = [runtime.dump_scanner.scan_path(leak_of(tmp_path, lab, n), source="paste").as_dict()
               for lab, n in zip(labs, (30, 20, 10))]
    runtime.analysts.add("alice", PASSWORD)
    with TestClient(create_app(runtime, run_alerts=False), base_url="http://127.0.0.1") as client:
        yield runtime, client, reports


def test_queue_page_and_a_decision_work_on_the_cluster(web, labs):
    runtime, client, reports = web
    login = client.get("/login")
    signed_in = client.post("/login", data={"name": "alice", "password": PASSWORD, "csrf": form_token(login.text)},
                            follow_redirects=False)
    assert signed_in.status_code == 303, signed_in.text[:500]

    queue = client.get("/matches")
    assert queue.status_code == 200
    ids = [f"{r['sighting']}-{lab.name}-patients" for r, lab in zip(reports, labs)]
    assert all(i in queue.text for i in ids)
    # Most urgent first: the biggest leak of the same kinds of fields.
    assert queue.text.index(ids[0]) < queue.text.index(ids[1]) < queue.text.index(ids[2])

    page = client.get(f"/matches/{ids[0]}")
    assert page.status_code == 200
    decided = client.post(f"/matches/{ids[0]}/decide", data={"state": "confirmed", "note": "on the cluster",
                                                               "csrf": form_token(page.text)}, follow_redirects=False)
    assert decided.status_code == 303, decided.text[:500]
    assert runtime.queue.get(ids[0])["state"] == "confirmed"
    assert [e["action"] for e in runtime.audit.for_match(ids[0])] == ["state:confirmed"]
    assert ids[0] not in client.get("/matches").text  # no longer new


def test_leak_queue_and_a_whole_leak_decision_work_on_the_cluster(web, labs):
    runtime, client, reports = web
    login = client.get("/login")
    client.post("/login", data={"name": "alice", "password": PASSWORD, "csrf": form_token(login.text)})
    leaks = client.get("/")
    assert leaks.status_code == 200
    assert re.findall(r'data-leak="([^"]+)"', leaks.text) == [r["sighting"] for r in reports]
    page = client.get(f"/leaks/{reports[1]['sighting']}")
    decided = client.post(f"/leaks/{reports[1]['sighting']}/decide", data={"decision": "confirm",
                          "csrf": form_token(page.text)}, follow_redirects=False)
    assert decided.status_code == 303, decided.text[:500]
    assert runtime.queue.get(f"{reports[1]['sighting']}-{labs[1].name}-patients")["state"] == "confirmed"
    assert runtime.leaks.get(reports[1]["sighting"])["state"] == "confirmed"


def test_institution_api_on_the_cluster_sees_its_own_matches(web, labs):
    runtime, client, reports = web
    token = runtime.tokens.issue(labs[1].name)["token"]
    answer = client.get("/api/v1/matches", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text[:500]
    body = answer.json()
    assert [m["id"] for m in body["matches"]] == [f"{reports[1]['sighting']}-{labs[1].name}-patients"]
    assert body["matches"][0]["records"] == 20
    datasets = client.get("/api/v1/datasets", headers={"Authorization": f"Bearer {token}"}).json()
    assert [d["dataset"] for d in datasets] == ["patients"]
