"""config/sources.yaml: checked at load, with errors that name the file and line."""

import subprocess
from pathlib import Path

import pytest

from leakwatch.crawler.sources import KIND_DEFAULTS, SourcesError, load_sources, parse_sources

REPO = Path(__file__).resolve().parents[2]


def _write(tmp_path, text):
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    return path


def test_a_valid_source_gets_the_contract_defaults(tmp_path):
    path = _write(tmp_path, "sources:\n  - name: paste\n    kind: paste_listing\n    base_url: http://127.0.0.1:1/\n")
    [source] = load_sources(path)
    assert source.route == "tor"  # direct only when written
    assert source.browser is False and source.concurrency == 1 and source.cadence_seconds == 900
    assert source.base_url == "http://127.0.0.1:1"
    assert dict(source.options) == KIND_DEFAULTS["paste_listing"]["listing"]
    assert source.origin == f"{path}:2"


def test_a_bad_kind_is_reported_with_its_line(tmp_path):
    path = _write(tmp_path, "sources:\n  - name: ok\n    kind: paste_api\n    base_url: http://a\n"
                            "  - name: x\n    base_url: http://b\n    kind: pastebin\n")
    with pytest.raises(SourcesError) as exc:
        load_sources(path)
    assert str(exc.value) == f"{path}:7: source 'x': kind must be one of paste_listing, paste_api, forum, js_pages, telegram, leak_site, got 'pastebin'"


def test_every_problem_is_reported_each_with_its_line(tmp_path):
    text = """sources:
  - name: forum
    kind: forum
    base_url: ftp://forum
    credentials: {username: me, password: hunter2}
    cadence: often
  - name: forum
    kind: paste_listing
    base_url: http://a
    listing: {path: /archive, item_link: a.x}
    route: vpn
"""
    with pytest.raises(SourcesError) as exc:
        load_sources(_write(tmp_path, text))
    message = str(exc.value)
    assert ":4: source 'forum': base_url must be an http(s) URL" in message
    assert ":5: source 'forum': credentials must be a reference" in message
    assert "hunter2" not in message  # the secret is never echoed
    assert ":6: source 'forum': cadence must be a duration" in message
    assert ":10: source 'forum': unknown listing key 'item_link'" in message
    assert ":11: source 'forum': route must be one of tor, direct" in message


def test_a_forum_without_credentials_and_a_duplicate_name_are_refused():
    text = ("sources:\n  - {name: f, kind: forum, base_url: 'http://a'}\n"
            "  - {name: p, kind: paste_api, base_url: 'http://a'}\n  - {name: p, kind: paste_api, base_url: 'http://b'}\n")
    with pytest.raises(SourcesError) as exc:
        parse_sources(text, "s.yaml")
    assert "s.yaml:2: source 'f': a forum needs credentials" in str(exc.value)
    assert "s.yaml:4: source 'p': name already used at line 3" in str(exc.value)


def test_broken_yaml_names_its_line():
    with pytest.raises(SourcesError, match=r"^s.yaml:3: not valid YAML"):
        parse_sources("sources:\n  - name: a\n    kind: forum: x\n", "s.yaml")


def test_a_name_yaml_reads_as_a_boolean_is_explained():
    with pytest.raises(SourcesError, match=r"s.yaml:2: source #1: name must be a string; quote it"):
        parse_sources("sources:\n  - {name: off, kind: paste_api, base_url: 'http://a'}\n", "s.yaml")


def _scrapy_list(*args):
    return subprocess.run([str(REPO / ".venv" / "bin" / "scrapy"), "list", *args], cwd=REPO / "crawler",
                          capture_output=True, text=True, timeout=60)


def test_scrapy_list_in_crawler_prints_the_enabled_sources(tmp_path):
    path = _write(tmp_path, "sources:\n"
                            "  - {name: pastes, kind: paste_listing, base_url: 'http://127.0.0.1:1'}\n"
                            "  - {name: api, kind: paste_api, base_url: 'http://127.0.0.1:1'}\n"
                            "  - {name: disabled, kind: paste_api, base_url: 'http://127.0.0.1:1', enabled: false}\n")
    result = _scrapy_list("-s", f"LEAKWATCH_SOURCES={path}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["api", "pastes"]


def test_scrapy_list_uses_config_sources_yaml_by_default():
    result = _scrapy_list()
    assert result.returncode == 0, result.stderr
    expected = sorted(s.name for s in load_sources(REPO / "config" / "sources.yaml", enabled_only=True))
    assert result.stdout.split() == expected and expected


def test_scrapy_list_shows_the_line_of_a_bad_source(tmp_path):
    path = _write(tmp_path, "sources:\n  - {name: x, kind: wiki, base_url: 'http://a'}\n")
    result = _scrapy_list("-s", f"LEAKWATCH_SOURCES={path}")
    assert result.returncode != 0
    assert f"{path}:2: source 'x': kind must be one of" in result.stderr


def test_a_thread_key_source_must_be_known_and_a_selector_source_needs_its_selector():
    head = "sources:\n  - name: f\n    kind: forum\n    base_url: http://a\n    credentials: env:U/P\n    forum:\n"
    with pytest.raises(SourcesError, match=r"s.yaml:7: source 'f': forum.thread_key_from must be one of "
                                           r"canonical, selector, link, got 'title'"):
        parse_sources(head + "      thread_key_from: title\n", "s.yaml")
    with pytest.raises(SourcesError, match=r"s.yaml:7: source 'f': forum.thread_key_from is selector: "
                                           r"set forum.thread_key_selector too"):
        parse_sources(head + "      thread_key_from: selector\n", "s.yaml")
    [source] = parse_sources(head + "      thread_key_from: selector\n      thread_key_selector: h2::attr(data-id)\n"
                                    "      topic_last_post_pattern: /post/(\\d+)\n", "s.yaml")
    assert source.options["thread_key_selector"] == "h2::attr(data-id)"
    assert source.options["topic_last_post_pattern"] == r"/post/(\d+)"


def test_new_keys_default_to_the_behaviour_before_them():
    [paste, forum] = parse_sources("sources:\n  - {name: p, kind: paste_listing, base_url: 'http://a'}\n"
                                   "  - {name: f, kind: forum, base_url: 'http://a', credentials: 'env:U/P'}\n")
    assert paste.options["file_key_pattern"] == ""  # files of a paste: PASTE/file-N
    assert forum.options["thread_key_from"] == "canonical" and forum.options["topic_last_post_pattern"] == ""


def test_a_bad_file_key_pattern_is_reported_with_its_line():
    with pytest.raises(SourcesError, match=r"s.yaml:5: source 'p': listing.file_key_pattern is not a valid regular"):
        parse_sources("sources:\n  - name: p\n    kind: paste_listing\n    base_url: http://a\n"
                      "    listing: {file_key_pattern: '/raw/(['}\n", "s.yaml")
