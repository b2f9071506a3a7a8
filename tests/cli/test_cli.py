"""The `leakwatch` command, through typer's runner, against a real Redis."""

import gzip
import io
import json
import logging
import os
import zipfile

import pytest
from typer.testing import CliRunner

from leakwatch.cli import app
from small_table import LEAK, TABLE, nir

runner = CliRunner()


@pytest.fixture
def files(tmp_path):
    table = tmp_path / "patients.csv"
    table.write_text(TABLE, encoding="latin-1")
    leak = tmp_path / "leak.csv"
    leak.write_text(LEAK)
    return tmp_path, table, leak


def invoke(args, env):
    return runner.invoke(app, args, env=env, catch_exceptions=False)


def scan_json(result):
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_fingerprint_register_scan_round_trip(files, env):
    tmp, table, leak = files
    assert invoke(["key", "init"], env).exit_code == 0
    key = tmp / "home" / "deployment.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    result = invoke(["fingerprint", str(table), "-o", str(tmp / "p.lwfp"), "--key", str(key)], env)
    assert result.exit_code == 0, result.output
    result = invoke(["register", "labo-a", str(tmp / "p.lwfp"), "--dataset", "patients"], env)
    assert result.exit_code == 0, result.output
    result = invoke(["scan", str(leak), "--json"], env)
    assert result.exit_code == 1
    (report,) = scan_json(result)
    (match,) = report["matches"]
    assert (match["institution"], match["dataset"], match["records"]) == ("labo-a", "patients", 2)
    assert report["rows"] == 2 and report["format"] == "csv"


def test_registering_a_table_says_what_reading_it_skipped(files, env):
    tmp, _, leak = files
    table = tmp / "patients.jsonl"
    deep = "[" * 300 + "]" * 300  # deeper than max_depth_json (256)
    table.write_text(
        f'{{"nir": "{nir("1611275123456")}", "nom": "Dupont", "prenom": "Jean-Pierre", "ddn": "1961-12-05", "notes": {deep}}}\n'
        f'{{"nir": "{nir("2700569001002")}", "nom": "Martin", "prenom": "Hélène", "ddn": "1970-05-17"}}\n')
    said = f"{table}: 1 JSON values nested deeper than max_depth_json (256 levels) skipped"
    result = invoke(["register", "labo-a", str(table), "--json"], env)
    assert result.exit_code == 0, result.output  # registered all the same, with a warning
    assert json.loads(result.stdout)["skipped"] == [said]
    assert f"leakwatch: warning: {said} (not in the fingerprint)" in result.stderr.splitlines()
    key = tmp / "home" / "deployment.key"
    result = invoke(["fingerprint", str(table), "-o", str(tmp / "p.lwfp"), "--key", str(key)], env)
    assert result.exit_code == 0 and said in result.stderr
    # a table read whole says nothing
    clean = invoke(["register", "labo-b", str(files[1]), "--json"], env)
    assert json.loads(clean.stdout)["skipped"] == [] and "warning" not in clean.stderr


def test_a_leak_with_oracle_dates_is_matched_on_names_birth_date_and_postcode(files, env):
    # DD-MON-RR, as an Oracle-based hospital system exports its dates; no identifier in the leak.
    tmp, table, _ = files
    assert invoke(["register", "labo-a", str(table)], env).exit_code == 0
    leak = tmp / "spool.csv"
    leak.write_text("NOM;PRENOM;DATE_NAISS;CP\nDUPONT;JEAN-PIERRE;05-DEC-61;75012\nMARTIN;HELENE;17-MAY-70;69003\n")
    result = invoke(["scan", str(leak), "--json"], env)
    (report,) = scan_json(result)
    assert result.exit_code == 1 and [m["records"] for m in report["matches"]] == [2]
    undated = tmp / "undated.csv"
    undated.write_text("NOM;PRENOM;CP\nDUPONT;JEAN-PIERRE;75012\nMARTIN;HELENE;69003\n")
    assert invoke(["scan", str(undated), "--json"], env).exit_code == 0  # the dates are what matched


