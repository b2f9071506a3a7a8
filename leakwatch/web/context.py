"""What every route of the web app shares: the runtime's stores, sessions, templates."""

import time
from dataclasses import dataclass
from pathlib import Path

import jinja2
from starlette.templating import Jinja2Templates

from leakwatch.accounts import LoginThrottle

from .csrf import LoginCsrf, web_secret
from .sessions import SessionStore

TEMPLATES = Path(__file__).parent / "templates"
SESSION_COOKIE = "lw_session"


def _when(epoch) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(epoch)))
    except (TypeError, ValueError):
        return ""


def _ago(epoch, now=None) -> str:
    try:
        seconds = max(0, int((now or time.time()) - float(epoch)))
    except (TypeError, ValueError):
        return ""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def templates() -> Jinja2Templates:
    # Our own environment so autoescaping is on for every template, whatever its name.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = _when
    env.filters["ago"] = _ago
    env.filters["label"] = lambda state: str(state).replace("_", " ")
    return Jinja2Templates(env=env)


@dataclass
class WebContext:
    runtime: object
    sessions: SessionStore
    throttle: LoginThrottle
    login_csrf: LoginCsrf
    templates: Jinja2Templates
    sender: object | None          # the AlertSender: deliveries, failures, retries
    channels: object               # AlertChannels
    secure_cookies: bool
    max_upload_bytes: int

    @classmethod
    def build(cls, runtime, *, max_upload_bytes: int) -> "WebContext":
        settings = runtime.settings
        client, ns = runtime.redis, settings.namespace
        return cls(
            runtime=runtime,
            sessions=SessionStore(client, ns, settings.session_hours),
            throttle=LoginThrottle(client, ns),
            login_csrf=LoginCsrf(web_secret(client, ns)),
            templates=templates(),
            sender=runtime.alert_sender,
            channels=runtime.channels,
            secure_cookies=str(settings.public_url).startswith("https://"),
            max_upload_bytes=max_upload_bytes,
        )


def web(request) -> WebContext:
    return request.app.state.web


def render(request, name: str, context: dict | None = None, status_code: int = 200, headers=None):
    """A page; the signed-in analyst and their form token are there for the layout."""
    session = getattr(request.state, "session", None)
    full = {"session": session, "csrf": session.csrf if session else "", "flash": None}
    full.update(context or {})
    return web(request).templates.TemplateResponse(request, name, full, status_code=status_code, headers=headers)
