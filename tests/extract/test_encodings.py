"""Encodings are detected per document; undecodable bytes never stop the reading."""

import codecs

import pytest

from .conftest import only, read_all

FRENCH = [["Dupont", "Hélène", "Orléans"], ["Martin", "Françoise", "Besançon"], ["Lefèvre", "Zoé", "Nîmes"]]


def _csv(rows, header=("nom", "prénom", "ville")) -> str:
    return "\n".join(";".join(r) for r in [list(header)] + rows) + "\n"


def test_latin1_french_names_decode_correctly():
    doc = only(read_all(_csv(FRENCH).encode("latin-1")))
    assert doc["encoding"] in ("cp1252", "latin-1")
    assert doc["header"] == ["nom", "prénom", "ville"]
    assert doc["records"] == FRENCH


@pytest.mark.parametrize("rows", [FRENCH, [["Lefèvre", "Ève", "Nîmes"], ["Dupont", "Hélène", "Sète"]]])
def test_a_dos_code_page_export_decodes_as_cp850(rows):
    """An old lab system's export (cp850): read as cp1252, 'Hélène' was 'H‚lŠne' and matched nobody.
    The second table's accents read as letters in cp1252 too ('LefŠvre', 'NŒmes'), but no French
    word has them."""
    doc = only(read_all(_csv(rows).encode("cp850")))
    assert doc["encoding"] == "cp850"
    assert doc["header"] == ["nom", "prénom", "ville"]
    assert doc["records"] == rows


@pytest.mark.parametrize("codec", ["cp1252", "latin-1", "utf-8", "cp1251", "shift_jis", "gbk"])
def test_other_encodings_are_not_taken_for_a_dos_code_page(codec):
    text = {"cp1251": "фамилия;имя\nИванов;Пётр\nSmith;Анна\n", "shift_jis": "名前;mail\n山田太郎;taro@example.jp\n田中;hanako@x.jp\n",
            "gbk": "姓名;mail\n张伟;wei@x.cn\n王芳;fang@y.cn\n"}.get(codec, _csv(FRENCH + [["O’Brien", "Cœur", "Sète"]]))
    if codec == "latin-1":
        text = text.replace("’", "'").replace("œ", "oe")
    doc = only(read_all(text.encode(codec)))
    assert doc["encoding"] != "cp850"


def test_cp1252_typographic_apostrophe_decodes_correctly():
    rows = [["O’Brien", "Françoise", "Besançon"], ["Dupont", "Hélène", "Orléans"]]
    doc = only(read_all(_csv(rows).encode("cp1252")))
    assert doc["encoding"] == "cp1252"
    assert doc["records"] == rows


@pytest.mark.parametrize("codec, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                             ("utf-16", "utf-16"), ("utf-16-le", "utf-16-le")])
def test_unicode_encodings_with_and_without_bom(codec, expected):
    doc = only(read_all(_csv(FRENCH).encode(codec)))
    assert doc["encoding"] == expected
    assert doc["header"] == ["nom", "prénom", "ville"]  # no BOM glued to the first label
    assert doc["records"] == FRENCH


def test_latin1_line_inside_a_utf8_dump_decodes_as_cp1252_not_replacement():
    data = _csv(FRENCH).encode("utf-8") + "Durand;Aimée;Sète\n".encode("latin-1")
    doc = only(read_all(data))
    assert doc["encoding"] == "utf-8"
    assert doc["records"][-1] == ["Durand", "Aimée", "Sète"]


def test_accents_only_after_the_sample_still_decode():
    rows = [[f"Nom{i}", "Jean", "Paris"] for i in range(5000)] + [["Dupont", "Hélène", "Orléans"]]
    data = _csv(rows).encode("latin-1")
    assert len(data) > 64 * 1024
    doc = only(read_all(data))
    assert doc["records"][-1] == ["Dupont", "Hélène", "Orléans"]


def test_broken_bytes_never_crash():
    data = b"nom;email\nDupont;jean@x.fr\n" + bytes(range(0x80, 0x100)) + b";x\nMartin;luc@y.fr\n"
    doc = only(read_all(data))
    assert doc["raised"] is None
    assert doc["records"][0] == ["Dupont", "jean@x.fr"]
    assert doc["records"][-1] == ["Martin", "luc@y.fr"]


def test_utf16_bom_is_not_mistaken_for_binary_data():
    data = codecs.BOM_UTF16_LE + "email:password\njean@x.fr:azerty\n".encode("utf-16-le")
    doc = only(read_all(data))
    assert doc["format"] != "error"
    assert ["jean@x.fr", "azerty"] in doc["records"]