def test_a_leak_with_postcode_and_commune_in_one_cell_is_matched_on_the_postcode(files, env):
    tmp, table, _ = files
    assert invoke(["register", "labo-a", str(table)], env).exit_code == 0
    leak = tmp / "communes.csv"
    leak.write_text("NOM;PRENOM;DATE_NAISS;COMMUNE\nDUPONT;JEAN-PIERRE;05/12/1961;75012 PARIS\n"
                    "MARTIN;HELENE;17/05/1970;69003 LYON\n")
    result = invoke(["scan", str(leak), "--json"], env)
    (report,) = scan_json(result)
    assert result.exit_code == 1, report
    (match,) = report["matches"]
    assert match["records"] == 2 and "birth_date+postcode" in match["matched_on"]
    # names and birth dates alone do not confirm them against this registry: the postcode did
    alone = tmp / "no-commune.csv"
    alone.write_text("NOM;PRENOM;DATE_NAISS\nDUPONT;JEAN-PIERRE;05/12/1961\nMARTIN;HELENE;17/05/1970\n")
    assert invoke(["scan", str(alone), "--json"], env).exit_code == 0


def test_a_laboratorys_hl7_archive_is_matched_patient_by_patient(files, env):
    tmp, table, _ = files
    assert invoke(["register", "labo-a", str(table)], env).exit_code == 0
    archive = tmp / "oru.hl7"
    archive.write_bytes("\r".join([
        "MSH|^~\\&|LIS|LABO|HIS|HOP|20210312101500||ORU^R01|M1|P|2.5",
        "PID|1||000123^^^LABO^PI||DUPONT^JEAN-PIERRE^^^M.^^L||19611205|M|||12 RUE DE LA PAIX^^PARIS^^75012",
        "OBX|1|ST|VIH^Serologie VIH||Positif, patient sous traitement||||||F",
        "MSH|^~\\&|LIS|LABO|HIS|HOP|20210312101600||ORU^R01|M2|P|2.5",
        "PID|1||000124^^^LABO^PI||MARTIN^HELENE^^^MME^^L||19700517|F|||5 AVENUE FOCH^^LYON^^69003",
        "",
    ]).encode("latin-1"))
    result = invoke(["scan", str(archive), "--json"], env)
    (report,) = scan_json(result)
    assert result.exit_code == 1 and report["format"] == "hl7" and report["rows"] == 2
    (match,) = report["matches"]
    assert match["records"] == 2 and "health_note" in match["fields"]  # names, birth dates, postcodes


def test_an_xml_export_is_matched_record_by_record(files, env):
    tmp, table, _ = files
    assert invoke(["register", "labo-a", str(table)], env).exit_code == 0
    export = tmp / "export.xml"
    export.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<patients>\n'
                      '<patient><nom>DUPONT</nom><prenom>Jean-Pierre</prenom><naissance>1961-12-05</naissance>'
                      '<cp>75012</cp></patient>\n'
                      '<patient><nom>MARTIN</nom><prenom>Hélène</prenom><naissance>1970-05-17</naissance>'
                      '<cp>69003</cp></patient>\n</patients>\n', encoding="utf-8")
    result = invoke(["scan", str(export), "--json"], env)
    (report,) = scan_json(result)
    assert result.exit_code == 1 and report["format"] == "xml" and report["rows"] == 2
    assert [m["records"] for m in report["matches"]] == [2]


