"""pg_dump output: COPY ... FROM stdin blocks, read as tables, mixed with INSERTs."""

import io

import pytest

from leakwatch.matchers.extract import ExtractLimits, open_documents
from leakwatch.matchers.extract.readers.pg_copy import CopyFormat, copy_format, copy_records, split_line

from .conftest import NonSeekable, only, read_all

PG_DUMP = r"""--
-- PostgreSQL database dump
--

\restrict Zx9abcDEF

-- Dumped from database version 16.4
SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SELECT pg_catalog.set_config('search_path', '', false);

CREATE TABLE public.patients (
    nir character varying(15),
    nom text NOT NULL,
    prenom text,
    ddn date,
    note text
);

ALTER TABLE public.patients OWNER TO postgres;

--
-- Data for Name: patients; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.patients (nir, nom, prenom, ddn, note) FROM stdin;
161127511104237	DUPONT	Jean	1961-12-05	\N
270056900100212	O'Brien	Hélène	1970-05-17	tab\there\nnew line \\ back\303\251\x41
\N	MARTIN	Luc	\N	\\N is not null
\.

INSERT INTO public.contacts (email, tel) VALUES ('jean@x.fr', '0612345678'), ('luc@y.fr', NULL);

COPY public.empty_table (a) FROM stdin;
\.

COPY public.visits (patient, jour) FROM stdin;
DUPONT	2024-01-02
\.

--
-- PostgreSQL database dump complete
--

\unrestrict Zx9abcDEF
"""


def test_pg_dump_copy_blocks_give_unescaped_records_with_the_copy_columns_as_header():
    doc = only(read_all(PG_DUMP.encode(), name="prod.sql"))
    assert doc["format"] == "pg_copy"
    assert doc["header"] == ["nir", "nom", "prenom", "ddn", "note"]
    assert doc["records"] == [
        ["161127511104237", "DUPONT", "Jean", "1961-12-05", ""],
        ["270056900100212", "O'Brien", "Hélène", "1970-05-17", "tab\there\nnew line \\ backéA"],
        ["", "MARTIN", "Luc", "", "\\N is not null"],
        ["jean@x.fr", "0612345678"],   # the INSERT between the blocks is read too
        ["luc@y.fr", ""],
        ["DUPONT", "2024-01-02"],
    ]
    assert doc["rows"] == 6 and doc["error"] is None


def test_copy_header_falls_back_to_the_create_table_columns():
    dump = ("CREATE TABLE patients (\n  nom text,\n  tel text,\n  PRIMARY KEY (nom)\n);\n"
            "COPY patients FROM stdin;\nDupont\t0612345678\n\\.\n")
    doc = only(read_all(dump.encode()))
    assert doc["format"] == "pg_copy"
    assert doc["header"] == ["nom", "tel"]
    assert doc["records"] == [["Dupont", "0612345678"]]


@pytest.mark.parametrize("field, value", [
    ("\\N", ""),
    ("a\\\\b", "a\\b"),
    ("\\\\N", "\\N"),              # an escaped backslash then N: text, not NULL
    ("\\\\101", "\\101"),          # not an octal escape: its backslash is escaped
    ("\\101\\x42\\103", "ABC"),
    ("caf\\303\\251", "café"),     # UTF-8 bytes written as octal escapes
    ("caf\\xe9", "café"),          # a byte that is no UTF-8: read as cp1252
    ("\\b\\f\\v\\r", "\b\f\v\r"),
    ("\\q", "q"),                  # any other escaped character is itself
    ("\\x", "x"),
])
def test_text_format_escapes(field, value):
    assert split_line(f"left\t{field}\tright") == ["left", value, "right"]


@pytest.mark.parametrize("line, cells", [
    ("\\N\t\\N\t\\N", ["", "", ""]),        # adjacent NULLs share their delimiters
    ("a\t\\N\t\\N\tb", ["a", "", "", "b"]),
    ("\\\\N\t\\N", ["\\N", ""]),
    ("x\\N\t\\N", ["xN", ""]),
])
def test_nulls_among_other_fields(line, cells):
    assert list(copy_records([line], CopyFormat(), ExtractLimits())) == [cells]


def test_an_escaped_delimiter_stays_inside_its_field():
    assert split_line("a\\\tb\tc") == ["a\tb", "c"]
    assert split_line("a\\\\\tb") == ["a\\", "b"]


