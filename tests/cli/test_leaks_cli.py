"""`leakwatch leaks list|show|confirm|dismiss` through typer's runner, against a real Redis."""

import json
import time

import pytest
from typer.testing import CliRunner

from leakwatch.cli import app

from small_table import LEAK, TABLE

runner = CliRunner()


def invoke(args, env):
    return runner.invoke(app, args, env=env, catch_exceptions=False)


@pytest.fixture
def leak_id(tmp_path, env):
    """labo-a's leak, scanned from a paste, then the same file again under another name (a repost)."""
    (tmp_path / "patients.csv").write_text(TABLE)
    (tmp_path / "leak.csv").write_text(LEAK)
    (tmp_path / "copy.csv").write_text(LEAK)
    assert invoke(["register", "labo-a", str(tmp_path / "patients.csv")], env).exit_code == 0
    assert invoke(["scan", str(tmp_path / "leak.csv")], env).exit_code == 1
    assert invoke(["scan", str(tmp_path / "copy.csv")], env).exit_code == 1
    listed = json.loads(invoke(["leaks", "list", "--json"], env).stdout)
    assert listed["total"] == 1
    return listed["leaks"][0]["id"]


def test_a_file_and_its_repost_are_listed_as_one_leak(env, leak_id):
    assert json.loads(invoke(["queue", "list", "--json"], env).stdout)["total"] == 2   # the match queue has both
    leak = json.loads(invoke(["leaks", "list", "--json"], env).stdout)["leaks"][0]
    assert leak["institutions"] == ["labo-a"] and leak["records"] == 2
    assert [s["name"].rsplit("/", 1)[-1] for s in leak["sightings"]] == ["leak.csv", "copy.csv"]
    assert "search" not in leak
    table = invoke(["leaks", "list"], env).stdout
    assert leak_id in table and "labo-a" in table


def test_confirming_the_leak_confirms_its_institution_once_and_is_audited(env, leak_id):
    result = invoke(["leaks", "confirm", leak_id, "--note", "seen on the forum", "--as", "alice"], env)
    assert result.exit_code == 0 and f"leak {leak_id}: confirmed (2 match(es) decided)" in result.stdout
    assert json.loads(invoke(["leaks", "list", "--json"], env).stdout)["total"] == 0
    assert json.loads(invoke(["queue", "list", "--json"], env).stdout)["total"] == 0
    shown = json.loads(invoke(["leaks", "show", leak_id, "--json"], env).stdout)
    (part,) = shown["leak"]["parts"]
    assert sorted(m["state"] for m in part["matches"]) == ["confirmed", "duplicate"]
    actions = [(e["actor"], e["action"]) for e in shown["audit"]]
    assert ("alice", "leak:confirmed") in actions and ("alice", "state:confirmed") in actions
    assert "Dupont" not in json.dumps(shown) and "0610012046" not in json.dumps(shown)
    text = invoke(["leaks", "show", leak_id], env).stdout
    assert "labo-a/patients  confirmed" in text and "seen on the forum" in text


def test_dismissing_one_institution_and_filters(env, leak_id):
    dismissed = json.loads(invoke(["leaks", "dismiss", leak_id, "--institution", "labo-a", "--as", "bob", "--json"],
                                  env).stdout)
    assert dismissed["state"] == "dismissed" and len(dismissed["changed"]) == 2
    dismissed = json.loads(invoke(["leaks", "list", "--state", "dismissed", "--json"], env).stdout)
    assert [x["id"] for x in dismissed["leaks"]] == [leak_id]
    today = time.strftime("%Y-%m-%d", time.gmtime())
    for args, expected in ((["--institution", "labo-a"], 1), (["--institution", "labo-b"], 0),
                           (["--source", "scan"], 1), (["--search", "COPY.CSV"], 1), (["--search", "Dupont"], 0),
                           (["--since", today], 1), (["--until", "2020-01-01"], 0)):
        listed = json.loads(invoke(["leaks", "list", "--state", "all", "--json", *args], env).stdout)
        assert listed["total"] == expected, args


def test_leaks_errors_exit_2_with_one_line(env, leak_id):
    for args, words in ((["leaks", "confirm", "s404"], "no leak"), (["leaks", "list", "--state", "closed"], "unknown state"),
                        (["leaks", "list", "--since", "yesterday"], "not a date"),
                        (["leaks", "confirm", leak_id, "--institution", "labo-z"], "holds nothing of labo-z")):
        result = invoke(args, env)
        assert result.exit_code == 2 and words in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_repost_of_a_confirmed_leak_is_no_new_work_in_the_match_queue_either(env, leak_id, tmp_path):
    assert invoke(["leaks", "confirm", leak_id, "--as", "alice"], env).exit_code == 0
    (tmp_path / "again.csv").write_text(LEAK)
    assert invoke(["scan", str(tmp_path / "again.csv")], env).exit_code == 1
    assert json.loads(invoke(["queue", "list", "--json"], env).stdout)["total"] == 0
    duplicates = json.loads(invoke(["queue", "list", "--state", "duplicate", "--json"], env).stdout)["matches"]
    assert [m["decided_by"] for m in duplicates].count("leakwatch") == 1
    shown = json.loads(invoke(["leaks", "show", leak_id, "--json"], env).stdout)["leak"]
    assert len(shown["sightings"]) == 3 and shown["state"] == "confirmed"
