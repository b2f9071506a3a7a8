"""Text tables without delimiters: lines of whitespace-separated fields."""

import pytest

from leakwatch.matchers.extract.readers.fields import split_fields

from .conftest import only, read_all


@pytest.mark.parametrize("line, fields", [
    ("NOM Prénom 05/12/1961 0612345678",
     [("NOM Prénom", "word"), ("05/12/1961", "date"), ("0612345678", "phone")]),
    ("DUPONT Jean  1961-12-05  06 12 34 56 78  75011",
     [("DUPONT Jean", "word"), ("1961-12-05", "date"), ("06 12 34 56 78", "phone"), ("75011", "number")]),
    # one space everywhere: the date and the phone still do not swallow each other
    ("Dupont Jean 05 12 1961 06 12 34 56 78",
     [("Dupont Jean", "word"), ("05 12 1961", "date"), ("06 12 34 56 78", "phone")]),
    ("LE GALL Anne-Marie 5 décembre 1961 1 61 12 75 111 042 37",
     [("LE GALL Anne-Marie", "word"), ("5 décembre 1961", "date"), ("1 61 12 75 111 042 37", "nir")]),
    ("Martin Luc 1er mars 1970 +33 6 11 22 33 44 luc@y.fr",
     [("Martin Luc", "word"), ("1er mars 1970", "date"), ("+33 6 11 22 33 44", "phone"), ("luc@y.fr", "email")]),
    ("Durand Paul 17 déc. 1980 +33 (0)6 12 34 56 78 2 80 12 2A 004 012",
     [("Durand Paul", "word"), ("17 déc. 1980", "date"), ("+33 (0)6 12 34 56 78", "phone"),
      ("2 80 12 2A 004 012", "nir")]),
    ("1961 12 05 0612345678 161127511104237",
     [("1961 12 05", "date"), ("0612345678", "phone"), ("161127511104237", "nir")]),
    # aligned columns: a gap of two spaces or more always ends a field
    ("DUPONT   Jean     06.12.34.56.78",
     [("DUPONT", "word"), ("Jean", "word"), ("06.12.34.56.78", "phone")]),
    ("Petit Eve 02/02/1990 06\u202f12\u202f34\u202f56\u202f78",   # narrow no-break spaces, as pasted from a page
     [("Petit Eve", "word"), ("02/02/1990", "date"), ("06\u202f12\u202f34\u202f56\u202f78", "phone")]),
    # digits that are no phone: "0958 1961 12" is not read as one
    ("0958 1961 12", [("0958", "number"), ("1961", "number"), ("12", "number")]),
])
def test_split_fields(line, fields):
    assert split_fields(line) == fields


PASTE = """Fresh leak from the lab, born 05/12/1961 and others, 4 rows as a teaser.
Contact me on the forum for the rest. Call 06 12 34 56 78 after 8pm.
I was born on 5 décembre 1961 and moved on 12 mars 1990 to Paris.

NOM      PRENOM   NE LE            TEL               CP
-------  -------  ---------------  ----------------  -----
DUPONT   Jean     5 décembre 1961  06 12 34 56 78    75011
LE GALL  Anne     17 05 1970       +33 6 11 22 33 44  29200
MARTIN   Luc      1985-02-02       0699887766         13005
DURAND   Marie    02/02/1980                          69003
4 rows in set

Price: 0.5 BTC, 2 per person. Don't ask twice.
"""


def test_aligned_table_in_a_paste_gives_fields_and_its_header_prose_stays_whole():
    doc = only(read_all(PASTE.encode()))
    assert doc["format"] == "text"
    assert doc["header"] == ["NOM", "PRENOM", "NE LE", "TEL", "CP"]
    assert doc["records"] == [
        ["Fresh leak from the lab, born 05/12/1961 and others, 4 rows as a teaser."],
        ["Contact me on the forum for the rest. Call 06 12 34 56 78 after 8pm."],
        ["I was born on 5 décembre 1961 and moved on 12 mars 1990 to Paris."],
        ["DUPONT", "Jean", "5 décembre 1961", "06 12 34 56 78", "75011"],
        ["LE GALL", "Anne", "17 05 1970", "+33 6 11 22 33 44", "29200"],
        ["MARTIN", "Luc", "1985-02-02", "0699887766", "13005"],
        ["DURAND", "Marie", "02/02/1980", "69003"],   # a row of the table with a field missing
        ["4 rows in set"],
        ["Price: 0.5 BTC, 2 per person. Don't ask twice."],
    ]


def test_single_spaced_lines_are_split_once_three_share_a_shape():
    data = ("NOM Prénom DDN TEL\nDUPONT Jean 05/12/1961 0612345678\nMARTIN Luc 17/05/1970 0611223344\n"
            "LE GALL Anne-Marie 02/02/1980 0722334455\n").encode()
    doc = only(read_all(data))
    assert doc["format"] == "text"
    assert doc["records"] == [
        ["NOM Prénom DDN TEL"],  # four words over three fields: no header can be told
        ["DUPONT Jean", "05/12/1961", "0612345678"],
        ["MARTIN Luc", "17/05/1970", "0611223344"],
        ["LE GALL Anne-Marie", "02/02/1980", "0722334455"],
    ]


def test_two_lines_are_too_few_to_be_a_table():
    data = b"DUPONT Jean 05/12/1961 0612345678\nMARTIN Luc 17/05/1970 0611223344\n\nbye\n"
    doc = only(read_all(data))
    assert doc["records"] == [["DUPONT Jean 05/12/1961 0612345678"], ["MARTIN Luc 17/05/1970 0611223344"], ["bye"]]


def test_prose_with_dates_and_phones_is_never_cut():
    prose = [
        "On 05/12/1961 the lab opened; call 06 12 34 56 78 for details about the old records.",
        "We met him on 12 mars 1990 and again on 3 avril 1991, nothing was said about it.",
        "The seller says the file holds 20000 rows and the phone 06 11 22 33 44 works.",
        "Born 5 décembre 1961 in a small town near the sea, the man said he had the data.",
    ]
    doc = only(read_all(("\n".join(prose) + "\n").encode()))
    assert doc["records"] == [[line] for line in prose]


def test_a_sentence_shaped_like_the_rows_around_it_is_not_a_record():
    data = ("DUPONT Jean 05/12/1961 0612345678\nMARTIN Luc 17/05/1970 0611223344\n"
            "DURAND Marie 02/02/1980 0722334455\n"
            "and here is what they all said when we asked them on 02/02/1980 0722334455\n").encode()
    doc = only(read_all(data))
    assert doc["records"][:3] == [["DUPONT Jean", "05/12/1961", "0612345678"], ["MARTIN Luc", "17/05/1970", "0611223344"],
                                  ["DURAND Marie", "02/02/1980", "0722334455"]]
    assert doc["records"][3] == ["and here is what they all said when we asked them on 02/02/1980 0722334455"]


def test_a_sentence_before_a_table_is_not_taken_for_its_header():
    rows = "DUPONT 05/12/1961 0612345678\nMARTIN 17/05/1970 0611223344\nDURAND 02/02/1980 0722334455\n"
    doc = only(read_all(("Voici les patients\n" + rows).encode()))
    assert doc["header"] is None and doc["records"][0] == ["Voici les patients"]
    doc = only(read_all(("Nom Naissance Mobile\n" + rows).encode()))
    assert doc["header"] == ["Nom", "Naissance", "Mobile"] and doc["records"][0] == ["DUPONT", "05/12/1961", "0612345678"]
