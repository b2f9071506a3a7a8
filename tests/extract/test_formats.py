"""Formats are recognised from content; each gives the records a matcher expects."""

import json

import pytest

from .conftest import only, read_all


def test_csv_with_semicolons_and_header_yields_data_rows_only():
    data = "nom;prénom;ddn;email\nDupont;Jean;05/12/1961;jean@x.fr\nMartin;Luc;1970-01-01;luc@y.fr\n"
    doc = only(read_all(data.encode(), name="patients.txt"))
    assert doc["format"] == "csv"
    assert doc["header"] == ["nom", "prénom", "ddn", "email"]
    assert doc["records"] == [["Dupont", "Jean", "05/12/1961", "jean@x.fr"],
                              ["Martin", "Luc", "1970-01-01", "luc@y.fr"]]
    assert doc["rows"] == 2


def test_a_french_export_header_with_n_degree_is_a_header_not_a_record():
    data = "N° SS;Nom;Prénom;Date de naissance\n249081359166527;Dupont;Jean;05/12/1961\n".encode("latin-1")
    doc = only(read_all(data))
    assert doc["header"] == ["N° SS", "Nom", "Prénom", "Date de naissance"]
    assert doc["records"] == [["249081359166527", "Dupont", "Jean", "05/12/1961"]]


def test_a_header_with_empty_cells_at_its_end_or_an_unnamed_column_is_a_header():
    # Lines ending with their delimiter, as many French exports write them.
    trailing = only(read_all(b"nom;prenom;ddn;\nDupont;Jean;05/12/1961;\nMartin;Luc;01/02/1970;\n"))
    assert trailing["header"] == ["nom", "prenom", "ddn", ""]
    assert trailing["records"][0] == ["Dupont", "Jean", "05/12/1961", ""] and trailing["rows"] == 2
    # pandas' to_csv writes its index as a first column without a name.
    index = only(read_all(b",nom,prenom,ddn\n0,Dupont,Jean,05/12/1961\n1,Martin,Luc,01/02/1970\n"))
    assert index["header"] == ["", "nom", "prenom", "ddn"] and index["rows"] == 2


@pytest.mark.parametrize("first", ["Export du 12/03/2021;;;", "Patients;;;", ";;;", "Dupont;Jean;;"])
def test_a_title_or_data_row_with_empty_cells_is_no_header(first):
    rows = [first, "Dupont;Jean;05/12/1961;0610012046", "Martin;Luc;01/02/1970;0611223344"]
    doc = only(read_all(("\n".join(rows) + "\n").encode()))
    assert doc["header"] is None


def test_csv_without_header_keeps_its_first_row_as_data():
    data = b"Dupont,Jean,05/12/1961\nMartin,Luc,01/01/1970\nDurand,Marie,02/02/1980\n"
    doc = only(read_all(data))
    assert doc["format"] == "csv"
    assert doc["header"] is None
    assert doc["records"][0] == ["Dupont", "Jean", "05/12/1961"]
    assert len(doc["records"]) == 3


def test_tsv_is_recognised_from_content_even_when_named_json():
    data = b"id\tname\tphone\n1\tDupont\t0610012046\n2\tMartin\t0611223344\n"
    doc = only(read_all(data, name="export.json"))
    assert doc["format"] == "tsv"
    assert doc["header"] == ["id", "name", "phone"]
    assert doc["records"] == [["1", "Dupont", "0610012046"], ["2", "Martin", "0611223344"]]


@pytest.mark.parametrize("delimiter", ["|", "^", ":"])
def test_less_common_delimiters_are_found(delimiter):
    rows = [["Dupont", "Jean", "0610012046"], ["Martin", "Luc", "0611223344"], ["Durand", "Marie", "0622334455"]]
    data = "\n".join(delimiter.join(r) for r in rows).encode()
    doc = only(read_all(data))
    assert doc["format"] == "csv"
    assert doc["records"] == rows


def test_quoted_fields_keep_delimiters_quotes_and_newlines():
    data = b'name,comment,city\n"Dupont, Jean","says ""hi""\nand bye",Paris\nMartin,plain,Lyon\n'
    doc = only(read_all(data))
    assert doc["records"] == [["Dupont, Jean", 'says "hi"\nand bye', "Paris"], ["Martin", "plain", "Lyon"]]


def test_half_written_csv_cut_mid_quote_yields_what_it_can():
    data = b'name,email\nDupont,jean@x.fr\nMartin,luc@y.fr\n"Durand, Ma'
    doc = only(read_all(data))
    assert doc["raised"] is None
    assert doc["records"][:2] == [["Dupont", "jean@x.fr"], ["Martin", "luc@y.fr"]]
    assert len(doc["records"]) == 3 and "Durand, Ma" in doc["records"][2][0]


