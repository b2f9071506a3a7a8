"""The institutions' API over real HTTP: a token sees its own institution only, and
fingerprint files made on an institution's premises are registered through it."""

import httpx
import pytest
from typer.testing import CliRunner

from leakwatch.cli import app as cli
from leakwatch.matchers.fingerprint import DeploymentKey

from .conftest import UPLOAD_LIMIT
from .test_browser import bearer

ROUTES = [("GET", "/api/v1/datasets"), ("GET", "/api/v1/datasets/patients"), ("PUT", "/api/v1/datasets/patients"), ("DELETE", "/api/v1/datasets/patients"),
          ("GET", "/api/v1/matches"), ("GET", "/api/v1/matches/s1-labo-01-patients"), ("GET", "/api/v1/alert-channels"),
          ("PUT", "/api/v1/alert-channels"), ("GET", "/api/v1/leaks"), ("GET", "/api/v1/leaks/s1"),
          ("GET", "/api/v1/matches/s1-labo-01-patients/affected"),
          ("GET", "/api/v1/matches/s1-labo-01-patients/times"), ("GET", "/api/v1/matches/s1-labo-01-patients/notification"),
          ("GET", "/api/v1/matches/s1-labo-01-patients/stix"), ("GET", "/api/v1/matches/s1-labo-01-patients/thehive"),
          ("GET", "/api/v1/soc-channels"), ("PUT", "/api/v1/soc-channels")]


@pytest.fixture
def api(base_url):
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


def fingerprint_file(tmp_path, data, key_path, name="patients-2026"):
    """A .lwfp made by `leakwatch fingerprint`, as an institution makes it on its own machine."""
    table = tmp_path / f"{name}.csv"
    lab = data.institutions["labo-01"]
    with open(table, "w", encoding="utf-8") as f:
        f.write(",".join(lab.rows[0]) + "\n")
        for row in lab.rows[:80]:
            f.write(",".join(v.replace(",", " ") for v in row.values()) + "\n")
    out = tmp_path / f"{name}.lwfp"
    result = CliRunner().invoke(cli, ["fingerprint", str(table), "-o", str(out), "--key", str(key_path)])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


@pytest.mark.parametrize("method,path", ROUTES)
def test_every_route_needs_a_valid_token(api, method, path, tokens):
    for headers in ({}, bearer("lwt_0000_not-a-token"), {"Authorization": "Bearer"}, {"Authorization": f"Basic {tokens['labo-01']}"}):
        response = api.request(method, path, headers=headers, json={} if path.endswith("channels") else None)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_token_sees_its_own_matches_only(api, tokens, data, runtime):
    own = api.get("/api/v1/matches", headers=bearer(tokens["labo-01"]))
    assert own.status_code == 200
    body = own.json()
    expected = {m["id"] for m in runtime.queue.for_institution("labo-01")}
    assert {m["id"] for m in body["matches"]} == expected and body["total"] == len(expected) == 3
    assert all(m["id"].split("-", 1)[1].startswith("labo-01-") for m in body["matches"])
    one = api.get(f"/api/v1/matches/{data.matches['a']}", headers=bearer(tokens["labo-01"]))
    assert one.status_code == 200 and one.json()["records"] == 150

    # labo-02's match, and a match id that does not exist: the very same answer.
    theirs = api.get(f"/api/v1/matches/{data.matches['b']}", headers=bearer(tokens["labo-01"]))
    missing = api.get("/api/v1/matches/s999-labo-02-patients", headers=bearer(tokens["labo-01"]))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() == {"detail": "No such match."}
    assert api.get(f"/api/v1/matches/{data.matches['a']}", headers=bearer(tokens["labo-02"])).status_code == 404
    for other in (data.matches["b"], data.matches["canary"]):
        assert other not in own.text


def test_paging_and_state_filter_of_matches(api, tokens):
    first = api.get("/api/v1/matches", params={"limit": 2}, headers=bearer(tokens["labo-01"])).json()
    rest = api.get("/api/v1/matches", params={"limit": 2, "offset": 2}, headers=bearer(tokens["labo-01"])).json()
    assert len(first["matches"]) == 2 and len(rest["matches"]) == 1 and first["total"] == rest["total"] == 3
    assert not {m["id"] for m in first["matches"]} & {m["id"] for m in rest["matches"]}
    new = api.get("/api/v1/matches", params={"state": "new"}, headers=bearer(tokens["labo-01"])).json()
    assert all(m["state"] == "new" for m in new["matches"])
    assert api.get("/api/v1/matches", params={"state": "nonsense"}, headers=bearer(tokens["labo-01"])).status_code == 422


