"""JSON lines in blocks of lines: parsed anywhere, the blocks give exactly the records of the
whole stream, and what they skip is counted as the whole stream's reading counts it."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leakwatch.matchers.extract import ExtractLimits
from leakwatch.matchers.extract.notes import Notes
from leakwatch.matchers.extract.readers.json_lines import JsonLinesBlock, read_json_lines, read_json_lines_blocks

LIMITS = ExtractLimits(max_line_chars=120, max_cell_chars=60, max_cells=6, max_depth_json=3)


def whole(data: bytes):
    notes = Notes()
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline="")
    return list(read_json_lines(text, LIMITS, notes)), notes.counts()


def in_blocks(data: bytes, block=64, first=3):
    records, notes, blocks = [], Notes(), 0
    for item in read_json_lines_blocks(io.BytesIO(data), "utf-8", "replace", LIMITS, notes, block, first):
        if isinstance(item, JsonLinesBlock):
            blocks += 1
            records.extend(item.records())
            for template, count in item.notes.counts().items():
                notes.add(template, count)
            assert item.spans() is None
        else:
            records.append(item)
    return records, notes.counts(), blocks


def test_json_lines_are_given_out_as_blocks_after_their_first_records():
    lines = [f'{{"nom": "Nom{n}", "email": "n{n}@x.fr", "a": {{"b": {{"c": {{"d": 1}}}}}}}}\n' if n % 9 == 0
             else f'{{"nom": "Nom{n}", "tags": ["x", "y"], "ddn": "05/12/1961"}}\n' for n in range(300)]
    data = "".join(lines).encode()
    records, notes, blocks = in_blocks(data)
    assert blocks > 50 and (records, notes) == whole(data)
    assert notes and list(notes.values()) == [34]  # the deep value of every ninth line, counted once each


_PIECES = ['{"a": ', '"x"', "1", "[", "]", "{", "}", ", ", '"k": ', "\n", "\r\n", "\r", " ", "é", "not json", "\x00",
           '"' + "y" * 70 + '"']


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(st.sampled_from(_PIECES), max_size=200).map("".join), block=st.sampled_from([16, 64, 200]))
def test_any_text_gives_the_same_records_and_notes_in_blocks_as_in_one_go(text, block):
    data = text.encode()
    records, notes, _ = in_blocks(data, block)
    assert (records, notes) == whole(data)