def test_nul_bytes_in_csv_are_stripped():
    data = b"name,email\nDu\x00pont,jean@x.fr\x00\nMartin,luc@y.fr\n"
    doc = only(read_all(data))
    assert doc["format"] == "csv"
    assert doc["records"] == [["Dupont", "jean@x.fr"], ["Martin", "luc@y.fr"]]


def test_sql_insert_multi_row_with_escaped_quotes_and_null():
    data = (b"INSERT INTO `patients` (`id`, `nom`, `note`, `tel`) VALUES "
            b"(1, 'O\\'Brien', 'it''s fine', NULL),\n(2, 'Dupont', 'a;b,c', '0610012046'),"
            b"(3,'Martin','',-1.5e3);\n"
            b"INSERT INTO patients (id, nom, note, tel) VALUES (4,'Durand','x\\\\y','06');\n")
    doc = only(read_all(data, name="dump.txt"))
    assert doc["format"] == "sql"
    assert doc["header"] == ["id", "nom", "note", "tel"]
    assert doc["records"] == [
        ["1", "O'Brien", "it's fine", ""],
        ["2", "Dupont", "a;b,c", "0610012046"],
        ["3", "Martin", "", "-1.5e3"],
        ["4", "Durand", "x\\y", "06"],
    ]


MYSQLDUMP = b"""-- MySQL dump 10.13  Distrib 8.0.36
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
DROP TABLE IF EXISTS `users`;
CREATE TABLE `users` (
  `id` int NOT NULL AUTO_INCREMENT,
  `email` varchar(255) DEFAULT NULL,
  `full_name` varchar(100) DEFAULT 'a,b',
  PRIMARY KEY (`id`),
  UNIQUE KEY `email` (`email`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
LOCK TABLES `users` WRITE;
INSERT INTO `users` VALUES (1,'jean@x.fr','Jean \\"JJ\\" Dupont'),(2,NULL,'Luc; Martin');
UNLOCK TABLES;
"""


SQL_SERVER = """SET IDENTITY_INSERT [dbo].[Patients] ON
GO
INSERT [dbo].[Patients] ([Id], [Nom], [Prenom], [DateNaissance], [Note]) VALUES (1, N'DUPONT', N'Jean-Pierre', CAST(N'1961-12-05' AS Date), N'ligne 1' + CHAR(13) + CHAR(10) + N'ligne 2')
GO
INSERT INTO [dbo].[Patients] ([Id], [Nom], [Prenom], [DateNaissance], [Note]) VALUES (2, N'MARTIN', N'Hélène', CONVERT(datetime, N'17/05/1970', 103), NULL)
GO
"""
ORACLE = """REM INSERTING into PATIENTS
SET DEFINE OFF;
Insert into PATIENTS (ID,NOM,PRENOM,DATE_NAISSANCE) values ('1','DUPONT','Jean-Pierre',to_date('05-DEC-61','DD-MON-RR'));
Insert into PATIENTS (ID,NOM,PRENOM,DATE_NAISSANCE) values ('2',CONCAT('MARTIN', ' épouse DURAND'),'Hélène',DATE '1970-05-17');
"""
SQLITE = """PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE patients (id INTEGER PRIMARY KEY, nom TEXT, prenom TEXT, ddn TEXT);
INSERT INTO patients VALUES(1,'DUPONT','Jean-Pierre','1961-12-05');
INSERT INTO patients VALUES(2,'MARTIN','Hélène','1970-05-17');
COMMIT;
"""


@pytest.mark.parametrize("dump, header, records", [
    (SQL_SERVER, ["Id", "Nom", "Prenom", "DateNaissance", "Note"],
     [["1", "DUPONT", "Jean-Pierre", "1961-12-05", "ligne 1 ligne 2"], ["2", "MARTIN", "Hélène", "17/05/1970", ""]]),
    (ORACLE, ["ID", "NOM", "PRENOM", "DATE_NAISSANCE"],
     [["1", "DUPONT", "Jean-Pierre", "05-DEC-61"], ["2", "MARTIN  épouse DURAND", "Hélène", "1970-05-17"]]),
    (SQLITE, ["id", "nom", "prenom", "ddn"],
     [["1", "DUPONT", "Jean-Pierre", "1961-12-05"], ["2", "MARTIN", "Hélène", "1970-05-17"]]),
], ids=["sql-server", "oracle", "sqlite"])
def test_sql_server_oracle_and_sqlite_dumps_give_their_values(dump, header, records):
    doc = only(read_all(dump.encode()))
    assert doc["format"] == "sql" and doc["error"] is None
    assert doc["header"] == header and doc["records"] == records