def test_copy_options_delimiter_null_and_csv_format():
    dump = ("COPY t (nom, ville) FROM stdin WITH (DELIMITER '|', NULL 'nada');\n"
            "Dupont|nada\nMartin|Lyon\n\\.\n"
            "COPY u (nom, note) FROM STDIN WITH (FORMAT csv, HEADER true);\n"
            'nom,note\nDurand,"a, b"\n"Petit","x ""y"""\n\\.\n'
            "COPY v (a, b) FROM stdin DELIMITER ';' CSV;\n1;2\n\\.\n")
    doc = only(read_all(dump.encode()))
    assert doc["format"] == "pg_copy"
    assert doc["records"] == [["Dupont", ""], ["Martin", "Lyon"], ["Durand", "a, b"], ["Petit", 'x "y"'],
                              ["1", "2"]]


@pytest.mark.parametrize("options, expected", [
    ("", CopyFormat()),
    ("WITH (FORMAT csv, HEADER true, DELIMITER ';')", CopyFormat(";", "", True, '"', True)),
    ("DELIMITER AS '|' NULL 'nada' CSV HEADER", CopyFormat("|", "nada", True, '"', True)),
    ("WITH (DELIMITER E'\\t', HEADER false)", CopyFormat()),
    ("WITH (FORMAT text, HEADER, NULL '')", CopyFormat("\t", "", False, '"', True)),
    ("WITH (FORMAT binary)", None),
])
def test_copy_options(options, expected):
    from leakwatch.matchers.extract.readers.sql import _unquote, tokens
    found = [(kind, _unquote(kind, text)) for kind, text in tokens(io.StringIO(options), 1000)]
    assert copy_format(found) == expected


def test_copy_to_stdout_and_binary_copies_give_no_records_but_the_rest_is_read():
    dump = ("COPY t (a) TO stdout;\nCOPY t (a) FROM stdin WITH (FORMAT binary);\n"
            "INSERT INTO t (a) VALUES ('kept');\n")
    doc = only(read_all(dump.encode()))
    assert doc["records"] == [["kept"]]


def test_a_dump_cut_inside_a_copy_block_keeps_every_line_read():
    dump = "COPY t (nom, tel) FROM stdin;\nDupont\t0612345678\nMartin\t06112"
    doc = only(read_all(dump.encode()))
    assert doc["records"] == [["Dupont", "0612345678"], ["Martin", "06112"]]
    assert doc["raised"] is None


def test_crlf_line_ends_and_nul_bytes():
    dump = b"COPY t (nom, tel) FROM stdin;\r\nDupont\t06123\x0045678\r\nMartin\t\\N\r\n\\.\r\nINSERT INTO t VALUES ('x', 'y');\r\n"
    doc = only(read_all(dump))
    assert doc["records"] == [["Dupont", "0612345678"], ["Martin", ""], ["x", "y"]]


def test_a_copy_line_longer_than_max_line_chars_is_read_in_windows_and_the_next_lines_are_read():
    long_note = "x" * 5000
    dump = f"COPY t (nom, note) FROM stdin;\nDupont\t{long_note}\nMartin\tcourt\n\\.\n"
    limits = ExtractLimits(max_line_chars=1000)
    doc = only(read_all(NonSeekable(dump.encode()), limits=limits))
    assert doc["records"][0][0] == "Dupont" and len(doc["records"][0][1]) < 1000
    windows = doc["records"][1:-1]  # the rest of the line, none of it dropped
    assert all(len(w) == 1 and len(w[0]) <= 1000 for w in windows) and sum(len(w[0]) for w in windows) > 4000
    assert doc["records"][-1] == ["Martin", "court"]


class _LazyDump(io.RawIOBase):
    """A pg_dump whose one COPY block has ``lines`` lines, made as it is read."""

    def __init__(self, lines: int):
        super().__init__()
        self.head = b"SET client_encoding = 'UTF8';\nCOPY public.big (nom, tel, ddn) FROM stdin;\n"
        self.lines, self.next, self.pending = lines, 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self.pending:
            if self.head:
                self.pending, self.head = self.head, b""
            elif self.next < self.lines:
                upto = min(self.lines, self.next + 5000)
                self.pending = b"".join(b"Nom%d\t06%08d\t\\N\n" % (i, i) for i in range(self.next, upto))
                self.next = upto
            elif self.next == self.lines:
                self.pending, self.next = b"\\.\n", self.next + 1
            else:
                return 0
        n = min(len(b), len(self.pending))
        b[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def test_a_big_copy_block_is_streamed_line_by_line():
    total = 600_000  # about 14 MB
    documents = open_documents(_LazyDump(total))
    doc = next(documents)
    seen = 0
    for cells in doc.records():
        if seen == 0:
            # the first record comes out after the sample and one chunk, not after the whole block
            assert doc.bytes_read < 1024 * 1024
            assert cells == ["Nom0", "0600000000", ""]
        seen += 1
    assert seen == total
    assert doc.format == "pg_copy" and doc.header == ["nom", "tel", "ddn"]
    assert doc.bytes_read > 13 * 1024 * 1024
    assert next(documents, None) is None
