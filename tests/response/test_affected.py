"""Who was affected, at the institution: the API gives its own token the positions of a
confirmed match, and `leakwatch affected` turns them into the institution's rows, locally."""

import csv
import logging
import stat

import httpx
import pytest
from typer.testing import CliRunner

from leakwatch.cli import app


def _get(server, path, token):
    return httpx.get(server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_the_api_gives_a_confirmed_match_its_positions(confirmed, app_server, token):
    answer = _get(app_server, f"/api/v1/matches/{confirmed.matches['leak']}/affected", token)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["confirmed"] == confirmed.leaked
    assert body["canaries"] == [0] and body["table_rows"] == 120
    assert body["skipped_confirmed"] == body["skipped_weak"] == 0


def test_positions_wait_for_an_analysts_confirmation(lab, app_server, token):
    answer = _get(app_server, f"/api/v1/matches/{lab.matches['leak']}/affected", token)
    assert answer.status_code == 409


def test_another_institutions_token_gets_the_answer_of_an_unknown_match(confirmed, app_server):
    other = confirmed.runtime.tokens.issue("labo-99", "tests")["token"]
    theirs = _get(app_server, f"/api/v1/matches/{confirmed.matches['leak']}/affected", other)
    unknown = _get(app_server, "/api/v1/matches/s999-labo-07-patients/affected", other)
    assert theirs.status_code == unknown.status_code == 404 and theirs.json() == unknown.json()


def test_affected_writes_the_institutions_own_rows_locally(confirmed, app_server, token, tmp_path, caplog):
    out = tmp_path / "affected.csv"
    with caplog.at_level(logging.DEBUG):
        result = CliRunner().invoke(app, ["affected", confirmed.matches["leak"], "--table", str(confirmed.table),
                                          "--out", str(out), "--api", app_server.url, "--token", token])
    assert result.exit_code == 0, result.output
    assert "40 confirmed" in result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with open(out, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["leakwatch_record"]) for r in rows] == confirmed.leaked
    assert {r["nir"] for r in rows} == {confirmed.rows[i]["nir"] for i in confirmed.leaked}
    assert all(r["leakwatch_evidence"] == "confirmed" for r in rows)
    # The monitor's side logged the count, never which records (nor, of course, who).
    served = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("leakwatch"))
    assert "api/affected" in served and str(confirmed.leaked[:3])[1:-1] not in served
    assert not any(confirmed.rows[i]["nir"] in served for i in confirmed.leaked)


@pytest.mark.parametrize("lab_rows", [9000])
def test_affected_reads_a_big_table_row_by_row(confirmed, app_server, token, tmp_path):
    # Past its first 2,000 records a big CSV is read in blocks of lines (extract Table.parts),
    # each of them many rows: the positions still name the rows the fingerprint counted.
    from leakwatch.matchers.extract import Table

    assert any(not isinstance(part, list) for part in Table(confirmed.table).parts())
    assert max(confirmed.leaked) > 2000
    out = tmp_path / "affected.csv"
    result = CliRunner().invoke(app, ["affected", confirmed.matches["leak"], "--table", str(confirmed.table),
                                      "--out", str(out), "--api", app_server.url, "--token", token])
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["leakwatch_record"]) for r in rows] == confirmed.leaked
    assert [r["nir"] for r in rows] == [confirmed.rows[i]["nir"] for i in confirmed.leaked]


def test_affected_refuses_a_table_other_than_the_fingerprinted_one(confirmed, app_server, token, tmp_path):
    from .conftest import write_table

    shorter = write_table(tmp_path / "other.csv", confirmed.rows[:100])
    out = tmp_path / "affected.csv"
    result = CliRunner().invoke(app, ["affected", confirmed.matches["leak"], "--table", str(shorter),
                                      "--out", str(out), "--api", app_server.url, "--token", token])
    assert result.exit_code == 2
    assert "the table has 100 rows but the fingerprint file of this match was made from 120" in result.output
    assert not out.exists()


def test_affected_says_when_the_monitor_refuses_the_token(confirmed, app_server, tmp_path):
    result = CliRunner().invoke(app, ["affected", confirmed.matches["leak"], "--table", str(confirmed.table),
                                      "--out", str(tmp_path / "a.csv"), "--api", app_server.url, "--token", "lwt_x"])
    assert result.exit_code == 2 and "answered 401" in result.output


def test_affected_refuses_a_fingerprint_other_than_the_one_matched(confirmed, app_server, token, tmp_path):
    import json
    import zipfile

    import numpy as np

    # The same table fingerprinted again later: another file, whose record numbers need not be the same rows.
    again = tmp_path / "again.lwfp"
    with zipfile.ZipFile(confirmed.home / "patients.lwfp") as source, zipfile.ZipFile(again, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "header.npy":
                import io

                header = json.loads(np.load(io.BytesIO(data)).tobytes())
                header["created_at"] = "2030-01-01T00:00:00+00:00"
                buf = io.BytesIO()
                np.save(buf, np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))
                data = buf.getvalue()
            out.writestr(info, data)
    base = ["affected", confirmed.matches["leak"], "--table", str(confirmed.table), "--out", str(tmp_path / "a.csv"),
            "--api", app_server.url, "--token", token]
    refused = CliRunner().invoke(app, base + ["--fingerprint", str(again)])
    assert refused.exit_code == 2 and "was made 2030-01-01" in refused.output
    assert not (tmp_path / "a.csv").exists()
    same = CliRunner().invoke(app, base + ["--fingerprint", str(confirmed.home / "patients.lwfp")])
    assert same.exit_code == 0, same.output
