"""bench/time_to_warning.py at its smallest (one canary and one ordinary leak, a 10 s cadence): it runs
end to end, both leaks are alerted, and no alert comes before its paste was even crawled."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_time_to_warning_bench_alerts_every_leak_after_the_next_crawl():
    result = subprocess.run([sys.executable, "-m", "bench.time_to_warning", "--trials", "1", "--cadence", "10", "--json"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for kind in ("canary", "ordinary"):
        k = report["kinds"][kind]
        assert k["published"] == k["alerted"] == 1 and k["missing"] == 0
        # An alert needs the crawl that finds the paste: never sooner than the wait for that crawl.
        assert k["alert_max"] >= k["wait_for_crawl_p50"] > 0
    assert report["kinds"]["canary"]["alert_p95"] <= report["cadence_s"] + 60
