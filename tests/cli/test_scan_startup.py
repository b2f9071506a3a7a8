"""What `leakwatch scan` of a plain CSV imports: only what a CSV needs, so that its start-up stays short."""

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from leakwatch.cli import app
from small_table import LEAK, TABLE

# Imported by the branch or the command that needs them, never by a scan of a UTF-8 CSV; each
# of these took 1 to 26 ms of the scan's start-up.
NOT_FOR_A_CSV = (
    "charset_normalizer",                             # only for a sample neither UTF-8 nor Western
    "ijson",                                          # JSON documents
    "tarfile",                                        # archives
    "numpy.ma",                                       # np.unique imports it (numpy 2.4)
    "rich",                                           # the demo's output, the progress bar of a terminal
    "world.demo",                                     # a plug-in command, loaded when asked for
    "leakwatch.matchers.extract.archives",
    "leakwatch.matchers.extract.workbook",
    "leakwatch.matchers.extract.readers.json_document",
    "leakwatch.matchers.extract.readers.sql",
    "leakwatch.matchers.extract.readers.pg_copy",
    "leakwatch.matchers.extract.readers.fields",      # free text without delimiters: 12 ms of patterns
)
# Not imported by the CLI before its command runs: `--help`, or settings from the environment alone.
NOT_AT_START = ("yaml", "importlib.metadata")

SCAN = """
import json, sys
from leakwatch.cli import app
at_start = [m for m in {not_at_start!r} if m in sys.modules]
code = app(["scan", "--json", sys.argv[1]], standalone_mode=False)
print(json.dumps({{"code": code, "at_start": at_start, "loaded": [m for m in {not_for_a_csv!r} if m in sys.modules]}}))
"""


def test_a_csv_scan_imports_no_reader_of_other_formats(tmp_path, env):
    table, leak = tmp_path / "patients.csv", tmp_path / "leak.csv"
    table.write_text(TABLE, encoding="latin-1")
    leak.write_text(LEAK)
    registered = CliRunner().invoke(app, ["register", "labo-a", str(table)], env=env, catch_exceptions=False)
    assert registered.exit_code == 0, registered.output

    code = SCAN.format(not_at_start=NOT_AT_START, not_for_a_csv=NOT_FOR_A_CSV)
    out = subprocess.run([sys.executable, "-c", code, str(leak)], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=120)
    assert out.returncode == 0, out.stderr
    report, result = (json.loads(line) for line in out.stdout.splitlines())
    # The scan really read the CSV and found the leak (the match path records positions too).
    assert (report["format"], report["rows"], [m["records"] for m in report["matches"]]) == ("csv", 2, [2])
    assert result["code"] == 1
    assert result["at_start"] == []
    assert result["loaded"] == []


COLLECTIONS = """
import gc, json, sys
from leakwatch.cli import app, root
passes = []
gc.callbacks.append(lambda phase, info: phase == "stop" and passes.append(info["generation"]))
root.ONE_COMMAND = sys.argv[2] == "one"
code = app(["scan", "--json", sys.argv[1]], standalone_mode=False)
print(json.dumps({"code": code, "passes": len(passes), "enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}))
"""


def test_a_one_command_process_keeps_its_start_up_imports_out_of_the_collectors_way(tmp_path, env):
    table, leak = tmp_path / "patients.csv", tmp_path / "leak.csv"
    table.write_text(TABLE, encoding="latin-1")
    leak.write_text(LEAK)
    assert CliRunner().invoke(app, ["register", "labo-a", str(table)], env=env).exit_code == 0
    runs = {}
    for mode in ("one", "many"):
        out = subprocess.run([sys.executable, "-c", COLLECTIONS, str(leak), mode], capture_output=True, text=True,
                             env={**os.environ, **env}, timeout=120)
        assert out.returncode == 0, out.stderr
        runs[mode] = json.loads(out.stdout.splitlines()[-1])
    assert runs["one"]["code"] == runs["many"]["code"] == 1  # the same scan, the leak found
    # The runtime's imports made about 80 passes of the collector; frozen, about 10 remain.
    assert runs["one"]["passes"] * 3 < runs["many"]["passes"]
    assert runs["one"]["enabled"] and runs["many"]["enabled"]  # resumed after them
    assert runs["one"]["frozen"] > runs["many"]["frozen"] > 0


BIG_SCAN = """
import json, multiprocessing, sys
from leakwatch.cli import app
from leakwatch.runtime import Runtime
seen = []
open_stores = Runtime._open_stores
def spy(self):
    seen.append({"redis": "redis" in sys.modules, "workers": len(multiprocessing.active_children())})
    open_stores(self)
Runtime._open_stores = spy
code = app(["scan", "--json", sys.argv[1]], standalone_mode=False)
print(json.dumps({"code": code, "seen": seen}))
"""


def strangers(count=20_000) -> str:
    from world.synth.pools import FEMALE_TAIL, MALE_TAIL, SURNAME_TAIL

    given = MALE_TAIL + FEMALE_TAIL
    return "".join(f"{given[n % len(given)]} {SURNAME_TAIL[n * 7 % len(SURNAME_TAIL)].upper()};"
                   f"{1 + n % 28:02d}/{1 + n % 12:02d}/19{40 + n % 60};06{n:08d}\n" for n in range(count))


def test_a_big_file_is_scanned_by_workers_started_before_the_store_is_opened(tmp_path, env):
    # A lab's 20,000 patients, leaked over and over past the size a scan spreads over its workers.
    rows = strangers()
    table, leak, big = tmp_path / "patients.csv", tmp_path / "leak.csv", tmp_path / "big.csv"
    table.write_text("nom;naissance;telephone\n" + rows)
    leak.write_text("name;born;tel\n" + rows[: rows.index("\n", 2000) + 1])
    big.write_text("name;born;tel\n" + rows * (-(-(9 << 20) // len(rows))))
    runner = CliRunner()
    assert runner.invoke(app, ["register", "labo-a", str(table)], env=env).exit_code == 0
    assert runner.invoke(app, ["scan", str(leak)], env=env).exit_code == 1  # leaves the index snapshot

    out = subprocess.run([sys.executable, "-c", BIG_SCAN, str(big)], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=300)
    assert out.returncode == 0, out.stderr
    report, result = (json.loads(line) for line in out.stdout.splitlines())
    # redis-py imported only once both workers were scanning, and the leak found all the same.
    assert result["seen"] == [{"redis": False, "workers": 2}]
    assert result["code"] == 1 and [m["records"] for m in report["matches"]] == [20_000]
    assert report["rows"] == big.read_text().count("\n") - 1 and report["sighting"]

    # The store gone: the scan stops with the store's error, as it does before any file is read.
    gone = subprocess.run([sys.executable, "-m", "leakwatch", "scan", "--json", str(big)], capture_output=True,
                          text=True, env={**os.environ, **env, "LEAKWATCH_REDIS_URL": "redis://127.0.0.1:1"},
                          timeout=300)
    assert gone.returncode == 2 and "the store is not reachable" in gone.stderr and not gone.stdout
