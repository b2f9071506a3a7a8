"""JS-only pages: the text is nowhere in the served HTML, and Chromium does build it."""

import base64
import re
import shutil

import pytest

from world.sites.js import scramble

from .client import text

CHROMIUM_HINT = "install it with: sudo apt-get install -y chromium"


def test_list_links_every_visible_item(fixture_sites, content):
    body = text(fixture_sites.urls["js"] + "/list")
    keys = re.findall(r'<a class="js-paste" href="/view/(\w+)">', body)
    assert sorted(keys) == sorted(i["key"] for i in content["js"]["items"] if not i["hidden"])


def test_served_html_holds_none_of_the_text(fixture_sites, content):
    for item in content["js"]["items"]:
        body = text(f"{fixture_sites.urls['js']}/view/{item['key']}")
        assert '<div id="content"></div>' in body and "<script>" in body
        lines = [line for line in item["text"].splitlines() if len(line) > 6]
        assert lines and not any(line in body for line in lines), item["key"]
        plain64 = base64.b64encode(item["text"].encode()).decode()
        assert plain64[8:40] not in body      # not even as plain base64


def test_scramble_is_undone_by_the_same_rolling_xor():
    data = base64.b64decode(scramble("Élodie N'DIAYE | 06 12", 200))
    assert bytes(b ^ ((200 + i) & 255) for i, b in enumerate(data)).decode() == "Élodie N'DIAYE | 06 12"


def test_chromium_sees_the_text_after_the_script_runs(fixture_sites, content):
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(f"chromium is not installed; {CHROMIUM_HINT}")
    from playwright.sync_api import sync_playwright

    item = next(i for i in content["js"]["items"] if f"/view/{i['key']}" in content["truth"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"{fixture_sites.urls['js']}/view/{item['key']}")
            page.wait_for_selector("#paste-content", timeout=30000)
            assert page.inner_text("#paste-content").strip() == item["text"].strip()
        finally:
            browser.close()
