"""`leakwatch sources check` of a source routed over Tor: the onion forum, logged in, through the private
Tor network, by the same route and handler as the crawl."""

import json
import os
import subprocess
import sys
import time

from crawl_job import source_yaml, sources_yaml

FORUM_ENV = {"LW_TEST_FORUM_USER": "watcher", "LW_TEST_FORUM_PASSWORD": "correct horse battery staple"}


def test_check_of_the_onion_forum_logs_in_and_reads_a_board_through_tor(tor_sites, tor_network, env, tmp_path):
    onion = tor_network.onion_address("forum")
    sources = tmp_path / "onion.yaml"
    sources.write_text(sources_yaml(source_yaml("onion-forum", "forum", f"http://{onion}", route="tor",
                                                credentials="env:LW_TEST_FORUM_USER/LW_TEST_FORUM_PASSWORD")))
    t0 = time.time()
    result = subprocess.run(
        [sys.executable, "-m", "leakwatch", "sources", "check", "onion-forum", "--login", "--url", "/viewforum.php?f=1",
         "--sources", str(sources), "--json"],
        env={**os.environ, **env, **FORUM_ENV, **tor_network.leakwatch_settings}, capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    rows = {row["name"]: row for row in report["selectors"]}
    assert report["page"] == "board" and report["fetched"] == f"http://{onion}/viewforum.php?f=1"
    assert rows["topics"]["count"] == 10 and all(t["url"].startswith(f"http://{onion}/") for t in rows["topics"]["found"])
    # The forum saw the login and the board page, every one from the onion service's tor.
    entries = [e for e in tor_sites.access_log() if e["t"] >= t0 and e["site"] == "forum"]
    assert [e["path"] for e in entries if e["method"] == "POST"] == ["/ucp.php?mode=login"]
    assert "/viewforum.php?f=1" in [e["path"] for e in entries]