def test_a_long_unicode_string_of_sql_server_is_read_in_windows_whole():
    from leakwatch.matchers.extract import ExtractLimits

    note = "".join(f"mot{n} " for n in range(3000))
    dump = f"INSERT [dbo].[P] ([Nom], [Note]) VALUES (N'DUPONT', N'{note}')\nGO\n"
    doc = only(read_all(dump.encode(), limits=ExtractLimits(max_cell_chars=1000, max_line_chars=1000)))
    # given out as it is read, in windows that overlap: every word in one of them, no prefix read as text
    text = "\n".join(cell for record in doc["records"] for cell in record)
    assert len(doc["records"]) > 10 and ["DUPONT"] in [r[:1] for r in doc["records"]]
    assert all(f"mot{n} " in text for n in range(3000)) and "N'" not in text


def test_mysqldump_without_column_list_takes_its_header_from_create_table():
    doc = only(read_all(MYSQLDUMP))
    assert doc["format"] == "sql"
    assert doc["header"] == ["id", "email", "full_name"]
    assert doc["records"] == [["1", "jean@x.fr", 'Jean "JJ" Dupont'], ["2", "", "Luc; Martin"]]


def test_sql_dump_cut_inside_a_tuple_keeps_the_complete_tuples():
    data = b"INSERT INTO t (a, b) VALUES (1,'x'),(2,'y'),(3,'unterminated"
    doc = only(read_all(data))
    assert doc["records"] == [["1", "x"], ["2", "y"]]


def test_json_lines_are_flattened_to_leaf_values_with_key_paths_as_header():
    lines = [{"name": "Dupont", "contact": {"email": "jean@x.fr", "phones": ["06", "07"]}, "vip": True},
             {"name": "Martin", "contact": {"email": "luc@y.fr", "phones": []}, "vip": None}]
    data = "\n".join(json.dumps(x) for x in lines).encode() + b"\nnot json at all\n"
    doc = only(read_all(data))
    assert doc["format"] == "jsonl"
    assert doc["header"] == ["name", "contact.email", "contact.phones.0", "contact.phones.1", "vip"]
    assert doc["records"] == [["Dupont", "jean@x.fr", "06", "07", "true"], ["Martin", "luc@y.fr", ""],
                              ["not json at all"]]


def test_json_lines_after_a_line_of_chatter_are_json_lines():
    # A forum post: a sentence, then the sample in a code block.
    rows = [{"name": "Jean DUPONT", "birth": "1961-12-05", "tel": "0610012046"},
            {"name": "Luc MARTIN", "birth": "05/12/1962", "tel": "0610012047"}]
    data = ("sample, rest in PM\n" + "\n".join(json.dumps(r) for r in rows) + "\n").encode()
    doc = only(read_all(data))
    assert doc["format"] == "jsonl"
    assert doc["records"] == [["sample, rest in PM"], ["Jean DUPONT", "1961-12-05", "0610012046"],
                              ["Luc MARTIN", "05/12/1962", "0610012047"]]


def test_prose_quoting_one_json_object_stays_text():
    data = b'we saw this:\n{"a": 1}\nand then a long story\nover several lines\nof prose\n'
    assert only(read_all(data))["format"] == "text"


def test_json_array_of_objects_gives_one_record_per_object():
    data = json.dumps([{"id": 1, "email": "a@x.fr", "score": 1.5}, {"id": 2, "email": "b@x.fr", "score": 2}],
                      indent=2).encode()
    doc = only(read_all(data))
    assert doc["format"] == "json"
    assert doc["header"] == ["id", "email", "score"]
    assert doc["records"] == [["1", "a@x.fr", "1.5"], ["2", "b@x.fr", "2"]]


def test_json_object_wrapping_an_array_reads_the_array_items():
    data = json.dumps({"meta": {"count": 2}, "users": [{"email": "a@x.fr"}, {"email": "b@x.fr"}]}).encode()
    doc = only(read_all(data))
    assert doc["format"] == "json"
    assert doc["records"] == [["a@x.fr"], ["b@x.fr"]]


def test_truncated_json_array_yields_items_then_raises_without_quoting_data():
    data = b'[{"email": "a@x.fr"}, {"email": "b@x.fr"}, {"email": "secret-value'
    doc = only(read_all(data))
    assert doc["records"] == [["a@x.fr"], ["b@x.fr"]]
    assert doc["raised"] is not None and "JSON" in str(doc["raised"])
    assert "secret" not in str(doc["raised"])


def test_text_starting_with_a_bracket_is_not_json():
    data = b"[INFO] dump of the week\n[INFO] contact: jean@x.fr\n"
    doc = only(read_all(data))
    assert doc["format"] == "text"
    assert doc["records"] == [["[INFO] dump of the week"], ["[INFO] contact: jean@x.fr"]]


