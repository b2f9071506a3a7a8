"""CSV in blocks of lines: parsed anywhere, the blocks give exactly the records of the whole stream."""

import codecs
import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leakwatch.matchers.extract import ExtractLimits, open_documents
from leakwatch.matchers.extract.readers.blocks import BLOCK_BYTES, FIRST_RECORDS, RawBlock, read_delimited_blocks
from leakwatch.matchers.extract.readers.delimited import read_delimited

# Small limits and blocks, so that short inputs cross every boundary: block ends, cut lines,
# the csv field limit, and the give-up point where the rest is read record by record.
LIMITS = ExtractLimits(max_line_chars=80, max_cell_chars=60, max_cells=6)
BLOCK = 64
FIRST = 3  # records parsed before the first block


def whole(data: bytes, encoding="utf-8", delimiter=";", skip_header=False, limits=LIMITS):
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    return list(read_delimited(text, delimiter, skip_header, limits))


def in_blocks(data: bytes, encoding="utf-8", delimiter=";", skip_header=False, limits=LIMITS, block=BLOCK):
    """The records, each block parsed on its own; and how many blocks there were."""
    records, blocks = [], 0
    for item in read_delimited_blocks(io.BytesIO(data), encoding, "replace", delimiter, skip_header, limits, block,
                                      FIRST):
        if isinstance(item, RawBlock):
            blocks += 1
            records.extend(item.records())
            spans = item.spans()  # the C tokenizer's view of the block: the same records, or none
            assert spans is None or list(spans) == item.records()
        else:
            records.append(item)
    return records, blocks


def test_a_file_without_quotes_is_given_out_as_blocks_after_its_first_records():
    lines = [f"{n};Nom{n};Prénom;05/12/1961;06 10 01 20 46\n" for n in range(200)]
    data = ("id;nom;prenom;ddn;tel\n" + "".join(lines)).encode()
    items = list(read_delimited_blocks(io.BytesIO(data), "utf-8", "replace", ";", True, LIMITS, BLOCK, FIRST))
    assert [row[0] for row in items[:FIRST]] == ["0", "1", "2"]  # header skipped, parsed here
    assert sum(isinstance(i, RawBlock) for i in items) > 50
    assert in_blocks(data, skip_header=True)[0] == whole(data, skip_header=True)


def test_a_quoted_field_running_over_a_block_end_is_kept_whole():
    note = "a note\nover\nfour\nlines; with; semicolons"
    lines = [f'{n};Nom{n};"{note if n % 7 == 0 else "plain"}"\n' for n in range(120)]
    data = "".join(lines).encode()
    records, _ = in_blocks(data, limits=ExtractLimits(max_cells=6))
    assert records == whole(data, limits=ExtractLimits(max_cells=6))
    assert len(records) == 120 and records[7][2] == note


def test_quoted_fields_that_end_on_their_line_are_given_out_as_blocks():
    # Every field quoted (a spreadsheet's export), or only those holding the delimiter or a
    # quote, doubled: each line is a record, so the lines are parsed wherever the block goes.
    lines = [f'"{n}";"Nom{n}";"{n % 5} rue ""du Port""";"05/12/1961"\r\n' if n % 2 else
             f'{n};Nom{n};"{n % 5}; rue";05/12/1961\n' for n in range(300)]
    data = "".join(lines).encode()
    records, blocks = in_blocks(data)
    assert blocks > 20 and records == whole(data)
    assert records[1] == ["1", "Nom1", '1 rue "du Port"', "05/12/1961"] and records[2][2] == "2; rue"
    block = next(i for i in read_delimited_blocks(io.BytesIO(data), "utf-8", "replace", ";", False, LIMITS, BLOCK, FIRST)
                 if isinstance(i, RawBlock))
    assert block.spans() is not None  # cut in C, the escaped quotes read by the csv module


def test_a_quote_that_never_closes_falls_back_to_reading_record_by_record():
    data = ('1;"never closed;x\n' + "".join(f"{n};plain;x\n" for n in range(2, 400))).encode()
    assert in_blocks(data)[0] == whole(data)


