"""bench/crawl.py at its smallest (one repeat, one round a side): it runs end to end, both sides fetch
the same pages, and leakwatch finds every planted paste leak and nothing else."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_crawl_bench_compares_the_same_pages_and_finds_every_planted_leak():
    result = subprocess.run([sys.executable, "-m", "bench.crawl", "--repeats", "1", "--rounds", "1", "--json"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("paste crawl (107 pages: 1 crawls x 107): leakwatch ")
    report = json.loads(lines[-1])
    # 3 archive pages, 52 item pages, 52 raw pages: the whole visible paste site, on both sides.
    assert report["pages"] == 107 and report["same_pages_both_sides"] and report["pages_match_access_log"]
    assert report["found_min"] == report["planted"] == 4 and report["extra_matches_max"] == 0
    assert report["overhead"] > 0 and report["in_crawl_overhead"] > 0
