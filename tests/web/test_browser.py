"""The analysts' web app in real Chromium, against the app in its own process: log in, work
the queue, confirm a match, and the institution's webhook and mailbox get the alert."""

import time

import httpx

from leakwatch.review import spread_timeline

from .conftest import SCREENSHOTS
from .helpers import login, wait_for


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def queue_ids(page):
    return page.locator("table.queue tbody tr").evaluate_all("rows => rows.map(r => r.dataset.match)")


def test_fresh_browser_is_sent_to_login_and_back_after(page, analyst, data):
    target = f"/matches/{data.matches['b']}"
    page.goto(target)
    assert "/login" in page.url and "next=" in page.url
    assert page.locator("input[name=password]").count() == 1
    for path in ("/", "/alerts", "/audit", f"{target}/misp.json"):
        page.goto(path)
        assert "/login" in page.url, path
    page.goto(f"/login?next={target}")
    page.fill("input[name=name]", analyst[0])
    page.fill("input[name=password]", analyst[1])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith(target)


def test_analyst_confirms_a_match_and_the_institution_is_alerted(page, analyst, data, runtime, webhook, smtp_server,
                                                                 base_url, tokens):
    a = data.matches["a"]
    # The institution says where its alerts go, through its API.
    channels = httpx.put(f"{base_url}/api/v1/alert-channels", headers=bearer(tokens["labo-01"]), json={
        "webhook_url": f"{webhook.url}/hooks/labo-01", "emails": ["cert@labo-01.test"]})
    assert channels.status_code == 200, channels.text
    webhook.secrets["/hooks/labo-01"] = channels.json()["webhook_secret"]

    login(page)
    page.goto("/matches?state=all")
    ids = queue_ids(page)
    assert ids[0] == data.matches["canary"]                       # a canary hit before anything else
    urgencies = [runtime.queue.get(i)["urgency"] for i in ids]
    assert urgencies == sorted(urgencies, reverse=True)
    assert set(data.matches.values()) <= set(ids)
    assert page.locator("tr[data-match] .badge.canary").count() >= 1
    page.goto("/matches")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "queue.png", full_page=True)

    page.select_option("select[name=institution]", "labo-01")
    page.select_option("select[name=state]", "all")
    page.click("form.filters button")
    page.wait_for_load_state()
    assert "institution=labo-01" in page.url
    labo01 = queue_ids(page)
    assert a in labo01 and len(labo01) == 3                     # the leak, its repost, its copy
    assert all(i.split("-", 1)[1].startswith("labo-01-") for i in labo01)
    assert "page 1 of 1" in page.locator("nav.pager").inner_text()

    page.click(f"tr[data-match='{a}'] a.open")
    page.wait_for_load_state()
    assert page.url.endswith(f"/matches/{a}")
    points = spread_timeline(runtime.sightings, runtime.queue.get(a))
    assert len(points) == 3
    assert page.locator("svg.timeline circle.point").count() == len(points)
    assert page.locator("table.points tbody tr").count() == len(points)
    assert page.locator("svg.timeline path.at-stake").count() == 1
    sources = {p["source"] for p in points}
    assert page.locator("ul.legend li.source").count() == len(sources)

    page.check("input[name=state][value=confirmed]")
    page.fill("form.decide textarea[name=note]", "Lab 01 export: called their DPO")
    page.click("form.decide button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#state").inner_text() == "confirmed"
    assert runtime.queue.get(a)["state"] == "confirmed"

    # The app's background sender delivers: a signed webhook and an e-mail.
    hooks = wait_for(lambda: [r for r in webhook.received if r["body"].get("match") == a], what="the webhook alert")
    assert hooks[0]["verified"] and hooks[0]["event"] == "confirmed" and hooks[0]["path"] == "/hooks/labo-01"
    mails = wait_for(lambda: [m for m in smtp_server.messages if "cert@labo-01.test" in m["to"]], what="the e-mail")
    assert "labo-01/patients" in mails[0]["data"]

    def delivered():
        page.reload()
        return page.locator("tr.delivery.delivered").count() == 2
    wait_for(delivered, what="both deliveries shown as delivered")

    entry = page.locator("table.audit tbody tr", has_text="state:confirmed")
    assert entry.count() == 1
    text = entry.inner_text()
    assert "alice" in text and "Lab 01 export: called their DPO" in text
    assert time.strftime("%Y-%m-%d", time.gmtime()) in text
    # A confirmed match exports: MISP, STIX, TheHive, and the notification draft.
    assert page.locator("a.export").count() == 4
    page.screenshot(path=SCREENSHOTS / "match.png", full_page=True)

    export = page.request.get(f"/matches/{a}/misp.json")
    assert export.status == 200
    event = export.json()["Event"]
    assert "labo-01/patients" in event["info"]
    assert any(attr["value"] == "http://paste.test/raw/8f3kq2" for attr in event["Attribute"])