def test_one_dataset_reads_as_the_list_shows_it_and_anothers_is_not_found(api, tokens):
    listed = {d["dataset"]: d for d in api.get("/api/v1/datasets", headers=bearer(tokens["labo-02"])).json()}
    one = api.get("/api/v1/datasets/dossiers", headers=bearer(tokens["labo-02"]))
    assert one.status_code == 200 and one.json() == listed["dossiers"]
    assert one.json()["id"] == "labo-02/dossiers" and one.json()["records"] > 0
    # labo-02's dataset, and one that exists nowhere: the very same answer.
    theirs = api.get("/api/v1/datasets/dossiers", headers=bearer(tokens["labo-01"]))
    missing = api.get("/api/v1/datasets/no-such-dataset", headers=bearer(tokens["labo-01"]))
    odd = api.get("/api/v1/datasets/..%2Fetc", headers=bearer(tokens["labo-01"]))
    assert theirs.status_code == missing.status_code == odd.status_code == 404
    assert theirs.json() == missing.json() == {"detail": "No such dataset."}


def test_a_token_cannot_see_or_remove_another_institutions_datasets(api, tokens, runtime):
    own = api.get("/api/v1/datasets", headers=bearer(tokens["labo-01"]))
    assert own.status_code == 200
    assert {d["id"] for d in own.json()} >= {"labo-01/patients"}
    assert all(d["id"].startswith("labo-01/") for d in own.json())
    # "dossiers" is labo-02's only: for labo-01 it does not exist.
    gone = api.delete("/api/v1/datasets/dossiers", headers=bearer(tokens["labo-01"]))
    assert gone.status_code == 404 and gone.json() == {"detail": "No such dataset."}
    assert "labo-02/dossiers" in {d["id"] for d in runtime.registry.datasets()}
    theirs = api.get("/api/v1/datasets", headers=bearer(tokens["labo-02"])).json()
    assert {d["id"] for d in theirs} == {"labo-02/dossiers", "labo-02/patients"}


def test_alert_channels_are_per_institution(api, tokens):
    put = api.put("/api/v1/alert-channels", headers=bearer(tokens["labo-02"]),
                  json={"webhook_url": "https://soc.labo-02.test/hook", "emails": ["soc@labo-02.test"]})
    assert put.status_code == 200 and put.json()["webhook_secret"].startswith("whsec_")
    mine = api.get("/api/v1/alert-channels", headers=bearer(tokens["labo-02"])).json()
    assert mine == {"institution": "labo-02", "webhook_url": "https://soc.labo-02.test/hook",
                    "webhook_secret_set": True, "emails": ["soc@labo-02.test"]}
    other = api.get("/api/v1/alert-channels", headers=bearer(tokens["labo-01"])).json()
    assert other["institution"] == "labo-01" and "labo-02" not in str(other)
    bad = api.put("/api/v1/alert-channels", headers=bearer(tokens["labo-02"]), json={"webhook_url": "ftp://x", "emails": []})
    assert bad.status_code == 422 and "http" in bad.json()["detail"][0]["msg"]


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[::1]:6379/", "http://0x7f000001/",
                                 "http://10.0.0.5/hook", "http://100.64.0.1/hook"])
def test_a_webhook_into_the_monitors_own_network_is_refused_with_422(api, tokens, url):
    # (This deployment allows 127.0.0.0/8 for its test receivers; every other internal range stays refused.)
    bad = api.put("/api/v1/alert-channels", headers=bearer(tokens["labo-02"]), json={"webhook_url": url, "emails": []})
    assert bad.status_code == 422 and "webhook host is" in bad.json()["detail"][0]["msg"]
    assert api.get("/api/v1/alert-channels", headers=bearer(tokens["labo-02"])).json()["webhook_url"] != url


def test_uploaded_fingerprint_is_registered_and_replaced(api, tokens, data, runtime, tmp_path):
    body = fingerprint_file(tmp_path, data, runtime.settings.key_path)
    headers = {**bearer(tokens["labo-01"]), "Content-Type": "application/octet-stream"}
    put = api.put("/api/v1/datasets/patients-2026", content=body, headers=headers)
    assert put.status_code == 200, put.text
    assert put.json()["id"] == "labo-01/patients-2026" and put.json()["records"] == 80
    listed = {d["id"]: d for d in api.get("/api/v1/datasets", headers=bearer(tokens["labo-01"])).json()}
    assert listed["labo-01/patients-2026"]["key_id"] == runtime.key.key_id
    again = api.put("/api/v1/datasets/patients-2026", content=body, headers=headers)
    assert again.status_code == 200
    generation = {d["id"]: d for d in runtime.registry.datasets()}["labo-01/patients-2026"]["generation"]
    assert generation == 2                                         # replaced, not added twice
    assert api.delete("/api/v1/datasets/patients-2026", headers=bearer(tokens["labo-01"])).status_code == 204
    assert "labo-01/patients-2026" not in {d["id"] for d in runtime.registry.datasets()}


