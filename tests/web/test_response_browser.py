"""The response to a confirmed match, in Chromium and at the institution: an analyst confirms,
reads the notification draft in French and downloads its PDF; the institution then runs
`leakwatch affected` against the app and gets its own rows, while no page and no log line
of the monitor holds who they are."""

import csv
import random
import stat
import time

from typer.testing import CliRunner

from world.synth.people import COLUMNS
from leakwatch.cli import app as cli

from .conftest import SCREENSHOTS, write_leak
from .helpers import wait_for


def test_confirm_then_draft_then_affected_rows_at_the_institution(analyst_page, runtime, data, server, tmp_path):
    page = analyst_page
    lab = data.institutions["labo-04"]
    leaked = sorted(random.Random(4).sample(range(len(lab.rows)), 30))
    report = runtime.dump_scanner.scan_path(write_leak(tmp_path / "lab4.csv", [lab.rows[i] for i in leaked]),
                                            name="lab4.csv", source="forum", url="http://forum.test/t/5120",
                                            posted_at="2026-11-30T08:15:00Z")
    match_id = f"{report.sighting_id}-labo-04-patients"
    assert runtime.queue.get(match_id)["records"] == 30

    page.goto(f"/matches/{match_id}")
    assert page.locator("#notification-link").count() == 0          # not before a confirmation
    assert "2026-11-30T08:15:00Z" in page.locator("#times").inner_text()
    page.check("form.decide input[value=confirmed]")
    page.fill("form.decide textarea[name=note]", "lab 04 file on the forum")
    page.click("form.decide button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#state").inner_text() == "confirmed"
    assert time.strftime("%Y-%m-%dT", time.gmtime()) in page.locator("#times tr[data-step=confirmed]").inner_text()

    page.click("#notification-link")
    page.wait_for_load_state()
    page.click("#notification-exports a:text('FR')")
    page.wait_for_load_state()
    draft = page.locator("#notification").inner_text()
    assert "Notification de violation de données à caractère personnel" in draft
    assert "Nombre approximatif de personnes concernées : 30" in draft
    assert "http://forum.test/t/5120" in draft and "catégorie particulière (art. 9)" in draft
    page.screenshot(path=SCREENSHOTS / "notification.png", full_page=True)
    with page.expect_download() as download:
        page.click("#notification-exports a:text('PDF')")
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF-") and download.value.suggested_filename == f"notification-{match_id}-fr.pdf"

    # At the institution: its own table, its token, the app's API.
    table = tmp_path / "patients-labo-04.csv"
    with open(table, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        out.writerows([r[c] for c in COLUMNS] for r in lab.rows)
    token = runtime.tokens.issue("labo-04", "tests")["token"]
    rows_out = tmp_path / "affected.csv"
    result = CliRunner().invoke(cli, ["affected", match_id, "--table", str(table), "--out", str(rows_out),
                                      "--api", server.url, "--token", token])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(rows_out.stat().st_mode) == 0o600
    with open(rows_out, encoding="utf-8") as f:
        got = list(csv.DictReader(f))
    assert [int(r["leakwatch_record"]) for r in got] == leaked
    assert [r["nir"] for r in got] == [lab.rows[i]["nir"] for i in leaked]

    # The monitor shows that the institution fetched them, never which or who.
    page.goto(f"/matches/{match_id}")
    entry = page.locator("table.audit tbody tr", has_text="affected:fetch")
    wait_for(lambda: entry.count() == 1, what="the audit entry of the fetch")
    shown = page.content() + page.request.get(f"/matches/{match_id}/notification?lang=en").text()
    personal = {lab.rows[i][c] for i in leaked for c in ("nir", "telephone", "email")} - {""}
    assert not [v for v in personal if v in shown]
    assert not [v for v in personal if v in server.logs()]
    assert ", ".join(map(str, leaked[:4])) not in server.logs() + shown