@pytest.mark.parametrize("sep", [":", ";", "|"])
def test_combo_list_gives_email_and_password(sep):
    data = f"jean@x.fr{sep}hunter2\nluc@y.com{sep}p@ss{sep}word\n\nmarie@z.org{sep}123456\n".encode()
    doc = only(read_all(data))
    assert doc["format"] == "combo"
    assert doc["records"][0] == ["jean@x.fr", "hunter2"]
    assert doc["records"][1][0] == "luc@y.com"
    assert doc["records"][2] == ["marie@z.org", "123456"]


def test_two_column_csv_with_email_header_is_csv_not_combo():
    data = b"email;nom\njean@x.fr;Dupont\nluc@y.fr;Martin\n"
    doc = only(read_all(data))
    assert doc["format"] == "csv"
    assert doc["header"] == ["email", "nom"]


PASTE = """Fresh dump from the lab, 200 rows as a teaser.
Contact me on the forum for the rest.

| nom    | prenom | ddn        | email          |
|--------|--------|------------|----------------|
| Dupont | Jean   | 05/12/1961 | jean@x.fr      |
| Martin | Luc    | 01/01/1970 | luc@y.fr       |

Price: 0.5 BTC. Don't ask twice.
"""


def test_pipe_table_inside_chatter_gives_cells_and_header_prose_gives_lines():
    doc = only(read_all(PASTE.encode()))
    assert doc["format"] == "text"
    assert doc["header"] == ["nom", "prenom", "ddn", "email"]
    assert doc["records"] == [
        ["Fresh dump from the lab, 200 rows as a teaser."],
        ["Contact me on the forum for the rest."],
        ["Dupont", "Jean", "05/12/1961", "jean@x.fr"],
        ["Martin", "Luc", "01/01/1970", "luc@y.fr"],
        ["Price: 0.5 BTC. Don't ask twice."],
    ]


def test_a_pipe_delimited_export_whose_first_cells_are_sometimes_empty_keeps_its_columns():
    # A record whose first cell is empty starts with a pipe, as a Markdown table's rows do:
    # read as such a row it would lose that cell, and every later cell would shift a column.
    lines = ["nir|nom|prenom|ddn|ville"]
    for i in range(40):
        nir = "" if i % 3 == 0 else f"1{i:02d}0575056{i:03d}42"
        last = "" if i % 5 == 0 else "Lyon"
        lines.append(f"{nir}|NOM{i}|Prenom{i}|0{i % 9 + 1}/03/19{50 + i}|{last}")
    doc = only(read_all(("\n".join(lines) + "\n").encode()))
    assert doc["format"] == "csv"
    assert doc["header"] == ["nir", "nom", "prenom", "ddn", "ville"]
    assert len(doc["records"]) == 40 and {len(r) for r in doc["records"]} == {5}
    assert doc["records"][0] == ["", "NOM0", "Prenom0", "01/03/1950", ""]
    assert doc["records"][1][:2] == ["101057505600142", "NOM1"]


def test_a_markdown_table_with_a_row_of_empty_first_cells_is_still_a_table():
    data = """| nom | prenom | ddn |
|-----|--------|-----|
| Dupont | Jean | 05/12/1961 |
| | Luc | 01/01/1970 |
| Durand | Marie | 02/02/1980 |
""".encode()
    doc = only(read_all(data))
    assert doc["format"] == "text"
    assert doc["header"] == ["nom", "prenom", "ddn"]
    assert ["Dupont", "Jean", "05/12/1961"] in doc["records"]


def test_ascii_table_with_borders_as_printed_by_mysql_client():
    data = """mysql> select * from patients;
+----+--------+-----------+
| id | nom    | tel       |
+----+--------+-----------+
|  1 | Dupont | 0610012046|
|  2 | Martin | 0611223344|
+----+--------+-----------+
2 rows in set (0.00 sec)
""".encode()
    doc = only(read_all(data))
    assert doc["format"] == "text"
    assert doc["header"] == ["id", "nom", "tel"]
    assert ["1", "Dupont", "0610012046"] in doc["records"]
    assert ["2", "Martin", "0611223344"] in doc["records"]
    assert ["id", "nom", "tel"] not in doc["records"]
    assert not any(r[0].startswith("+") for r in doc["records"])


def test_block_of_semicolon_lines_inside_text_is_split_into_cells():
    data = """hello all, here is a sample:

Dupont;Jean;05/12/1961;Paris
Martin;Luc;01/01/1970;Lyon
Durand;Marie;02/02/1980;Nice

more soon, stay tuned
""".encode()
    doc = only(read_all(data))
    assert doc["format"] == "text"
    assert doc["records"] == [
        ["hello all, here is a sample:"],
        ["Dupont", "Jean", "05/12/1961", "Paris"],
        ["Martin", "Luc", "01/01/1970", "Lyon"],
        ["Durand", "Marie", "02/02/1980", "Nice"],
        ["more soon, stay tuned"],
    ]
