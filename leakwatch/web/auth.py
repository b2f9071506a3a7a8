"""Analysts' login, logout and the session every analyst page needs.

A failed login says "wrong name or password" whether or not the name exists (and costs
the same: AnalystStore verifies against a dummy hash). After too many failures for a name
or from an address, LoginThrottle makes the next tries wait, and the page says how long.
"""

import logging
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from leakwatch.matchers.errors import LeakwatchError

from . import csrf
from .context import SESSION_COOKIE, render, web
from .sessions import Session

log = logging.getLogger("leakwatch.web")
router = APIRouter(include_in_schema=False)

MAX_FIELD = 200


class LoginRequired(LeakwatchError):
    """No valid session: the browser is sent to the login page, then back."""

    def __init__(self, next_path: str = "/"):
        self.next_path = next_path


def safe_next(path: str | None) -> str:
    """Only a path of this site: never "//host" or a URL (no open redirect after login)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 500:
        return "/"
    return path


def login_redirect(next_path: str) -> RedirectResponse:
    target = "/login" if next_path == "/" else f"/login?next={quote(next_path, safe='/')}"
    return RedirectResponse(target, status_code=303)


def current_session(request: Request) -> Session:
    context = web(request)
    session = context.sessions.get(request.cookies.get(SESSION_COOKIE))
    # An analyst removed meanwhile loses their sessions at once.
    if session is None or not context.runtime.analysts.exists(session.analyst):
        next_path = request.url.path if request.method == "GET" else "/"
        if request.method == "GET" and request.url.query:
            next_path += "?" + request.url.query
        raise LoginRequired(safe_next(next_path))
    request.state.session = session
    return session


def checked_session(session: Session = Depends(current_session), csrf_token: str = Form("", alias="csrf")) -> Session:
    """The session of a state-changing form, whose token must be the session's own."""
    csrf.check(session.csrf, csrf_token)
    return session


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(request: Request, *, next_path="/", error="", wait=0, status_code=200, name=""):
    context = web(request)
    nonce = request.cookies.get(csrf.LOGIN_COOKIE)
    fresh = not nonce or len(nonce) > 100
    if fresh:
        nonce = context.login_csrf.new_nonce()
    headers = {"Retry-After": str(wait)} if wait else None
    response = render(request, "login.html", {
        "login_token": context.login_csrf.token(nonce), "next": next_path, "error": error, "wait": wait,
        "name": name}, status_code=status_code, headers=headers)
    if fresh:
        response.set_cookie(csrf.LOGIN_COOKIE, nonce, max_age=csrf.LOGIN_COOKIE_SECONDS, httponly=True,
                            samesite="strict", secure=context.secure_cookies, path="/login")
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    return _login_page(request, next_path=safe_next(next))


@router.post("/login")
def login(request: Request, name: str = Form(""), password: str = Form(""), next: str = Form("/"),
          csrf_token: str = Form("", alias="csrf")):
    context = web(request)
    context.login_csrf.check(request.cookies.get(csrf.LOGIN_COOKIE), csrf_token)
    next_path = safe_next(next)
    name = name.strip()[:MAX_FIELD]
    address = _client(request)
    wait = context.throttle.blocked(name, address)
    if wait:
        return _login_page(request, next_path=next_path, wait=wait, status_code=429, name=name)
    if len(password) > 1000 or not context.runtime.analysts.verify(name, password):
        context.throttle.failed(name, address)
        log.warning("web/login failed from %s", address)
        return _login_page(request, next_path=next_path, error="Wrong name or password.", status_code=401, name=name)
    context.throttle.succeeded(name, address)
    # A new session id at every login: an id planted before login is worth nothing.
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        context.sessions.delete(old)
    session = context.sessions.create(name)
    context.runtime.audit.record(name, "login", detail={"from": address})
    log.info("web/login %s from %s", name, address)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(SESSION_COOKIE, session.id, max_age=context.sessions.seconds, httponly=True,
                        samesite="lax", secure=context.secure_cookies, path="/")
    response.delete_cookie(csrf.LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, session: Session = Depends(checked_session)):
    context = web(request)
    context.sessions.delete(session.id)
    context.runtime.audit.record(session.analyst, "logout")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
