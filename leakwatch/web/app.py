"""The web app: analysts' pages and the institutions' API, in one FastAPI application.

    from leakwatch.runtime import Runtime
    from leakwatch.settings import Settings
    from leakwatch.web import create_app
    app = create_app(Runtime(Settings.load()))
    uvicorn.run(app, host=settings.serve_host, port=settings.serve_port)

With run_alerts (the default) the app also runs the alert sender in a background thread
for as long as it serves, so a confirmation clicked on a page reaches the institution
without another process.
"""

import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import api, api_leaks, api_response, auth, leak_pages, pages, pages_response
from .auth import LoginRequired, login_redirect
from .context import WebContext, render
from .csrf import CsrfError
from .security import SecurityMiddleware

log = logging.getLogger("leakwatch.web")
STATIC = Path(__file__).parent / "static"
MAX_UPLOAD_BYTES = 512 << 20     # a fingerprint of a few million records; far below the RAM it takes to load
TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed", 409: "Conflict"}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(runtime, *, run_alerts: bool = True, max_upload_bytes: int = MAX_UPLOAD_BYTES) -> FastAPI:
    context = WebContext.build(runtime, max_upload_bytes=max_upload_bytes)

    @asynccontextmanager
    async def lifespan(app):
        stop, thread = threading.Event(), None
        if run_alerts and context.sender is not None:
            thread = threading.Thread(target=context.sender.run_forever, args=(stop,), kwargs={"interval": 1.0},
                                      name="leakwatch-alerts", daemon=True)
            thread.start()
            log.info("web/alerts sender started")
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=10)

    # Swagger UI and ReDoc would load their scripts from a CDN: off. The schema is served,
    # and /api/docs is a plain page of it.
    app = FastAPI(title="leakwatch", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="The institutions' API of leakwatch: register fingerprints, follow your matches, "
                              "say where alerts go. Every route needs your bearer token and sees your data only.")
    app.state.web = context
    app.add_middleware(SecurityMiddleware, upload_limit=max_upload_bytes)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(auth.router)
    app.include_router(leak_pages.router)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(api_leaks.router)
    app.include_router(pages_response.router)
    app.include_router(api_response.router)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request):
        return render(request, "api_docs.html", {"schema": app.openapi()})

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired):
        if _is_api(request):
            return JSONResponse({"detail": "A valid bearer token is required."}, status_code=401)
        return login_redirect(exc.next_path)

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError):
        return render(request, "error.html", {"title": "Forbidden", "message": str(exc), "back": "/"}, status_code=403)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if _is_api(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        message = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
        return render(request, "error.html", {"title": TITLES.get(exc.status_code, "Error"), "message": message,
                                              "back": "/"}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        # Inputs are echoed by pydantic's errors: leave them out, they may be anything.
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        if _is_api(request):
            return JSONResponse({"detail": errors}, status_code=422)
        return render(request, "error.html", {"title": "Bad request", "message": "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors), "back": "/"}, status_code=400)

    return app
