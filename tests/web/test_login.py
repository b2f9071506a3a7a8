"""Logging in over real HTTP: the session cookie, the login form's token, the throttle.

Each test that fails logins on purpose connects from an address of its own (127.0.0.x):
the throttle also counts failures per address, and the browser tests log in from 127.0.0.1."""

import hashlib

import httpx

from leakwatch.web.sessions import SessionStore

from .helpers import ANALYST, PASSWORD, Analyst, form_token


def client_from(base_url, address):
    return httpx.Client(base_url=base_url, timeout=10, transport=httpx.HTTPTransport(local_address=address))


def try_login(client, name, password):
    token = form_token(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf": token})


def test_login_sets_a_server_side_session_cookie(base_url, analyst, runtime):
    alice = Analyst(base_url)
    assert alice.response.status_code == 303 and alice.response.headers["location"] == "/"
    cookie = next(h for h in alice.response.headers.get_list("set-cookie") if h.startswith("lw_session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes and "samesite=lax" in cookie.lower()
    assert f"max-age={runtime.settings.session_hours * 3600}" in cookie.lower()
    session_id = alice.client.cookies["lw_session"]
    store = SessionStore(runtime.redis, runtime.settings.namespace)
    key = store._key(session_id)
    assert key.endswith(hashlib.sha256(session_id.encode()).hexdigest())     # only the id's hash is kept
    assert runtime.redis.hget(key, "analyst") == ANALYST.encode()
    assert not runtime.redis.keys(f"*{session_id}*")
    assert 0 < runtime.redis.ttl(key) <= runtime.settings.session_hours * 3600    # and expires by itself
    assert alice.client.get("/").status_code == 200


def test_login_form_without_its_token_is_refused(base_url, analyst):
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.get("/login")
        refused = client.post("/login", data={"name": ANALYST, "password": PASSWORD, "csrf": "guess"})
        assert refused.status_code == 403 and "lw_session" not in refused.cookies


def test_wrong_name_and_wrong_password_get_the_same_answer(base_url, analyst):
    with client_from(base_url, "127.0.0.21") as one, client_from(base_url, "127.0.0.22") as two:
        wrong_password = try_login(one, ANALYST, "not the password at all")
        no_such_name = try_login(two, "nobody-by-that-name", "not the password at all")
    assert wrong_password.status_code == no_such_name.status_code == 401
    for response in (wrong_password, no_such_name):
        assert "Wrong name or password." in response.text
        assert "lw_session" not in response.cookies


def test_login_is_throttled_after_five_failures(base_url, runtime):
    runtime.analysts.add("carol", "carol's long password")
    with client_from(base_url, "127.0.0.31") as client:
        for _ in range(5):
            assert try_login(client, "carol", "wrong password").status_code == 401
        blocked = try_login(client, "carol", "carol's long password")       # even the right one must wait
        assert blocked.status_code == 429
        wait = int(blocked.headers["retry-after"])
        assert 0 < wait <= 300 and f"Try again in {wait} seconds" in blocked.text
        assert "lw_session" not in blocked.cookies
    with client_from(base_url, "127.0.0.32") as elsewhere:                  # the name is locked from anywhere
        assert try_login(elsewhere, "carol", "carol's long password").status_code == 429
    with client_from(base_url, "127.0.0.31") as same_address:               # and the address for any name
        assert try_login(same_address, ANALYST, PASSWORD).status_code == 429


def test_next_after_login_stays_on_this_site(base_url, analyst):
    with httpx.Client(base_url=base_url, timeout=10) as client:
        page = client.get("/login", params={"next": "//evil.test/x"})
        token = form_token(page.text)
        response = client.post("/login", data={"name": ANALYST, "password": PASSWORD, "csrf": token,
                                               "next": "https://evil.test/"})
        assert response.status_code == 303 and response.headers["location"] == "/"


def test_pages_carry_the_security_headers(base_url, analyst):
    alice = Analyst(base_url)
    for path in ("/", "/login", "/static/leakwatch.css", "/api/openapi.json"):
        headers = alice.client.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
    assert alice.client.get("/").headers["cache-control"] == "no-store"


def test_a_form_body_beyond_a_megabyte_is_refused(base_url, analyst, data):
    alice = Analyst(base_url)
    match_page = f"/matches/{data.matches['b']}"
    # Refused from its declared length; the server reads and drops it first, so the client gets the 413.
    response = alice.client.post(f"{match_page}/note", data={"text": "x" * (2 << 20), "csrf": alice.csrf(match_page)},
                                 timeout=60)
    assert response.status_code == 413
