"""The queue of leaks in real Chromium, against the app in its own process: the landing page
lists each leaked file once with every institution in it, a whole leak is confirmed in one
click (one alert per institution), one institution's part is dismissed alone, and a repost
of a handled leak joins its spread without coming back as work."""

from .conftest import SCREENSHOTS, write_repost
from .helpers import login, wait_for


def leak_ids(page):
    return page.locator("table.leaks tbody tr").evaluate_all("rows => rows.map(r => r.dataset.leak)")


def test_landing_page_lists_a_file_and_its_repost_as_one_leak_with_both_labs(page, analyst, merged_leak, runtime):
    merged, lone, _ = merged_leak
    login(page)
    assert page.url.rstrip("/").endswith(page.url.split("/", 3)[2])            # the landing page is "/"
    ids = leak_ids(page)
    assert merged in ids and lone in ids
    assert len(ids) == len(set(ids))                                           # each leak once
    row = page.locator(f"tr[data-leak='{merged}']")
    assert row.locator(".inst").all_inner_texts() == ["labo-04", "labo-03"]    # most records at stake first
    assert "paste-site, forum" in row.inner_text() or "forum, paste-site" in row.inner_text()
    assert row.locator("td.num").nth(1).inner_text() == "2"                    # two sightings
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "leaks.png", full_page=True)

    page.fill("input[name=q]", "forum.test/t/7001")
    page.select_option("select[name=state]", "all")
    page.click("form.filters button")
    page.wait_for_load_state()
    assert leak_ids(page) == [merged]
    page.goto("/?institution=labo-03&state=all")
    assert merged in leak_ids(page) and lone not in leak_ids(page)


def test_a_whole_leak_is_confirmed_at_once_and_each_lab_is_alerted_once(page, analyst, merged_leak, runtime, data):
    merged, _, rows = merged_leak
    login(page)
    page.goto("/")
    page.click(f"tr[data-leak='{merged}'] a.open")
    page.wait_for_load_state()
    assert page.url.endswith(f"/leaks/{merged}")
    assert page.locator("table.parts tbody tr").count() == 2
    assert page.locator("svg.timeline circle.point").count() == 2
    assert page.locator("table.points tbody tr").count() == 2

    page.fill("form.leak-decide textarea[name=note]", "two labs' results on a paste and a forum")
    page.click("form.leak-decide button.confirm-all")
    page.wait_for_load_state()
    assert page.locator("#state").inner_text() == "confirmed"
    assert page.locator("table.parts .part-state").all_inner_texts() == ["confirmed", "confirmed"]
    leak = runtime.leaks.get(merged)
    confirmed = [m["id"] for p in leak["parts"] for m in p["matches"] if m["state"] == "confirmed"]
    duplicates = [m["id"] for p in leak["parts"] for m in p["matches"] if m["state"] == "duplicate"]
    assert len(confirmed) == 2 and len(duplicates) == 2                        # the reposts are not confirmed again
    entry = page.locator("table.audit tbody tr", has_text="leak:confirmed")
    assert entry.count() == 1 and "alice" in entry.inner_text()
    assert "two labs' results on a paste and a forum" in entry.inner_text()
    page.screenshot(path=SCREENSHOTS / "leak.png", full_page=True)

    # The app's sender handles one confirmation per lab (delivered or, without a channel, failed).
    sender = runtime.alert_sender
    wait_for(lambda: all(sender.deliveries(m) for m in confirmed), what="an alert for each lab")
    assert not any(sender.deliveries(m) for m in duplicates)

    # A third copy of the same file: it joins the leak's spread and is no new work.
    copy = runtime.dump_scanner.scan_path(write_repost(data.dirs / "third-copy.csv", rows, seed=12), name="copy3.txt",
                                          source="telegram", url="http://t.test/c/9")
    page.goto("/")
    assert merged not in leak_ids(page)
    page.goto(f"/leaks/{merged}")
    assert page.locator("#state").inner_text() == "confirmed"
    assert page.locator("svg.timeline circle.point").count() == 3
    assert runtime.queue.get(f"{copy.sighting_id}-labo-03-patients")["state"] == "duplicate"
    page.goto(f"/matches/{copy.sighting_id}-labo-03-patients")               # a match links to its leak
    page.click("p.crumbs a.leak")
    page.wait_for_load_state()
    assert page.url.endswith(f"/leaks/{merged}")


def test_one_institution_of_a_leak_is_dismissed_alone(page, analyst, merged_leak, runtime):
    _, lone, _ = merged_leak
    login(page)
    page.goto(f"/leaks/{lone}")
    row = page.locator("table.parts tr[data-part='labo-04/patients']")
    row.locator("button[value=dismiss]").click()
    page.wait_for_load_state()
    assert page.locator("#state").inner_text() == "dismissed"
    assert all(m["state"] == "false_positive" for p in runtime.leaks.get(lone)["parts"] for m in p["matches"])
    page.goto("/?state=dismissed")
    assert lone in leak_ids(page)


def test_bad_filters_are_a_clear_bad_request(base_url, analyst, merged_leak):
    from .helpers import Analyst

    alice = Analyst(base_url)
    for params, words in (({"state": "closed"}, "Unknown state filter"), ({"since": "yesterday"}, "YYYY-MM-DD")):
        response = alice.client.get("/", params=params)
        assert response.status_code == 400 and words in response.text
    assert alice.client.get("/leaks/s999999").status_code == 404
    assert alice.client.get("/leaks/not-a-leak").status_code == 404
    forged = alice.client.post(f"/leaks/{merged_leak[1]}/decide", data={"decision": "dismiss", "csrf": "forged"})
    assert forged.status_code == 403
