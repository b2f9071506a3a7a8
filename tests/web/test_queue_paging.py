"""The match queue page (/matches) with thousands of matches: paging, counts, filters kept across pages.
An app of its own (uvicorn in a thread) on a namespace of its own, so the shared app's queue stays small."""

import re
import uuid

import pytest

from leakwatch.runtime import Runtime
from leakwatch.settings import Settings
from leakwatch.web import create_app

from .helpers import Analyst, serving

TOTAL = 1234


@pytest.fixture(scope="module")
def client(redis_server, tmp_path_factory):
    runtime = Runtime(Settings.load(environ={"LEAKWATCH_REDIS_URL": redis_server[1],
                                             "LEAKWATCH_NAMESPACE": f"q{uuid.uuid4().hex[:10]}",
                                             "LEAKWATCH_HOME": str(tmp_path_factory.mktemp("paging"))}))
    with runtime.redis.pipeline(transaction=False) as pipe:
        for i in range(TOTAL):
            runtime.queue.add({"id": f"s{i}", "name": f"dump{i}.csv", "source": ("paste-site", "forum")[i % 2]}, {
                "institution": f"labo-{i % 3:02d}", "dataset": "patients", "records": i, "records_low": i,
                "records_high": i + i % 5, "canaries": 1 if i == 7 else 0, "fields": ["email", "name"]}, pipe=pipe)
        pipe.execute()
    runtime.analysts.add("dana", "a long enough password")
    with serving(create_app(runtime, run_alerts=False)) as url:
        dana = Analyst(url, "dana", "a long enough password")
        assert dana.response.status_code == 303
        dana.client.runtime = runtime
        yield dana.client
        dana.client.close()


def rows(html):
    return re.findall(r'data-match="([^"]+)"', html)


def test_thousands_of_matches_are_paged_most_urgent_first(client):
    first = client.get("/matches", params={"state": "all"}).text
    assert f"{TOTAL} matches · page 1 of 25" in first
    ids = rows(first)
    assert len(ids) == 50 and ids[0] == "s7-labo-01-patients"        # the canary, then by records
    assert ids[1:4] == ["s1233-labo-00-patients", "s1232-labo-02-patients", "s1231-labo-01-patients"]
    last = client.get("/matches", params={"state": "all", "page": 25}).text
    assert len(rows(last)) == TOTAL - 24 * 50 and 'rel="next"' not in last
    assert "page 25 of 25" in last
    beyond = client.get("/matches", params={"state": "all", "page": 99}).text
    assert rows(beyond) == [] and "No match here" in beyond
    assert re.search(r"new\s*<span class=\"n\">1234</span>", first)


def test_filters_are_kept_across_pages(client):
    page = client.get("/matches", params={"institution": "labo-01", "source": "forum", "state": "new"}).text
    expected = sum(1 for i in range(TOTAL) if i % 3 == 1 and i % 2 == 1)
    assert f"{expected} matches · page 1 of {-(-expected // 50)}" in page
    assert all("-labo-01-" in i for i in rows(page))
    following = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert following == "/matches?institution=labo-01&source=forum&state=new&page=2"
    second = client.get(following).text
    assert rows(second) and not set(rows(second)) & set(rows(page))


def test_unknown_state_filter_is_a_bad_request(client):
    assert client.get("/matches", params={"state": "everything"}).status_code == 400


def test_decided_matches_leave_the_new_queue(client):
    runtime = client.runtime
    runtime.triage.decide("s1233-labo-00-patients", "false_positive", "dana")
    new = rows(client.get("/matches").text)
    assert "s1233-labo-00-patients" not in new
    assert "s1233-labo-00-patients" in rows(client.get("/matches", params={"state": "false_positive"}).text)
