"""The institutions' API for leaks over real HTTP: a token sees the leaks holding its records,
and of a leak shared with other institutions, its own part only."""

import httpx
import pytest

from .test_browser import bearer


@pytest.fixture
def api(base_url):
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture
def labo03(runtime, data):
    return runtime.tokens.issue("labo-03", "leak tests")["token"]


def test_a_leak_shared_with_another_lab_shows_only_the_callers_part(api, labo03, merged_leak):
    merged, _, _ = merged_leak
    got = api.get(f"/api/v1/leaks/{merged}", headers=bearer(labo03))
    assert got.status_code == 200, got.text
    leak = got.json()
    assert [p["dataset"] for p in leak["parts"]] == ["patients"]
    assert leak["parts"][0]["records"] == 40                       # labo-03's 40 patients, not the file's 100
    assert len(leak["sightings"]) >= 2 and leak["sightings"][0]["id"] == merged
    assert "labo-04" not in got.text                               # the other lab is never named
    assert all(m.split("-", 1)[1].startswith("labo-03-") for m in leak["parts"][0]["matches"])


def test_a_leak_without_the_callers_records_is_not_found(api, tokens, labo03, merged_leak):
    merged, lone, _ = merged_leak
    for leak_id in (merged, lone, "s999999", "x" * 100):
        assert api.get(f"/api/v1/leaks/{leak_id}", headers=bearer(tokens["labo-02"])).status_code == 404
    assert api.get(f"/api/v1/leaks/{lone}", headers=bearer(labo03)).status_code == 404
    assert api.get(f"/api/v1/leaks/{merged}").status_code == 401


def test_the_list_holds_the_callers_leaks_only(api, labo03, merged_leak, runtime):
    merged, lone, _ = merged_leak
    listed = api.get("/api/v1/leaks", headers=bearer(labo03), params={"limit": 500}).json()
    ids = [leak["id"] for leak in listed["leaks"]]
    assert merged in ids and lone not in ids
    assert listed["total"] == len(ids) == len(runtime.leaks.for_institution("labo-03"))
    assert all(p["dataset"] for leak in listed["leaks"] for p in leak["parts"])
    new = api.get("/api/v1/leaks", headers=bearer(labo03), params={"state": "new"}).json()
    assert all(leak["state"] == "new" for leak in new["leaks"])
