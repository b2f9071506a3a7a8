"""Combo lists in blocks of lines: parsed anywhere, in Python or cut in C, the blocks give exactly
the records of the whole stream."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leakwatch.matchers.extract import ExtractLimits, open_documents
from leakwatch.matchers.extract.readers.combo import ComboBlock, read_combo, read_combo_blocks
from leakwatch.matchers.extract.readers.spans import CellSpans

LIMITS = ExtractLimits(max_line_chars=80, max_cell_chars=60, max_cells=6)
ERRORS = "replace"


def whole(data: bytes, encoding="utf-8"):
    return list(read_combo(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors=ERRORS, newline=""), LIMITS))


def in_blocks(data: bytes, encoding="utf-8", block=64, first=3):
    """The records, each block read on its own (its spans checked against its records), and how many blocks."""
    records, blocks = [], 0
    for item in read_combo_blocks(io.BytesIO(data), encoding, ERRORS, LIMITS, block, first):
        if isinstance(item, ComboBlock):
            blocks += 1
            rows = item.records()
            spans = item.spans()
            assert spans is None or list(spans) == rows
            records.extend(rows)
        else:
            records.append(item)
    return records, blocks


def test_a_combo_list_is_given_out_as_blocks_after_its_first_records():
    lines = [f"user{n}@mail{n % 7}.fr:{'pass;word' if n % 3 else 'p|w'}\r\n" if n % 11 else "  chatter, buy more\n"
             for n in range(300)]
    data = "".join(lines).encode()
    records, blocks = in_blocks(data)
    assert blocks > 50 and records == whole(data)
    assert records[1] == ["user1@mail1.fr", "pass;word"] and records[0] == ["chatter, buy more"]
    block = next(i for i in read_combo_blocks(io.BytesIO(data), "utf-8", ERRORS, LIMITS, 64, 3)
                 if isinstance(i, ComboBlock))
    assert isinstance(block.spans(), CellSpans)  # ASCII lines: cut in C


_PIECES = ["a", "jo.doe", "@", "mail.fr", ":", ";", "|", ".", " ", "\t", "\x0b", "\x1c", "\n", "\r\n", "\r", "\x00",
           "é", "x" * 30, "y" * 70, "@@", "pw"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(st.sampled_from(_PIECES), max_size=150).map("".join),
       encoding=st.sampled_from(["utf-8", "cp1252"]), block=st.sampled_from([16, 64, 200]))
def test_any_text_gives_the_same_records_in_blocks_as_in_one_go(text, encoding, block):
    data = text.encode(encoding)
    assert in_blocks(data, encoding, block)[0] == whole(data, encoding)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(st.sampled_from(_PIECES), max_size=80).map("".join))
def test_a_block_is_cut_in_c_unless_python_must_read_it(text):
    data = text.encode()
    block = ComboBlock(data, "utf-8", ERRORS, "", LIMITS)
    spans = block.spans()
    if spans is not None:
        assert list(spans) == block.records()
    else:  # left to Python only for these
        lines = data.replace(b"\r\n", b"\n").split(b"\n")
        assert (max(data, default=0) >= 0x80 or b"\x00" in data or b"\r" in data.replace(b"\r\n", b"")
                or max(map(len, lines)) > 58 or any(len(r) > LIMITS.max_cells for r in block.records()))


def test_open_documents_gives_combo_blocks_only_when_asked(tmp_path):
    path = tmp_path / "combo.txt"
    path.write_bytes("".join(f"someone{n}@example.org:hunter{n}\n" for n in range(80_000)).encode())
    docs = open_documents(path, blocks=True)
    doc = next(docs)
    items = list(doc.records())
    assert doc.format == "combo" and any(isinstance(i, ComboBlock) for i in items)
    count = sum(len(i.records()) if isinstance(i, ComboBlock) else 1 for i in items)
    assert count == 80_000
    plain_docs = open_documents(path)
    assert all(isinstance(i, list) for i in next(plain_docs).records())
