"""Every exception class the project defines derives from LeakwatchError, so one `except
LeakwatchError` (the CLI's) catches every error raised on purpose (as httpx checks its own
tree in tests/test_exported_members.py)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Private signals that never leave the function that raises them: they are caught a few lines
# below and turned into an error of the tree (ReadFailed) or into a clean stop. Not errors.
NOT_ERRORS = {
    "leakwatch.matchers.extract.sevenzip._Cancelled",
    "leakwatch.matchers.extract.workbook._ChildGone",
    "leakwatch.matchers.match.dump._StaleSnapshot",
    "leakwatch.scan_service.server._Stop",
}

# Run in a fresh interpreter: importing every module (the crawler's settings, the web app) has side
# effects this test process should not keep. matchers/ and crawler/ install as leakwatch.matchers
# and leakwatch.crawler but are folders of their own, so each is walked from its own root.
WALK = r"""
import importlib, inspect, json, pkgutil, sys
from leakwatch.matchers.errors import LeakwatchError
found = {}
for top in ("leakwatch", "leakwatch.matchers", "leakwatch.crawler"):
    package = importlib.import_module(top)
    names = [top] + [i.name for i in pkgutil.walk_packages(package.__path__, prefix=top + ".")]
    for name in names:
        if name.rpartition(".")[2] == "__main__":  # runs the CLI when imported
            continue
        for _, obj in inspect.getmembers(importlib.import_module(name), inspect.isclass):
            # Defined in the project, not a library's class imported into one of its modules.
            if issubclass(obj, BaseException) and obj.__module__.split(".")[0] == "leakwatch":
                found[f"{obj.__module__}.{obj.__qualname__}"] = {
                    "tree": issubclass(obj, LeakwatchError),
                    "mro": [c.__name__ for c in obj.__mro__]}
json.dump(found, sys.stdout)
"""


@pytest.fixture(scope="module")
def exceptions():
    out = subprocess.run([sys.executable, "-c", WALK], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_walk_finds_the_project_exceptions(exceptions):
    # A walk that imported nothing would pass every check below.
    assert len(exceptions) >= 25
    assert {"leakwatch.matchers.fingerprint.keyed.DeploymentKeyError", "leakwatch.crawler.sources.SourcesError",
            "leakwatch.cli.root.Failure", "leakwatch.matchers.extract.errors.ExtractError"} <= set(exceptions)


def test_every_project_exception_derives_from_leakwatch_error(exceptions):
    outside = sorted(name for name, info in exceptions.items() if not info["tree"] and name not in NOT_ERRORS)
    assert outside == []


def test_the_exempted_signals_still_exist_and_are_still_outside_the_tree(exceptions):
    # A renamed or removed signal leaves the list too; one made an error leaves it as well.
    assert {name: exceptions.get(name, {}).get("tree") for name in NOT_ERRORS} == {name: False for name in NOT_ERRORS}


def test_no_exception_class_shadows_a_builtin(exceptions):
    import builtins

    assert [name for name in exceptions if name.rpartition(".")[2].rstrip("_") in dir(builtins)] == []


def test_errors_keep_their_builtin_base_so_existing_handlers_still_catch_them(exceptions):
    for name in ("leakwatch.settings.SettingsError", "leakwatch.matchers.registry.connection.StoreURLError",
                 "leakwatch.matchers.fingerprint.keyed.DeploymentKeyError", "leakwatch.matchers.fingerprint.fpfile.FingerprintFileError",
                 "leakwatch.matchers.registry.names.RegistryError", "leakwatch.crawler.sources.SourcesError"):
        assert "ValueError" in exceptions[name]["mro"], name
    assert "RuntimeError" in exceptions["leakwatch.crawler.state.StoreUnavailable"]["mro"]


def test_leakwatch_reexports_the_one_base():
    import leakwatch
    from leakwatch.matchers.errors import LeakwatchError

    assert leakwatch.LeakwatchError is LeakwatchError
