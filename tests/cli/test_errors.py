"""Errors never read as results: each is one line `leakwatch: ...` on stderr and exit code 2 (1 is
"a match" for cron), with no traceback; a scan against an empty registry is one of them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leakwatch.cli import app

from test_cli import LEAK, TABLE  # tests/cli is on the path (no package)

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


def leakwatch(args, env, timeout=120):
    """The real command in a process of its own: what cron sees (exit code, stderr)."""
    return subprocess.run([sys.executable, "-m", "leakwatch", *args], env={**os.environ, **env}, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def invoke(args, env):
    result = runner.invoke(app, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def assert_one_error_line(done, *words):
    lines = done.stderr.splitlines()
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert len(lines) == 1 and lines[0].startswith("leakwatch: "), done.stderr[-3000:]
    assert "Traceback" not in done.stderr + done.stdout
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text(TABLE, encoding="latin-1")
    return path


def redis_url_flag(url):
    def setup(tmp_path, table, env):
        return ["--redis-url", url, "registry", "list"], {}
    return setup


def missing_file(tmp_path, table, env):
    return ["register", "labo-a", str(tmp_path / "nope.csv")], {}


def damaged_fingerprint(tmp_path, table, env):
    whole = tmp_path / "whole.lwfp"
    invoke(["key", "init"], env)
    invoke(["fingerprint", str(table), "-o", str(whole), "--key", str(tmp_path / "home" / "deployment.key")], env)
    damaged = tmp_path / "damaged.lwfp"
    damaged.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return ["register", "labo-a", str(damaged)], {}


def fingerprint_of_another_key(tmp_path, table, env):
    other = tmp_path / "other.key"
    invoke(["key", "init", "--path", str(other)], env)
    made = tmp_path / "other.lwfp"
    invoke(["fingerprint", str(table), "-o", str(made), "--key", str(other)], env)
    return ["register", "labo-a", str(made)], {}


def binary_key_file(tmp_path, table, env):
    key = tmp_path / "binary.key"
    key.write_bytes(os.urandom(64))
    return ["fingerprint", str(table), "-o", str(tmp_path / "p.lwfp"), "--key", str(key)], {}


def unknown_dataset(tmp_path, table, env):
    invoke(["register", "labo-a", str(table)], env)
    return ["registry", "remove", "labo-a", "no-such-dataset"], {}


def unknown_match(tmp_path, table, env):
    return ["queue", "confirm", "s99-labo-a-patients", "--as", "alice"], {}


def bad_setting_in_env(tmp_path, table, env):
    return ["registry", "list"], {"LEAKWATCH_LSH_THRESHOLD": "high"}


def out_of_range_setting_in_env(tmp_path, table, env):
    return ["registry", "list"], {"LEAKWATCH_EXTRACT_MAX_RATIO": "0"}


def unknown_log_level_in_env(tmp_path, table, env):
    return ["registry", "list"], {"LEAKWATCH_LOG_LEVEL": "LOUD"}


def bad_redis_url_in_env(tmp_path, table, env):
    return ["registry", "list"], {"LEAKWATCH_REDIS_URL": "http://user:secret@example.org/"}


def broken_config_file(tmp_path, table, env):
    config = tmp_path / "broken.yaml"
    config.write_text("redis_url: [unclosed\nnamespace: x\n")  # a YAML error spans several lines
    return ["registry", "list"], {"LEAKWATCH_CONFIG": str(config)}


def setting_env(args, **values):
    """A command run with LEAKWATCH_<NAME>=value settings that pass the settings' own checks but not
    the component's that takes them."""
    def setup(tmp_path, table, env):
        return args, {f"LEAKWATCH_{name.upper()}": value for name, value in values.items()}
    return setup


def unknown_option(tmp_path, table, env):
    return ["scan", "--no-such-option", str(table)], {}