def test_byte_order_mark_nul_bytes_crlf_and_lone_cr_read_as_in_one_go():
    body = "".join(f"{n};a\x00b;c\r\n" if n % 3 else f"{n};x;y\r" for n in range(300))
    data = codecs.BOM_UTF8 + ("id;v;w\r\n" + body).encode()
    records, blocks = in_blocks(data, encoding="utf-8-sig", skip_header=True)
    assert blocks and records == whole(data, encoding="utf-8-sig", skip_header=True)
    assert records[:2] == [["0", "x", "y"], ["1", "ab", "c"]]


def test_latin1_and_a_last_line_without_line_end():
    data = "".join(f"{n};Hélène;Orléans\n" for n in range(300)).encode("latin-1") + "300;Zoé;Metz".encode("latin-1")
    records, blocks = in_blocks(data, encoding="latin-1")
    assert blocks and records == whole(data, encoding="latin-1")
    assert records[-1] == ["300", "Zoé", "Metz"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(st.sampled_from(['a', 'é', ';', ',', '"', '\n', '\r', '\x00', ' ', '\ufeff', 'x' * 30]),
                     max_size=400).map("".join),
       skip_header=st.booleans(), delimiter=st.sampled_from([";", ","]), block=st.sampled_from([16, 64, 200]))
def test_any_text_gives_the_same_records_in_blocks_as_in_one_go(text, skip_header, delimiter, block):
    data = text.encode()
    assert in_blocks(data, delimiter=delimiter, skip_header=skip_header, block=block)[0] == \
        whole(data, delimiter=delimiter, skip_header=skip_header)


def items_of(source, **kwargs):
    """Every record or block of each document, read while the walk is on it."""
    return [(doc, list(doc.records())) for doc in open_documents(source, **kwargs)]


def test_open_documents_gives_blocks_only_when_asked_and_only_outside_archives(tmp_path):
    table = ("nom;prenom;ddn\n" + "".join(f"Nom{n};Jean;05/12/1961\n" for n in range(100_000))).encode()
    path = tmp_path / "big.csv"
    path.write_bytes(table)
    ((doc, items),) = items_of(path, blocks=True)
    assert any(isinstance(i, RawBlock) for i in items)
    # A scan profiles the table from rows parsed before any block, as one process would.
    parsed_first = next(n for n, i in enumerate(items) if isinstance(i, RawBlock))
    assert FIRST_RECORDS <= parsed_first <= (BLOCK_BYTES // 8) // 20  # read in small pieces; rows of 20+ bytes
    assert doc.rows == sum(isinstance(i, list) for i in items)  # a block's rows are counted where parsed
    assert sum(len(i.records()) if isinstance(i, RawBlock) else 1 for i in items) == 100_000
    ((_, plain),) = items_of(path)
    assert all(isinstance(i, list) for i in plain) and len(plain) == 100_000
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("big.csv", table)
    ((_, member),) = items_of(archive, blocks=True)
    assert all(isinstance(i, list) for i in member) and len(member) == 100_000


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(st.sampled_from(['a', 'é', ';', ',', '\n', '\r', '\r\n', '\x00', ' ', '\ufeff', '\x0b', '\x1e',
                                      '\u2028', 'x' * 30, 'y' * 90]), max_size=400).map("".join),
       delimiter=st.sampled_from([";", ","]), block=st.sampled_from([16, 64, 200]))
def test_quote_free_text_gives_the_same_records_in_blocks(text, delimiter, block):
    # Mostly RawBlocks, read by splitting at the delimiter where the csv module is not needed.
    data = text.encode()
    assert in_blocks(data, delimiter=delimiter, block=block)[0] == whole(data, delimiter=delimiter)


def test_plain_lines_are_split_without_the_csv_module_only_where_it_would_agree():
    from leakwatch.matchers.extract.readers.blocks import _split_plain

    assert _split_plain("1;a\x00b;c\r\n\r\n2;x;y;z;5;6;7;8\n", ";", LIMITS) == [["1", "ab", "c"], ["2", "x", "y", "z", "5", "6", "7", "8"]]
    assert _split_plain("1;a\r2;b\n", ";", LIMITS) is None       # a lone CR ends a record for csv
    assert _split_plain("1;" + "x" * 58 + "\n", ";", LIMITS) is None  # a field near the csv limit (60)
    assert _split_plain("1;" + "x" * 56 + "\n", ";", LIMITS) == [["1", "x" * 56]]
