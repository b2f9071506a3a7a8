"""The telegram and leak_site kinds in sources files: defaults, checks, and the example file."""

from pathlib import Path

import pytest

from leakwatch.crawler.sources import SourcesError, load_sources, parse_sources

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "sources.example.yaml"


def test_example_file_holds_a_working_entry_of_each_new_kind():
    by_kind = {s.kind: s for s in load_sources(EXAMPLE)}
    assert by_kind["telegram"].options["channels"] == ("some_leak_channel", "another_channel")
    assert by_kind["leak_site"].options["max_file_bytes"] == 4 << 30
    assert by_kind["leak_site"].options["chunk_bytes"] == 16 << 20


def test_telegram_source_without_channels_names_the_line_and_what_to_write():
    text = "sources:\n  - name: tg\n    kind: telegram\n    base_url: https://t.me\n"
    with pytest.raises(SourcesError, match=r"^f.yaml:2: source 'tg': telegram.channels must be a list of channel names"):
        parse_sources(text, "f.yaml")


def test_telegram_channel_that_is_not_a_name_is_refused():
    text = ("sources:\n  - name: tg\n    kind: telegram\n    base_url: https://t.me\n"
            "    telegram:\n      channels: [ok_name, ../admin]\n")
    with pytest.raises(SourcesError, match="telegram.channels must be a list of channel names"):
        parse_sources(text, "f.yaml")


def test_negative_byte_budget_of_a_leak_site_is_refused():
    text = ("sources:\n  - name: ls\n    kind: leak_site\n    base_url: http://x.onion\n"
            "    leak_site:\n      max_bytes: -1\n")
    with pytest.raises(SourcesError, match=r"leak_site.max_bytes must be an integer >= 0"):
        parse_sources(text, "f.yaml")


def test_a_section_of_another_kind_is_refused_for_the_new_kinds():
    text = "sources:\n  - name: ls\n    kind: leak_site\n    base_url: http://x.onion\n    telegram: {}\n"
    with pytest.raises(SourcesError, match="section 'telegram' does not apply to kind leak_site; use 'leak_site'"):
        parse_sources(text, "f.yaml")
