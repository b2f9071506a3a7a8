"""bench.phases times the scan `leakwatch scan` runs, phase by phase, and the scan still happens."""

import os
import re
import subprocess
import sys

from typer.testing import CliRunner

from leakwatch.cli import app
from leakwatch.matchers.normalize import nir_key

TABLE = (
    "nir,nom,prenom,date_naissance,code_postal,telephone\n"
    f"1611275123456{nir_key('1611275123456'):02d},Dupont,Jean-Pierre,1961-12-05,75012,0610012046\n"
    f"2700569001002{nir_key('2700569001002'):02d},Martin,Hélène,1970-05-17,69003,0472001122\n"
)
LEAK = "name;born;tel\nJEAN-PIERRE DUPONT;5 décembre 1961;+33 6 10 01 20 46\nHelene MARTIN;17/05/1970;04 72 00 11 22\n"


def test_phases_are_printed_in_order_with_their_cpu(tmp_path, redis_url, namespace):
    (tmp_path / "none.yaml").write_text("{}\n")
    env = {"LEAKWATCH_HOME": str(tmp_path / "home"), "LEAKWATCH_REDIS_URL": redis_url,
           "LEAKWATCH_NAMESPACE": namespace, "LEAKWATCH_CONFIG": str(tmp_path / "none.yaml")}
    table, leak = tmp_path / "patients.csv", tmp_path / "leak.csv"
    table.write_text(TABLE)
    leak.write_text(LEAK)
    runner = CliRunner()
    assert runner.invoke(app, ["key", "init"], env=env).exit_code == 0
    assert runner.invoke(app, ["register", "lab-a", str(table)], env=env).exit_code == 0

    def phases_of(workers):
        done = subprocess.run([sys.executable, "-m", "bench.phases", str(leak), str(workers)],
                              env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        lines = [line for line in done.stderr.splitlines() if re.match(r"^\s*\d+\.\d{3} s  ", line)]
        return done, lines, [re.sub(r"\s+self .*$", "", line.split(" s  ", 1)[1]).strip() for line in lines]

    # One process: no worker phases, the rest in order.
    done, lines, phases = phases_of(1)
    assert phases == ["imports", "index loaded", "merging", "merged", "draining", "recording the sighting",
                      "recorded", "end: 2 rows, 1 matches"]
    # Two workers are started when asked for, whatever the size: their phases come before the merge,
    # on the index the snapshot holds (left by the scan above); the registry is asked afterwards.
    _, _, with_workers = phases_of(2)
    assert with_workers[:4] == ["imports", "index from its snapshot", "index mapped", "first batches ready"]
    assert with_workers[-1] == "end: 2 rows, 1 matches" and "merging" in with_workers
    assert with_workers.index("merged") < with_workers.index("asking the registry") < with_workers.index("asked")
    seconds = [float(line.split(" s  ", 1)[0]) for line in lines]
    assert seconds == sorted(seconds)
    assert all(re.search(r"self \d+\.\d\d s workers \d+\.\d\d s$", line) for line in lines)
    assert "JEAN" not in done.stderr.upper() and "DUPONT" not in done.stderr.upper()