def test_misp_export_of_an_unconfirmed_match_is_refused(page, analyst, data):
    login(page)
    response = page.request.get(f"/matches/{data.matches['b']}/misp.json")
    assert response.status == 409


def test_posts_without_the_sessions_token_are_refused(page, analyst, data, runtime):
    b = data.matches["b"]
    login(page)
    before = runtime.queue.get(b)
    for form in ({"state": "false_positive"}, {"state": "false_positive", "csrf": "forged"}):
        response = page.request.post(f"/matches/{b}/decide", form=form)
        assert response.status == 403
    assert page.request.post(f"/matches/{b}/note", form={"text": "x", "csrf": ""}).status == 403
    assert page.request.post("/logout", form={}).status == 403
    after = runtime.queue.get(b)
    assert (after["state"], after.get("decided_by")) == (before["state"], before.get("decided_by"))
    assert not [e for e in runtime.audit.for_match(b) if e["action"] == "note"]
    page.goto("/")                                                 # still logged in: logout was refused
    assert "/login" not in page.url


def test_assign_note_and_logout_through_the_forms(page, analyst, data, runtime):
    b = data.matches["b"]
    login(page)
    page.goto(f"/matches/{b}")
    page.select_option("form.assign select[name=analyst]", "bob")
    page.click("form.assign button")
    page.wait_for_load_state()
    assert page.locator("#assignee").inner_text() == "bob"
    page.fill("form.add-note textarea[name=text]", "asked the lab for its export log")
    page.click("form.add-note button")
    page.wait_for_load_state()
    assert page.locator("table.audit tbody tr", has_text="asked the lab for its export log").count() == 1
    assert runtime.queue.get(b)["assignee"] == "bob"
    page.click("form.logout button")
    page.wait_for_load_state()
    assert "/login" in page.url
    page.goto(f"/matches/{b}")
    assert "/login" in page.url                                    # the session is gone server-side


def test_failed_alert_is_listed_and_retried_once_a_channel_exists(page, analyst, data, base_url, runtime, webhook):
    canary = data.matches["canary"]
    login(page)
    page.goto("/alerts")
    row = page.locator("tr.failure", has=page.locator(f"a[href='/matches/{canary}']"))
    assert row.count() == 1 and "no alert channel" in row.inner_text()
    token = runtime.tokens.issue("labo-03", "tests")["token"]
    channels = httpx.put(f"{base_url}/api/v1/alert-channels", headers=bearer(token),
                         json={"webhook_url": f"{webhook.url}/hooks/labo-03", "emails": []})
    webhook.secrets["/hooks/labo-03"] = channels.json()["webhook_secret"]
    row.locator("button").click()
    page.wait_for_load_state()
    assert page.locator(f"tr.failure a[href='/matches/{canary}']").count() == 0
    hooks = wait_for(lambda: [r for r in webhook.received if r["body"].get("match") == canary], what="the canary alert")
    assert hooks[0]["verified"] and hooks[0]["event"] == "canary"
    assert any(e["action"] == "alert:retry" and e["actor"] == "alice" for e in runtime.audit.for_match(canary))