BAD_INPUTS = {
    # (what the command is given, words its one line says)
    "cluster URL without a node": (redis_url_flag("redis+cluster://"), ["host:port"]),
    "not a Redis URL": (redis_url_flag("ftp://x"), ["ftp://x", "not a Redis URL"]),
    "nothing listening": (redis_url_flag("redis://127.0.0.1:1"), ["not reachable"]),
    "cluster with nothing listening": (redis_url_flag("redis+cluster://127.0.0.1:1"), ["not reachable"]),
    "missing file": (missing_file, ["nope.csv"]),
    "damaged fingerprint file": (damaged_fingerprint, ["damaged.lwfp"]),
    "fingerprint made with another key": (fingerprint_of_another_key, ["key"]),
    "binary key file": (binary_key_file, ["not a deployment key"]),
    "unknown dataset": (unknown_dataset, ["labo-a"]),
    "unknown match": (unknown_match, ["s99-labo-a-patients"]),
    "bad value in LEAKWATCH_* env": (bad_setting_in_env, ["LEAKWATCH_LSH_THRESHOLD"]),
    "out-of-range value in LEAKWATCH_* env": (out_of_range_setting_in_env, ["LEAKWATCH_EXTRACT_MAX_RATIO", "1 or more"]),
    "unknown log level": (unknown_log_level_in_env, ["LEAKWATCH_LOG_LEVEL", "DEBUG"]),
    "bad URL scheme in LEAKWATCH_REDIS_URL": (bad_redis_url_in_env, ["not a Redis URL"]),
    "broken config file": (broken_config_file, ["broken.yaml"]),
    "unknown option": (unknown_option, ["--no-such-option"]),
    "namespace with a brace": (setting_env(["registry", "list"], namespace="a{b"), ["namespace", "setting namespace"]),
    "lsh_threshold of 0": (setting_env(["purge"], lsh_threshold="0"), ["lsh_threshold"]),
    "SMTP sender not an address": (setting_env(["alerts", "failures"], smtp_from="nobody"), ["smtp_from"]),
    "public_url not http": (setting_env(["alerts", "failures"], public_url="ftp://x"), ["public_url"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_a_bad_input_is_one_line_on_stderr_and_exit_code_2(case, tmp_path, table, env):
    setup, words = BAD_INPUTS[case]
    args, extra_env = setup(tmp_path, table, env)
    done = leakwatch(args, {**env, **extra_env})
    assert_one_error_line(done, *words)
    assert "secret" not in done.stderr  # a URL's password is never shown


def test_a_scan_against_an_empty_registry_is_an_error_and_is_still_recorded(tmp_path, env):
    leak = tmp_path / "leak.csv"
    leak.write_text(LEAK)
    done = leakwatch(["scan", str(leak), "--json"], env)
    assert_one_error_line(done, "no dataset is registered")
    (report,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert report["matches"] == [] and report["sighting"]  # seen, and kept as a sighting


def test_a_scan_against_an_empty_registry_does_not_say_nothing_was_found(tmp_path, env):
    leak = tmp_path / "leak.csv"
    leak.write_text(LEAK)
    result = runner.invoke(app, ["scan", str(leak)], env=env)
    assert result.exit_code == 2
    assert "no registered records found" not in result.stdout
    assert "not matched: no dataset is registered" in result.stdout


def test_a_registry_emptied_after_registration_makes_the_scan_an_error(tmp_path, table, env):
    leak = tmp_path / "leak.csv"
    leak.write_text(LEAK)
    invoke(["register", "labo-a", str(table)], env)
    assert runner.invoke(app, ["scan", str(leak)], env=env).exit_code == 1
    invoke(["registry", "remove", "labo-a"], env)
    result = runner.invoke(app, ["scan", str(leak)], env=env)
    assert result.exit_code == 2 and "no dataset is registered" in result.stderr


SECRET = "DUPONT;1611275123456"


@pytest.fixture
def bug(monkeypatch):
    """A command that fails as a bug would, with a message quoting a dump's values."""
    import leakwatch.cli.datasets as datasets

    def broken(path):
        raise ZeroDivisionError(f"cannot divide {SECRET}")

    monkeypatch.setattr(datasets, "_default_dataset", broken)


def test_a_bug_is_exit_code_2_and_one_line_naming_its_type_without_its_message(bug, tmp_path, table, env):
    invoke(["key", "init", "--path", str(tmp_path / "k")], env)
    result = runner.invoke(app, ["fingerprint", str(table), "-o", str(tmp_path / "p.lwfp"),
                                 "--key", str(tmp_path / "k")], env=env)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("leakwatch: ") and "ZeroDivisionError" in line and "report" in line
    assert SECRET not in result.output and "Traceback" not in result.output


def test_debug_adds_the_traceback_of_a_bug(bug, tmp_path, table, env):
    invoke(["key", "init", "--path", str(tmp_path / "k")], env)
    result = runner.invoke(app, ["--debug", "fingerprint", str(table), "-o", str(tmp_path / "p.lwfp"),
                                 "--key", str(tmp_path / "k")], env=env)
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "ZeroDivisionError" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("leakwatch: ")


def test_a_failing_settings_command_is_one_line_too(env, monkeypatch):
    # `settings` is the one command without a per-command guard: the root command catches for it.
    import leakwatch.cli.config as config

    monkeypatch.setattr(config, "SETTINGS", None)  # iterating None: a TypeError, as a bug would be
    result = runner.invoke(app, ["settings"], env=env)
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1 and "TypeError" in result.stderr
