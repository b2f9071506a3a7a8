"""XML documents: a record per repeated element, what lies outside the records kept, the parse
streamed and defused."""

import resource

from leakwatch.matchers.extract import ExtractLimits, open_documents

from .conftest import only, read_all

EXPORT = """<?xml version="1.0" encoding="ISO-8859-1"?>
<export date="2021-03-12">
  <header><software>LabSoft 4.2</software></header>
  <patients>
    <patient id="1"><nom>DUPONT</nom><prenom>Jean-Pierre</prenom><ddn>05/12/1961</ddn>
      <adresse><cp>75012</cp><ville>Paris</ville></adresse><note>Sérologie <b>VIH</b> positive, sous traitement</note></patient>
    <patient id="2"><nom>MARTIN</nom><prenom>Hélène</prenom><ddn>17/05/1970</ddn>
      <adresse><cp>69003</cp><ville>Lyon</ville></adresse></patient>
  </patients>
</export>
"""


def test_each_repeated_element_is_a_record_and_what_is_outside_them_is_kept():
    doc = only(read_all(EXPORT.encode("latin-1"), name="export.dat"))
    assert doc["format"] == "xml" and doc["error"] is None
    header, dupont, martin = doc["records"]
    assert header == ["2021-03-12", "LabSoft 4.2"]   # the export's own values: a record of their own
    assert dupont == ["1", "DUPONT", "Jean-Pierre", "05/12/1961", "75012", "Paris", "VIH", "positive, sous traitement",
                      "Sérologie"]
    assert martin[:4] == ["2", "MARTIN", "Hélène", "17/05/1970"]
    assert doc["header"][:4] == ["@id", "nom", "prenom", "ddn"]


def test_namespaces_and_a_document_without_repeated_elements():
    cda = ('<ClinicalDocument xmlns="urn:hl7-org:v3"><recordTarget><patientRole>'
           '<id root="1.2.250.1.213.1.4.8" extension="161127512345603"/><patient><name><given>Jean</given>'
           '<family>Dupont</family></name><birthTime value="19611205"/></patient></patientRole></recordTarget>'
           '</ClinicalDocument>')
    doc = only(read_all(cda.encode()))
    assert doc["format"] == "xml"
    assert doc["records"] == [["1.2.250.1.213.1.4.8", "161127512345603", "Jean", "Dupont", "19611205"]]


def test_entity_declarations_are_refused_and_the_records_before_them_kept():
    laughs = ('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              '<p><q>&b;</q></p>')
    doc = only(read_all(laughs.encode()))
    assert doc["records"] == [] and "XML refused: EntitiesForbidden" in str(doc["error"])
    external = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r><a>&x;</a></r>'
    assert "XML refused" in str(only(read_all(external.encode()))["error"])


def test_a_huge_text_stops_the_document_and_deep_nesting_is_counted():
    huge = b'<?xml version="1.0"?><ps><p><n>DUPONT</n></p><p><n>MARTIN</n></p><p><n>' + b"A" * (40 << 20) + b"</n></p></ps>"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    doc = only(read_all(huge, limits=ExtractLimits(max_cell_chars=1 << 20)))
    assert doc["records"] == [["DUPONT"], ["MARTIN"]] and "over" in str(doc["error"])
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 40 << 10  # KiB: the text was never held
    deep = b"<r><p><n>DUPONT</n></p><p><n>MARTIN</n>" + b"<a>" * 1000 + b"x" + b"</a>" * 1000 + b"</p></r>"
    documents = open_documents(deep, limits=ExtractLimits(max_depth_json=50))
    doc = next(documents)
    assert list(doc.records()) == [["DUPONT"], ["MARTIN"]] and doc.error is None
    # <r>, <p> and 1,000 <a>: the 952 below the 50th level
    assert doc.notes.messages() == ["952 XML elements nested deeper than max_depth_json (50 levels) skipped"]


def test_an_html_page_is_text_not_xml():
    page = b"<!DOCTYPE html><html><body><p>DUPONT 0610012046</p></body></html>"
    assert only(read_all(page))["format"] == "text"
    assert only(read_all(b"<div><p>DUPONT</p></div>"))["format"] == "text"