@pytest.mark.parametrize("dump", [
    "INSERT [dbo].[Patients] ([Nom], [Prenom], [DDN], [CP]) VALUES (N'DUPONT', N'Jean-Pierre', "
    "CAST(N'1961-12-05' AS Date), N'75012')\nGO\nINSERT [dbo].[Patients] ([Nom], [Prenom], [DDN], [CP]) "
    "VALUES (N'MARTIN', N'Hélène', CAST(N'1970-05-17' AS Date), N'69003')\nGO\n",
    "REM INSERTING into PATIENTS\nSET DEFINE OFF;\nInsert into PATIENTS (NOM,PRENOM,DDN,CP) values "
    "('DUPONT','Jean-Pierre',to_date('05-DEC-61','DD-MON-RR'),'75012');\nInsert into PATIENTS (NOM,PRENOM,DDN,CP) "
    "values ('MARTIN','Hélène',to_date('17-MAY-70','DD-MON-RR'),'69003');\n",
    "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE p (nom TEXT, prenom TEXT, ddn TEXT, cp TEXT);\n"
    "INSERT INTO p VALUES('DUPONT','Jean-Pierre','1961-12-05','75012');\n"
    "INSERT INTO p VALUES('MARTIN','Hélène','1970-05-17','69003');\nCOMMIT;\n",
], ids=["sql-server", "oracle", "sqlite"])
def test_sql_dumps_of_other_databases_are_matched(files, env, dump):
    tmp, table, _ = files
    assert invoke(["register", "labo-a", str(table)], env).exit_code == 0
    path = tmp / "dump.sql"
    path.write_text(dump, encoding="utf-8")
    result = invoke(["scan", str(path), "--json"], env)
    (report,) = scan_json(result)
    assert result.exit_code == 1 and report["format"] == "sql" and [m["records"] for m in report["matches"]] == [2]


def test_raw_table_registration_uses_the_deployment_key(files, env):
    _, table, leak = files
    assert invoke(["register", "labo-a", str(table)], env).exit_code == 0
    listed = json.loads(invoke(["registry", "list", "--json"], env).stdout)
    assert [(d["institution"], d["dataset"], d["rows"]) for d in listed] == [("labo-a", "patients", 3)]
    assert invoke(["scan", str(leak)], env).exit_code == 1


def test_registry_remove_then_scan_finds_nothing(files, env):
    tmp, table, leak = files
    invoke(["register", "labo-a", str(table)], env)
    other = tmp / "other.csv"  # another lab's table, so the registry is not left empty
    other.write_text(TABLE.splitlines()[0] + "\n" + f"{nir('1900175001001')},Moreau,Paul,1990-01-01,59000,Lille,0611223344,pm@ex.fr\n")
    invoke(["register", "labo-b", str(other)], env)
    assert invoke(["registry", "remove", "labo-a", "patients"], env).exit_code == 0
    assert invoke(["scan", str(leak)], env).exit_code == 0
    assert invoke(["registry", "remove", "labo-a", "patients"], env).exit_code == 2


def test_scan_without_match_exits_zero_and_plain_output_is_readable(files, env):
    tmp, table, _ = files
    invoke(["register", "labo-a", str(table)], env)
    other = tmp / "other.txt"
    other.write_text("nothing here\njust chatter about prices\n")
    result = invoke(["scan", str(other)], env)
    assert result.exit_code == 0
    assert "no registered records found" in result.stdout


