"""`leakwatch queue|user|institution` through typer's runner, against a real Redis."""

import json

import pytest
from typer.testing import CliRunner

from leakwatch.cli import app

from test_cli import LEAK, TABLE

runner = CliRunner()


def invoke(args, env):
    return runner.invoke(app, args, env=env, catch_exceptions=False)


@pytest.fixture
def match_id(tmp_path, env):
    (tmp_path / "patients.csv").write_text(TABLE)
    (tmp_path / "leak.csv").write_text(LEAK)
    assert invoke(["register", "labo-a", str(tmp_path / "patients.csv")], env).exit_code == 0
    assert invoke(["scan", str(tmp_path / "leak.csv")], env).exit_code == 1
    listed = json.loads(invoke(["queue", "list", "--json"], env).stdout)
    assert listed["total"] == 1
    return listed["matches"][0]["id"]


def test_queue_list_show_confirm_dismiss(env, match_id):
    table = invoke(["queue", "list"], env).stdout
    assert match_id in table and "labo-a/patients" in table
    shown = json.loads(invoke(["queue", "show", match_id, "--json"], env).stdout)
    assert shown["match"]["records"] == 2 and shown["timeline"][0]["this"]
    assert "Dupont" not in json.dumps(shown) and "0610012046" not in json.dumps(shown)
    assert shown["excerpt"], "an excerpt is kept as evidence"
    assert all(line.startswith("row ") and "•" not in line for line in shown["excerpt"]), shown["excerpt"]
    assert shown["excerpt_predates"] is False

    result = invoke(["queue", "confirm", match_id, "--note", "seen on the forum", "--as", "alice"], env)
    assert result.exit_code == 0 and "confirmed" in result.stdout
    assert json.loads(invoke(["queue", "list", "--json"], env).stdout)["total"] == 0
    confirmed = json.loads(invoke(["queue", "list", "--state", "confirmed", "--json"], env).stdout)
    assert [m["id"] for m in confirmed["matches"]] == [match_id]

    assert invoke(["queue", "dismiss", match_id, "--as", "bob"], env).exit_code == 0
    shown = json.loads(invoke(["queue", "show", match_id, "--json"], env).stdout)
    assert shown["match"]["state"] == "false_positive"
    assert [(a["actor"], a["action"]) for a in shown["audit"]] == [("alice", "state:confirmed"), ("bob", "state:false_positive")]
    text = invoke(["queue", "show", match_id], env).stdout
    assert "seen on the forum" in text and "false_positive" in text


def test_queue_errors_exit_2(env, match_id):
    result = invoke(["queue", "confirm", "s404-nobody-x"], env)
    assert result.exit_code == 2 and "no match" in result.stderr
    result = invoke(["queue", "list", "--state", "closed"], env)
    assert result.exit_code == 2 and "unknown state" in result.stderr
    result = invoke(["queue", "dismiss", match_id, "--duplicate-of", "s404-nobody-x"], env)
    assert result.exit_code == 2


def test_users_and_tokens(env):
    result = invoke(["user", "add", "alice", "--password", "correct horse battery"], env)
    assert result.exit_code == 0
    assert invoke(["user", "add", "alice", "--password", "correct horse battery"], env).exit_code == 2
    assert invoke(["user", "add", "bob", "--password", "short"], env).exit_code == 2
    assert invoke(["user", "list"], env).stdout.split() == ["alice"]
    token = invoke(["institution", "token", "labo-a", "--label", "nightly"], env).stdout.strip()
    assert token.startswith("lwt_")
    listed = invoke(["institution", "token", "labo-a", "--list"], env).stdout
    assert "nightly" in listed and token not in listed
    token_id = token.split("_")[1]
    assert invoke(["institution", "token", "labo-b", "--revoke", token_id], env).exit_code == 2
    assert invoke(["institution", "token", "labo-a", "--revoke", token_id], env).exit_code == 0


def test_a_webhook_into_the_monitors_own_network_is_refused_with_exit_2(env):
    for url in ("http://127.0.0.1:6379/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/",
                "http://0x7f000001/"):
        result = invoke(["institution", "channels", "labo-a", "--webhook", url], env)
        assert result.exit_code == 2 and "webhook host is" in result.stderr, (url, result.stderr)
    assert json.loads(invoke(["institution", "channels", "labo-a"], env).stdout)["webhook_url"] is None
    allowed = {**env, "LEAKWATCH_ALERT_WEBHOOK_ALLOW": "127.0.0.0/8"}
    result = invoke(["institution", "channels", "labo-a", "--webhook", "http://127.0.0.1:9000/hook"], allowed)
    assert result.exit_code == 0 and json.loads(result.stdout)["webhook_url"] == "http://127.0.0.1:9000/hook"
