"""HL7 v2 message archives: one record per patient (PID), in fixed columns, its results' text as notes."""

from leakwatch.matchers.extract import ExtractLimits
from leakwatch.matchers.extract.readers.hl7 import HEADER

from .conftest import only, read_all

COLUMN = {name: j for j, name in enumerate(HEADER)}
MESSAGES = [
    "MSH|^~\\&|LABO|LABO-A|HOSP|HOSP|20210312101500||ORU^R01|MSG00001|P|2.5|||||FRA|8859/1",
    "PID|1||161127512345603^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.8&ISO^INS~000123^^^LABO^PI||"
    "DUPONT^JEAN-PIERRE^^^M.^^L||196112050000|M|||12 RUE DE LA PAIX^BAT B^PARIS^^75012^FRA||"
    "0610012046^PRN^PH~^NET^Internet^jp.dupont@mail.fr",
    "OBR|1|12345^LABO|67890^LABO|NFS^Numeration formule sanguine|||20210312080000",
    "OBX|1|NM|HB^Hemoglobine||13.5|g/dL|13-17|N|||F",
    "MSH|^~\\&|LABO|LABO-A|HOSP|HOSP|20210312101600||ORU^R01|MSG00002|P|2.5",
    "PID|1||999999^^^LABO^PI||MARTIN^HELENE^^^MME^^L~DURAND^HELENE^^^^^M||19700517|F|||"
    "5 AVENUE FOCH^^LYON^^69003||04 72 00 11 22",
    "OBX|1|ST|VIH^Serologie VIH||Positif||||||F",
    "NTE|1||Controle \\F\\ a 3 mois",
    "PID|1||||N'DIAYE^MOUSSA||19850202|M",
]


def test_each_patient_is_a_record_in_fixed_columns_with_its_results_as_notes():
    for end in ("\r", "\n", "\r\n"):  # the standard ends segments with CR; files often with LF
        doc = only(read_all((end.join(MESSAGES) + end).encode("latin-1"), name="export.dat"))
        assert doc["format"] == "hl7" and doc["header"] == HEADER and doc["rows"] == 3
        dupont, martin, ndiaye = ({name: r[j] for name, j in COLUMN.items()} for r in doc["records"])
        assert (dupont["patient_id"], dupont["patient_id_2"]) == ("161127512345603", "000123")
        assert (dupont["family_name"], dupont["given_name"], dupont["birth_date"]) == ("DUPONT", "JEAN-PIERRE", "19611205")
        assert (dupont["street"], dupont["city"], dupont["postcode"]) == ("12 RUE DE LA PAIX BAT B", "PARIS", "75012")
        assert (dupont["phone"], dupont["email"]) == ("0610012046", "jp.dupont@mail.fr")
        # the order's values, then the result's
        assert dupont["notes"] == "12345 LABO 67890 LABO NFS Numeration formule sanguine 20210312080000; Hemoglobine 13.5"
        # the birth name is a repetition of the name; an escaped field separator is one
        assert (martin["birth_family_name"], martin["phone"]) == ("DURAND", "04 72 00 11 22")
        assert martin["notes"] == "Serologie VIH Positif; Controle | a 3 mois"
        assert (ndiaye["family_name"], ndiaye["patient_id"], ndiaye["notes"]) == ("N'DIAYE", "", "")


def test_repetitions_past_the_columns_are_kept_as_other_values():
    pid = ("PID|1||A1^^^X~A2^^^Y~161127512345603^^^INS-NIR||DUPONT^JEAN^^^^^L~DURAND^JEAN^^^^^M~DUPOND^JEAN^^^^^A||"
           "19611205|M|||1 RUE A^^PARIS^^75012~2 RUE B^^LYON^^69003||0610012046~0611223344~0612345678")
    (record,) = only(read_all(("\r".join([MESSAGES[0], pid]) + "\r").encode()))["records"]
    values = {name: record[j] for name, j in COLUMN.items()}
    assert (values["patient_id"], values["patient_id_2"], values["birth_family_name"]) == ("A1", "A2", "DURAND")
    assert values["other_values"] == "161127512345603; JEAN DUPOND; 2 RUE B LYON 69003; 0612345678"


def test_no_segment_but_the_header_is_left_out():
    # An event before the patient, the next of kin after: read as the notes of a record.
    lines = [MESSAGES[0], "EVN|A01|20210312101500", MESSAGES[1], "NK1|1|DUPONT^MARIE|SPO|^^^^^^|0611223344"]
    first, dupont = only(read_all(("\r".join(lines) + "\r").encode()))["records"]
    assert first[:-1] == [""] * (len(HEADER) - 1) and first[-1] == "20210312101500"
    assert dupont[COLUMN["family_name"]] == "DUPONT" and dupont[-1] == "DUPONT MARIE SPO 0611223344"


def test_a_message_with_its_own_separators_is_read_with_them():
    data = "MSH#*!/%#LABO\rPID#1##42*X##ROBERT*ALICE##19900102#F\r".encode()
    (record,) = only(read_all(data))["records"]
    assert (record[COLUMN["family_name"]], record[COLUMN["given_name"]], record[COLUMN["birth_date"]]) == \
        ("ROBERT", "ALICE", "19900102")


def test_a_csv_whose_first_cell_is_msh_is_a_csv():
    doc = only(read_all(b"MSH,abcd,efg\nx1,y2,z3\nx4,y5,z6\n"))
    assert doc["format"] == "csv"


def test_endless_results_after_one_patient_come_out_in_records_of_bounded_notes():
    limits = ExtractLimits(max_cell_chars=1000, max_line_chars=1000)
    results = [f"OBX|{n}|ST|T{n}^Test {n}||valeur {n}" for n in range(2000)]
    data = ("\r".join(MESSAGES[:2] + results) + "\r").encode()
    doc = only(read_all(data, limits=limits))
    records = doc["records"]
    assert len(records) > 20 and records[0][COLUMN["family_name"]] == "DUPONT"
    assert all(r[COLUMN["family_name"]] == "" for r in records[1:])   # notes alone after the first
    notes = "; ".join(r[COLUMN["notes"]] for r in records)
    assert all(f"Test {n} valeur {n};" in notes + ";" for n in range(2000))  # none lost
    assert all(len(r) == len(HEADER) and len(r[COLUMN["notes"]]) <= 1000 for r in records)