def test_bad_files_are_errors_and_the_other_files_are_still_scanned(files, env, tmp_path):
    tmp, table, leak = files
    invoke(["register", "labo-a", str(table)], env)
    bad = {}
    full = gzip.compress(LEAK.encode() * 200)
    bad["truncated.gz"] = full[: len(full) // 2]
    bad["garbage.bin"] = os.urandom(4096)
    bad["empty.csv"] = b""
    bad["nul.csv"] = LEAK.replace("DUPONT", "DU\x00PONT").encode()
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.txt", b"\0" * (300 << 20))
    bad["bomb.zip"] = bomb.getvalue()
    traversal = io.BytesIO()
    with zipfile.ZipFile(traversal, "w") as archive:
        archive.writestr("../../escaped.csv", LEAK)
        archive.writestr("/abs/escaped2.csv", LEAK)
    bad["traversal.zip"] = traversal.getvalue()
    paths = []
    for name, data in bad.items():
        path = tmp / name
        path.write_bytes(data)
        paths.append(str(path))
    before = set(os.listdir(tmp.parent)) | set(os.listdir(tmp))
    result = invoke(["scan", *paths, str(leak), "--json"], env)
    reports = {os.path.basename(r["file"]): r for r in scan_json(result)}
    assert result.exit_code == 1  # the leak matched: its match is not hidden by the others' errors
    assert set(reports) == set(bad) | {"leak.csv"}
    assert reports["leak.csv"]["matches"][0]["records"] == 2
    for name in ("truncated.gz", "garbage.bin", "empty.csv", "bomb.zip"):
        assert reports[name]["error"], name
        assert any(line.startswith("leakwatch: ") and name in line for line in result.stderr.splitlines()), name
    assert reports["nul.csv"]["matches"], "a CSV with a NUL byte is still read"
    # Path-traversal names are labels: both members are read, nothing is written anywhere.
    assert reports["traversal.zip"]["matches"][0]["records"] == 2
    assert set(os.listdir(tmp.parent)) | set(os.listdir(tmp)) == before
    assert not (tmp.parent.parent / "escaped.csv").exists()


def test_missing_file_is_a_clear_error(files, env):
    tmp, table, leak = files
    invoke(["register", "labo-a", str(table)], env)
    result = invoke(["scan", str(tmp / "nope.csv"), str(leak), "--json"], env)
    assert result.exit_code == 1  # the leak matched; the missing file is said on stderr
    reports = scan_json(result)
    assert "nope.csv" in reports[0]["error"] and reports[1]["error"] is None
    assert "nope.csv" in result.stderr
    alone = invoke(["scan", str(tmp / "nope.csv")], env)
    assert alone.exit_code == 2 and "nope.csv" in alone.stderr


def test_settings_show_value_and_origin(env):
    result = invoke(["settings", "--json"], {**env, "LEAKWATCH_LSH_THRESHOLD": "0.4"})
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["lsh_threshold"]["value"] == 0.4 and rows["lsh_threshold"]["origin"] == "env LEAKWATCH_LSH_THRESHOLD"
    assert rows["namespace"]["origin"].startswith("env")


def test_bad_setting_value_is_a_clear_error(env):
    result = runner.invoke(app, ["settings"], env={**env, "LEAKWATCH_LSH_THRESHOLD": "high"})
    assert result.exit_code == 2 and "lsh_threshold must be a float" in result.output


def test_every_command_has_help():
    for args in (["--help"], ["scan", "--help"], ["register", "--help"], ["fingerprint", "--help"],
                 ["registry", "list", "--help"], ["registry", "remove", "--help"], ["demo", "--help"],
                 ["settings", "--help"], ["key", "init", "--help"], ["store", "status", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.stdout, args


def test_canaries_from_a_fingerprint_file_are_reported_at_once(files, env):
    tmp, table, _ = files
    invoke(["key", "init"], env)
    canaries = tmp / "canaries.csv"
    canaries.write_text(f"nir,nom,prenom,naissance,email\n{nir('1750175999001')},Canari,Camille,1975-01-01,camille.canari@ex.fr\n")
    key = tmp / "home" / "deployment.key"
    assert invoke(["fingerprint", str(table), "-o", str(tmp / "p.lwfp"), "--key", str(key),
                   "--canaries", str(canaries)], env).exit_code == 0
    invoke(["register", "labo-a", str(tmp / "p.lwfp")], env)
    combo = tmp / "combo.txt"
    combo.write_text("someone@else.org:hunter2\ncamille.canari@ex.fr:azerty\nother@x.com:123456\n")
    result = invoke(["scan", str(combo), "--json"], env)
    (report,) = scan_json(result)
    assert result.exit_code == 1
    assert report["matches"][0]["canaries"] == 1 and report["matches"][0]["records"] == 0


def test_fingerprint_file_written_by_the_cli_holds_no_raw_value(files, env):
    import zipfile

    tmp, table, _ = files
    invoke(["key", "init"], env)
    out = tmp / "p.lwfp"
    invoke(["fingerprint", str(table), "-o", str(out), "--key", str(tmp / "home" / "deployment.key")], env)
    blob = out.read_bytes()
    with zipfile.ZipFile(out) as archive:
        blob += b"".join(archive.read(name) for name in archive.namelist())
    for line in TABLE.splitlines()[1:]:
        for value in line.split(","):
            for form in (value, value.lower(), value.upper()):
                assert form.encode() not in blob and form.encode("latin-1") not in blob, value


def test_a_repost_scanned_later_names_its_first_sighting(files, env):
    tmp, table, leak = files
    invoke(["register", "labo-a", str(table)], env)
    rows = [line.split(",") for line in TABLE.splitlines()[1:]] * 20
    big = tmp / "dump.csv"
    big.write_text("\n".join(",".join(r) for r in rows))
    repost = tmp / "repost.tsv"
    repost.write_text("\n".join("\t".join([r[7], r[0], r[6]]) for r in reversed(rows)))
    invoke(["scan", str(big)], env)
    (report,) = scan_json(invoke(["scan", str(repost), "--json"], env))
    assert [s["name"] for s in report["similar_sightings"]] == [str(big)]


def test_readme_documents_every_setting():
    from pathlib import Path

    from leakwatch.settings import SETTINGS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.name}`" in readme, setting.name


def test_purge_reports_what_it_removed(files, env):
    tmp, table, leak = files
    invoke(["register", "labo-a", str(table)], env)
    chatter = tmp / "chatter.txt"
    chatter.write_text("just prices and nicknames\n")
    invoke(["scan", str(chatter), str(leak)], env)
    result = invoke(["purge", "--older-than", "0", "--json"], env)
    assert result.exit_code == 0 and json.loads(result.stdout) == {"purged": 1, "older_than_days": 0.0}


def test_stem_logs_at_the_cli_level_even_when_imported_later(tmp_path):
    """stem sets its logger to TRACE on import; a demo importing it after start-up printed its DEBUG lines."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from leakwatch.cli import app\n"
            "app(['settings', '--json'], standalone_mode=False)\n"
            "assert 'stem' not in sys.modules, 'the CLI imported stem at start-up'\n"
            "import stem.control\n"
            "from stem.util import log\n"
            "log.debug('stem-debug-line')\n"
            "log.warn('stem-warning-line')\n")
    env = dict(os.environ, LEAKWATCH_LOG_LEVEL="WARNING", LEAKWATCH_HOME=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "stem-warning-line" in out.stderr
    assert "stem-debug-line" not in out.stderr


def test_a_relative_home_is_made_absolute(tmp_path, monkeypatch):
    # redis-server is started with paths under the home and runs from another directory.
    from leakwatch.settings import Settings

    monkeypatch.chdir(tmp_path)
    home = Settings.load({"home": "rel/home"}, environ={}).home_path
    assert home.is_absolute() and home == tmp_path / "rel" / "home"


def test_a_file_whose_scan_fails_unexpectedly_is_an_error_and_the_next_files_are_scanned(files, env, monkeypatch):
    from leakwatch.matchers.match import DumpScanner

    tmp, table, leak = files
    invoke(["register", "labo-a", str(table)], env)
    bad = tmp / "bad.csv"
    bad.write_text("Dupont;Jean-Pierre;1961-12-05\n")
    real = DumpScanner.scan_stream

    def failing_on_bad(self, stream, *, name, **kwargs):
        if name.endswith("bad.csv"):
            raise ValueError(f"cannot read {stream.read()!r}")  # a message quoting the dump
        return real(self, stream, name=name, **kwargs)

    monkeypatch.setattr(DumpScanner, "scan_stream", failing_on_bad)
    result = invoke(["scan", str(bad), str(leak), "--json"], env)
    assert result.exit_code == 1  # the leak matched; bad.csv's error is on stderr
    assert "ValueError" in result.stderr and "Dupont" not in result.stderr
    first, second = scan_json(result)
    assert first["file"] == str(bad) and "ValueError" in first["error"] and "Dupont" not in result.output
    assert second["file"] == str(leak) and [m["records"] for m in second["matches"]] == [2]
