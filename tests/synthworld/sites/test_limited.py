"""The rate-limiting site: every 3rd request 429 + Retry-After: 1, and 429 again if too early."""

import time

from .client import fetch


def test_every_third_request_is_429_and_early_retries_are_429_again(fresh_sites, content):
    base = fresh_sites.urls["limited"]
    item = next(i for i in content["limited"]["items"] if not i["hidden"])
    raw = f"{base}/raw/{item['key']}"
    assert [fetch(raw)[0] for _ in range(2)] == [200, 200]
    status, headers, _ = fetch(raw)
    assert status == 429 and headers["retry-after"] == "1"
    status, headers, _ = fetch(raw)                 # back too early
    assert status == 429 and headers["retry-after"] == "1"
    time.sleep(1.05)
    status, _, body = fetch(raw)
    assert status == 200 and body == item["text"].encode(item["charset"])


def test_a_client_honouring_retry_after_gets_every_item(fresh_sites, content):
    base = fresh_sites.urls["limited"]
    got, refused = {}, 0
    for item in content["limited"]["items"][:4]:
        while True:
            status, headers, body = fetch(f"{base}/raw/{item['key']}")
            if status != 429:
                break
            refused += 1
            time.sleep(float(headers["retry-after"]) + 0.05)
        got[item["key"]] = body
    assert refused >= 1 and all(got[i["key"]] == i["text"].encode(i["charset"])
                                for i in content["limited"]["items"][:4])


def test_limited_site_has_the_paste_paths_and_admin_is_not_limited(fresh_sites):
    base = fresh_sites.urls["limited"]
    for _ in range(6):
        assert fresh_sites.stats("limited")["requests"] == 0      # admin: neither counted nor limited
    assert fetch(f"{base}/archive?page=1")[0] == 200
    assert fetch(f"{base}/api_scraping.php?limit=3")[0] == 200
