"""The match page's excerpt: row numbers and kinds of fields; an excerpt stored before
(the older redaction, with first characters and lengths) still shows, said to predate this."""

import re

from .conftest import only_match, write_leak
from .helpers import Analyst

OLD_EXCERPT = "2•••••••••••••• | D••••• | s•••••••••• •••"


def test_match_page_shows_row_numbers_and_kinds_of_fields(base_url, analyst, data, server):
    html = Analyst(base_url).client.get(f"/matches/{data.matches['a']}").text
    excerpt = re.search(r'<pre id="excerpt">(.*?)</pre>', html, re.S).group(1)
    lines = excerpt.strip().splitlines()
    assert lines and all(re.fullmatch(r"row \d+: [a-z_(),]+( \| [a-z_(),]+)*", line) for line in lines), lines
    assert "name" in excerpt and "•" not in excerpt
    assert 'id="excerpt-predates"' not in html


def test_an_excerpt_stored_before_still_shows_and_is_said_to_predate_kinds_of_fields(
        base_url, analyst, data, server, runtime, tmp_path):
    rows = data.institutions["labo-04"].rows[40:70]
    data.remember(rows)
    report = runtime.dump_scanner.scan_path(write_leak(tmp_path / "old.csv", rows), name="old.csv")
    match_id = only_match(report, "labo-04")
    # As an earlier release stored it: the same hash field, the older text.
    runtime.redis.hset(runtime.sightings._key(report.sighting_id), "excerpt", OLD_EXCERPT)
    html = Analyst(base_url).client.get(f"/matches/{match_id}").text
    assert OLD_EXCERPT in html and 'id="excerpt-predates"' in html
    assert "first character and word lengths" in html
