"""The scan pipeline when scanning an item fails: nothing committed, nothing of the dump logged."""

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from leakwatch.crawler.logformatter import ContentFreeLogFormatter, describe
from leakwatch.crawler.pipelines.scan import ScanFailed, ScanPipeline

SECRET = "1611275123456²8;DUPONT;Jean-Pierre"
ITEM = {"source": "pastes", "key": "k1", "url": "http://paste.test/raw/k1", "body": SECRET.encode()}


@pytest.fixture
def pipeline(redis_url, namespace, tmp_path):
    from leakwatch.runtime import Runtime
    from leakwatch.settings import Settings

    runtime = Runtime(Settings.load(environ={"LEAKWATCH_REDIS_URL": redis_url, "LEAKWATCH_NAMESPACE": namespace,
                                             "LEAKWATCH_HOME": str(tmp_path / "home")}))
    made = ScanPipeline(runtime.dump_scanner, runtime.redis, runtime.settings.namespace)
    made.stats = MemoryStatsCollector(get_crawler())
    return made


def test_an_item_whose_scan_raises_is_not_committed_and_the_error_quotes_nothing(pipeline, monkeypatch, redis_client,
                                                                                 namespace):
    from leakwatch.matchers.match import Scanner
    from leakwatch.matchers.registry import CrawlState

    def failing(self, records, progress=None, meanwhile=None):
        list(records)
        raise ValueError(f"invalid literal: {SECRET}")  # as a library's message may quote a value

    monkeypatch.setattr(Scanner, "scan", failing)
    with pytest.raises(ScanFailed) as raised:
        pipeline._scan(dict(ITEM))
    assert "ValueError" in str(raised.value) and "pastes:k1" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert "DUPONT" not in str(raised.value)
    assert not CrawlState(redis_client, "pastes", namespace).done("k1")  # a later run takes it again
    assert pipeline.stats.get_value("leakwatch/item_failures") == 1

    monkeypatch.undo()
    summary = pipeline._scan(dict(ITEM))  # the next run: scanned and committed
    assert summary["sighting"] and CrawlState(redis_client, "pastes", namespace).done("k1")


def test_log_lines_about_items_name_them_and_never_hold_their_body():
    formatter = ContentFreeLogFormatter()
    spider = Spider("pastes")
    spider.crawler = get_crawler()
    for entry in (formatter.dropped(ITEM, DropItem("done before"), None, spider),
                  formatter.item_error(ITEM, ValueError("x"), None, spider),
                  formatter.scraped(ITEM, None, spider)):
        line = entry["msg"] % entry["args"]
        assert "DUPONT" not in line and "source=pastes key=k1" in line and f"{len(ITEM['body'])} bytes" in line
    assert describe(object()) == "object"


def test_the_crawlers_settings_name_that_formatter():
    from scrapy.settings import Settings
    from scrapy.utils.misc import load_object

    settings = Settings()
    settings.setmodule("leakwatch.crawler.settings")
    assert load_object(settings["LOG_FORMATTER"]) is ContentFreeLogFormatter


def test_items_scanned_against_an_empty_registry_are_recorded_and_warned_about_once(pipeline, caplog):
    # Every item would read "nothing found": a crawl says why, once, rather than look like a quiet day.
    with caplog.at_level("WARNING", logger="leakwatch.crawler.pipelines.scan"):
        first = pipeline._scan({**ITEM, "key": "k1"})
        second = pipeline._scan({**ITEM, "key": "k2"})
    warnings = [r for r in caplog.records if "no dataset is registered" in r.getMessage()]
    assert len(warnings) == 1
    assert first["sighting"] and second["sighting"]  # still seen and recorded
    assert pipeline.stats.get_value("leakwatch/items_unmatched") == 2
