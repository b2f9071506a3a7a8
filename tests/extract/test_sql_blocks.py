"""SQL dumps in blocks of whole statements: read on their own, by the scan's workers, the blocks
give exactly the records of the whole dump."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leakwatch.matchers.extract import ExtractLimits, open_documents
from leakwatch.matchers.extract.readers.spans import _spans
from leakwatch.matchers.extract.readers.sql import SqlBlock, read_sql, read_sql_blocks

LIMITS = ExtractLimits(max_line_chars=200, max_cell_chars=60, max_cells=6)


def whole(data: bytes):
    return list(read_sql(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline=""), LIMITS))


def in_blocks(data: bytes, block=64, first=3):
    records, blocks, header = [], 0, []
    for item in read_sql_blocks(io.BytesIO(data), "utf-8", "replace", LIMITS, header.append, block, first):
        if isinstance(item, SqlBlock):
            blocks += 1
            records.extend(item.records())
        else:
            records.append(item)
    return records, blocks, header


def test_a_dump_is_given_out_as_blocks_of_statements_after_its_first_records():
    statements = ["CREATE TABLE `patients` (`nom` text, `email` text, PRIMARY KEY (`nom`));\n",
                  "-- data; more data\n", "/* a comment; with a ';' */\n"]
    statements += [f"INSERT INTO `patients` VALUES ('Nom{n}','n{n}@x.fr'),('O''Brien; {n}','a\\'b@c.fr'),"
                   f"(NULL,'x');\n" for n in range(200)]
    data = "".join(statements).encode()
    records, blocks, header = in_blocks(data)
    assert blocks > 50 and records == whole(data) and header == [["nom", "email"]]
    assert records[1] == ["O'Brien; 0", "a'b@c.fr"] and records[2] == ["", "x"]


def test_the_cut_is_after_a_statement_outside_strings_comments_and_parentheses():
    assert _spans.sql_cut(b"INSERT INTO t VALUES (1);\nINSERT", 60) == (26, False)
    assert _spans.sql_cut(b"INSERT INTO t VALUES ('a;\n', 2);\nX", 60) == (33, False)
    assert _spans.sql_cut(b"INSERT INTO t VALUES (1;\n", 60) == (0, False)      # an open tuple swallows the ';'
    assert _spans.sql_cut(b"SET x=1; -- done\nINSERT", 60) == (17, False)       # the comment takes its line end
    assert _spans.sql_cut(b"SET x=1;\n/* open; \n", 60) == (9, False)           # no later cut while it is open
    assert _spans.sql_cut(b"SET x=1;\nCOPY t FROM stdin;\n1\t2\n", 60)[1]    # data lines follow: stop
    assert _spans.sql_cut(b"SET x=1;\nINSERT INTO t VALUES ('" + b"x" * 70 + b"');\n", 60) == (9, True)


_VALUES = ["'a'", "'O''Brien'", "'a\\'b'", "'x;y'", "'(('", "'-- no'", "'/*'", "NULL", "1", "-2.5e3", '"dq;"',
           "'é'", "'" + "y" * 70 + "'", "UNHEX('41')", "'multi\nline'"]
_JUNK = ["", "-- note; here\n", "# mysql; comment\n", "/* c; ( */", "SET NAMES utf8;\n", "'", "(", ")", ";", "copy",
         "\r\n", " ", "CREATE TABLE `t` (`a` int, b text);\n", "`q;`", "\\"]
_tuples = st.lists(st.lists(st.sampled_from(_VALUES), min_size=1, max_size=4).map(lambda v: "(" + ",".join(v) + ")"),
                   min_size=1, max_size=4).map(",".join)
_statement = st.one_of(
    _tuples.map(lambda t: f"INSERT INTO t VALUES {t};\n"),
    _tuples.map(lambda t: f"INSERT INTO `t` (`a`, b) VALUES {t};\n"),
    st.sampled_from(_JUNK),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(_statement, max_size=60).map("".join), block=st.sampled_from([16, 64, 200]))
def test_any_dump_gives_the_same_records_in_blocks_as_in_one_go(text, block):
    # Mostly whole statements (values with quotes, ';', parentheses, comment openers inside
    # strings), with junk among them: quotes and parentheses left open, COPY, comments.
    data = text.encode()
    assert in_blocks(data, block)[0] == whole(data)


def test_open_documents_gives_sql_blocks_only_when_asked(tmp_path):
    path = tmp_path / "dump.sql"
    rows = ",".join(f"('someone{n}','s{n}@example.org')" for n in range(40))
    path.write_bytes(("CREATE TABLE t (nom text, email text);\n" +
                      "".join(f"INSERT INTO t VALUES {rows};\n" for _ in range(3000))).encode())
    docs = open_documents(path, blocks=True)
    doc = next(docs)
    items = list(doc.records())
    assert doc.format == "sql" and doc.header == ["nom", "email"] and any(isinstance(i, SqlBlock) for i in items)
    assert sum(len(i.records()) if isinstance(i, SqlBlock) else 1 for i in items) == 120_000
    plain = open_documents(path)
    assert all(isinstance(i, list) for i in next(plain).records())
