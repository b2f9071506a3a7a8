"""The notification draft of a confirmed match, in French and English, as Markdown, HTML and PDF,
from the CLI and the institution's API."""

import httpx
import pytest
from typer.testing import CliRunner

from leakwatch.cli import app
from leakwatch.response import match_facts, notification, render_html, render_markdown
from leakwatch.response.notification_pdf import render_pdf


def _facts(lab):
    return match_facts(lab.runtime.sightings, lab.runtime.queue.get(lab.matches["leak"]), lab.runtime.alert_sender)


def _personal(lab):
    values = set()
    for i in lab.leaked:
        row = lab.rows[i]
        values |= {row["nir"], row["telephone"], f"{row['prenom']} {row['nom']}"} | ({row["email"]} - {""})
    return values


@pytest.mark.parametrize("lang,words", [("fr", ("Nature de la violation", "Nombre approximatif de personnes concernées")),
                                        ("en", ("Nature of the breach", "Approximate number of people concerned"))])
def test_the_draft_states_the_breach_in_the_authoritys_terms(confirmed, lang, words):
    facts = _facts(confirmed)
    match = facts.match
    text = render_markdown(notification(facts, lang))
    for w in words:
        assert w in text
    assert f"{match['records']} " in text and f"{match['records_low']}" in text and f"{match['records_high']}" in text
    assert "http://paste.test/raw/8f3kq2" in text and "2026-12-01 10:00 UTC" in text   # where, and the posting time
    assert match["id"] in text


def test_a_leak_seen_only_in_a_file_given_to_leakwatch_scan_is_not_said_to_be_published(lab):
    # Other rows than the paste site's leak: a dump of its own, no repost of that one.
    rows = [row for i, row in enumerate(lab.rows) if i not in lab.leaked][:40] + lab.strangers[5:40]
    report = lab.scan("handed-over.csv", rows, source=None)
    match_id = f"{report.sighting_id}-labo-07-patients"
    lab.runtime.triage.decide(match_id, "confirmed", "alice")
    facts = match_facts(lab.runtime.sightings, lab.runtime.queue.get(match_id), lab.runtime.alert_sender)
    assert facts.sources == ["scan"]
    en, fr = render_markdown(notification(facts, "en")), render_markdown(notification(facts, "fr"))
    assert "published on" not in en and "was in a file submitted to the monitor" in en
    assert "publiée sur" not in fr and "figurait dans un fichier soumis à la veille" in fr
    assert "on a file submitted to the monitor (" in en and "sur un fichier soumis à la veille (" in fr


def test_health_data_are_flagged_as_a_special_category(confirmed):
    facts = _facts(confirmed)
    assert "health_note" in facts.match["fields"]   # the lab's table has free-text notes, and so has the leak
    assert "catégorie particulière (art. 9)" in render_markdown(notification(facts, "fr"))
    assert "special category (art. 9)" in render_markdown(notification(facts, "en"))


def test_no_personal_value_is_in_any_format(confirmed):
    doc = notification(_facts(confirmed), "fr")
    text = render_markdown(doc) + render_html(doc)
    assert not [v for v in _personal(confirmed) if v in text]


def test_the_html_draft_escapes_what_a_source_wrote(confirmed):
    rows = [confirmed.rows[i] for i in confirmed.leaked[:30]]
    confirmed.scan("x.csv", rows, source="forum", url='http://forum.test/t/<script>alert(1)</script>')
    html = render_html(notification(_facts(confirmed), "en"))
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_the_pdf_reads_back_with_the_french_text_and_no_personal_value(confirmed):
    import io

    from pypdf import PdfReader

    facts = _facts(confirmed)
    reader = PdfReader(io.BytesIO(render_pdf(notification(facts, "fr"))))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Nature de la violation" in text and "catégorie particulière (art. 9)" in text
    assert facts.match["id"] in text and "paste.test/raw/8f3kq2" in text
    assert not [v for v in _personal(confirmed) if v in text]


def test_the_cli_writes_the_draft_in_the_format_asked(confirmed, tmp_path):
    s = confirmed.settings
    out = tmp_path / "draft.pdf"
    result = CliRunner().invoke(app, ["--redis-url", s.redis_url, "--namespace", s.namespace, "--home", str(s.home),
                                      "--config", str(confirmed.home / "none.yaml"), "notification",
                                      confirmed.matches["leak"], "--lang", "fr", "--format", "pdf", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    bad = CliRunner().invoke(app, ["--redis-url", s.redis_url, "--namespace", s.namespace, "--home", str(s.home),
                                   "--config", str(confirmed.home / "none.yaml"), "notification",
                                   confirmed.matches["leak"], "--lang", "de"])
    assert bad.exit_code == 2 and "unknown language 'de'" in bad.output


def test_the_api_serves_the_draft_to_the_institution_only(confirmed, app_server, token):
    url = f"{app_server.url}/api/v1/matches/{confirmed.matches['leak']}/notification"
    own = httpx.get(url, params={"lang": "fr", "format": "md"}, headers={"Authorization": f"Bearer {token}"})
    assert own.status_code == 200 and own.headers["content-type"].startswith("text/markdown")
    assert "Notification de violation" in own.text
    pdf = httpx.get(url, params={"lang": "en", "format": "pdf"}, headers={"Authorization": f"Bearer {token}"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    other = confirmed.runtime.tokens.issue("labo-99", "tests")["token"]
    assert httpx.get(url, headers={"Authorization": f"Bearer {other}"}).status_code == 404
