"""The crawler's Scrapy settings read nothing at import; whoever starts a crawl gives leakwatch's."""

import subprocess
import sys

import pytest
from scrapy.utils.test import get_crawler

from leakwatch.crawler.pipelines.scan import CrawlSetupError, ScanPipeline
from leakwatch.settings import SETTINGS


def test_importing_the_crawler_settings_reads_no_config_file_and_no_environment(tmp_path):
    # A config file that would be an error if anything read it at import.
    code = ("import leakwatch.crawler.settings as s; "
            "assert s.LEAKWATCH_SETTINGS == {} and s.LEAKWATCH_REDIS_URL == '' and s.LEAKWATCH_SOURCES == ''")
    env = {"LEAKWATCH_CONFIG": str(tmp_path / "missing.yaml"), "LEAKWATCH_REDIS_URL": "redis://10.0.0.1/",
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_crawlers_own_defaults_are_leakwatchs_defaults():
    import leakwatch.crawler.settings as crawler_settings

    defaults = {s.name: s.default for s in SETTINGS}
    assert crawler_settings.LEAKWATCH_LEASE_SECONDS == defaults["crawl_lease_seconds"]
    assert crawler_settings.LEAKWATCH_STORE_WAIT_SECONDS == defaults["crawl_store_wait_seconds"]
    assert crawler_settings.LEAKWATCH_DONE_RETENTION_DAYS == defaults["crawl_done_retention_days"]
    assert crawler_settings.LEAKWATCH_NAMESPACE == defaults["namespace"]
    assert crawler_settings.LEAKWATCH_HOME == defaults["home"]


def test_a_crawl_started_without_a_scanner_fails_at_its_start():
    import leakwatch.crawler.settings as crawler_settings

    given = {name: getattr(crawler_settings, name) for name in ("LEAKWATCH_SCAN_COMPONENTS",
                                                                "LEAKWATCH_SCAN_COMPONENTS_FACTORY", "LEAKWATCH_SETTINGS")}
    with pytest.raises(CrawlSetupError, match="no scanner"):
        ScanPipeline.from_crawler(get_crawler(settings_dict=given))


def test_scrapy_crawl_in_the_crawler_folder_gets_leakwatchs_settings(tmp_path, monkeypatch):
    # scrapy.cfg names leakwatch.crawl_project: the crawler's settings with leakwatch's on top.
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {name: one, kind: paste_listing, base_url: 'http://127.0.0.1:9', route: direct}\n")
    env = {"LEAKWATCH_SOURCES_FILE": str(sources), "LEAKWATCH_NAMESPACE": "proj", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    from pathlib import Path

    import leakwatch.crawler

    folder = Path(leakwatch.crawler.__file__).parent
    result = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=folder, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["one"]
    result = subprocess.run([sys.executable, "-m", "scrapy", "settings", "--get", "LEAKWATCH_NAMESPACE"], cwd=folder,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "proj"


@pytest.mark.parametrize("given, says", [({"role": "boss"}, "LEAKWATCH_CRAWL_ROLES"),
                                         ({"max_held": 0}, "LEAKWATCH_QUEUE_MAX_HELD")])
def test_crawl_settings_the_scheduler_cannot_use_are_named_as_a_setup_error(redis_client, namespace, given, says):
    from leakwatch.crawler.shared.crawl_round import CrawlRound
    from leakwatch.crawler.shared.scheduler import SharedScheduler
    from leakwatch import LeakwatchError

    with pytest.raises(CrawlSetupError, match=says) as raised:
        SharedScheduler(redis_client, CrawlRound(redis_client, "paste", namespace), **given)
    assert isinstance(raised.value, LeakwatchError)  # the CLI prints it on one line and exits 2
