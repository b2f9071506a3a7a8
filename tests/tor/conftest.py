"""Tor routing against real peers: the fixture sites, and the private Tor network of world.tornet.

The crawl fixtures (`sites`, `crawl`) are those of tests/crawler, loaded from there so the two suites
crawl the same way; the private network and the sites it serves are the session's (tests/conftest.py).
"""

import importlib.util
import sys
from pathlib import Path


_CRAWLER_TESTS = Path(__file__).resolve().parents[1] / "crawler"
sys.path.insert(0, str(_CRAWLER_TESTS))  # crawl_job, as tests/crawler imports it
sys.path.insert(0, str(Path(__file__).parent))  # tor_helpers
_spec = importlib.util.spec_from_file_location("crawler_tests_conftest", _CRAWLER_TESTS / "conftest.py")
_crawler_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_crawler_conftest)

sites = _crawler_conftest.sites
crawl = _crawler_conftest.crawl