def test_fingerprint_made_with_another_key_is_refused(api, tokens, data, runtime, tmp_path):
    other = tmp_path / "other.key"
    DeploymentKey.generate().save(other)
    body = fingerprint_file(tmp_path, data, other, name="wrong-key")
    put = api.put("/api/v1/datasets/wrong-key", content=body,
                  headers={**bearer(tokens["labo-01"]), "Content-Type": "application/octet-stream"})
    assert put.status_code == 422
    assert "key" in put.json()["detail"][0]["msg"] and runtime.key.key_id in put.json()["detail"][0]["msg"]
    assert "labo-01/wrong-key" not in {d["id"] for d in runtime.registry.datasets()}


@pytest.mark.parametrize("body,says", [
    (b"", "empty"), (b"name,nir\nJean,1234\n", "not a leakwatch fingerprint"),
    (b"PK\x03\x04" + b"\0" * 100, "not a leakwatch fingerprint")])
def test_a_file_that_is_not_a_fingerprint_is_refused_with_a_reason(api, tokens, body, says, server):
    put = api.put("/api/v1/datasets/broken", content=body,
                  headers={**bearer(tokens["labo-01"]), "Content-Type": "application/octet-stream"})
    assert put.status_code == 422
    message = put.json()["detail"][0]["msg"]
    assert says in message and "/tmp" not in message


def test_upload_beyond_the_limit_is_refused_with_413(api, tokens):
    big = b"\0" * (UPLOAD_LIMIT + 1)
    declared = api.put("/api/v1/datasets/big", content=big, headers=bearer(tokens["labo-01"]))
    assert declared.status_code == 413

    def chunks():                                                    # no Content-Length: counted as it streams
        for _ in range(UPLOAD_LIMIT // (1 << 20) + 1):
            yield b"\0" * (1 << 20)
    streamed = api.put("/api/v1/datasets/big", content=chunks(), headers=bearer(tokens["labo-01"]))
    assert streamed.status_code == 413
    assert api.get("/api/v1/datasets", headers=bearer(tokens["labo-01"])).status_code == 200


def test_openapi_describes_the_api_and_nothing_loads_from_a_cdn(api):
    schema = api.get("/api/openapi.json").json()
    assert set(schema["paths"]) == {"/api/v1/datasets", "/api/v1/datasets/{dataset}", "/api/v1/matches",
                                    "/api/v1/matches/{match_id}", "/api/v1/alert-channels", "/api/v1/leaks",
                                    "/api/v1/leaks/{leak_id}",
                                    "/api/v1/matches/{match_id}/affected", "/api/v1/matches/{match_id}/times",
                                    "/api/v1/matches/{match_id}/notification", "/api/v1/matches/{match_id}/stix",
                                    "/api/v1/matches/{match_id}/thehive", "/api/v1/soc-channels"}
    upload = schema["paths"]["/api/v1/datasets/{dataset}"]["put"]["requestBody"]["content"]
    assert list(upload) == ["application/octet-stream"]
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    docs = api.get("/api/docs")                                 # a page of our own, not Swagger UI from a CDN
    assert docs.status_code == 200 and "<script" not in docs.text and "cdn" not in docs.text.lower()
    assert all(f"<code>PUT {path}</code>" in docs.text for path in ("/api/v1/datasets/{dataset}", "/api/v1/alert-channels"))
    assert api.get("/docs").status_code == 404 and api.get("/redoc").status_code == 404


def crafted(runtime, **changes):
    """A .lwfp written by hand, as an attacker could: the right format name, a header of the wrong shape."""
    import numpy as np

    from leakwatch.matchers.fingerprint import TOKEN_DTYPE, Fingerprint

    values = dict(key_id=runtime.key.key_id, dataset="x", rows=1, canaries=0, fields=["nir"],
                  tokens=np.zeros(1, TOKEN_DTYPE), flags=np.zeros(1, np.uint8), minhash=np.zeros(128, "<u8"),
                  cardinality=1.0, created_at="2026-01-01T00:00:00Z")
    values.update(changes)
    return Fingerprint(**values).to_bytes()


@pytest.mark.parametrize("changes", [{"rows": "many"}, {"minhash": [1, 2, 3]}, {"fields": [{"a": 1}]},
                                     {"cardinality": "big"}, {"created_at": 5}])
def test_a_fingerprint_with_a_header_of_the_wrong_shape_is_refused(api, tokens, runtime, changes):
    import numpy as np

    if "minhash" in changes:
        changes["minhash"] = np.asarray(changes["minhash"], "<u8")
    put = api.put("/api/v1/datasets/crafted", content=crafted(runtime, **changes),
                  headers={**bearer(tokens["labo-01"]), "Content-Type": "application/octet-stream"})
    assert put.status_code == 422 and "damaged" in put.json()["detail"][0]["msg"]
    assert "labo-01/crafted" not in {d["id"] for d in runtime.registry.datasets()}   # and the registry reads fine
