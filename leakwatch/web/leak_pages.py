"""The analysts' landing page, the queue of leaks, and one leak's page (its sightings, its spread,
each institution's part, whole-leak and per-institution triage)."""

import logging
import math
import re
from datetime import datetime, timezone
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from leakwatch.review import TriageError, leak_timeline
from leakwatch.review.leak_queue import leak_audit
from leakwatch.matchers.registry.leaks import LEAK_STATES

from .auth import checked_session, current_session
from .context import render, web
from .pages import LEVELS
from .sessions import Session
from .timeline import timeline_chart

log = logging.getLogger("leakwatch.web")
router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
LEAK_ID = re.compile(r"s[0-9]{1,18}")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")
DECISIONS = {"confirm": "confirmed", "dismiss": "false_positive"}


def leak_level(leak: dict) -> str:
    if leak.get("canaries"):
        return "canary"
    return next(name for floor, name in LEVELS if leak["urgency"] >= floor)


def _day(raw: str, end: bool = False) -> float | None:
    """A date field of the filter form (YYYY-MM-DD, UTC) as epoch seconds; an unreadable one is a 400."""
    if not raw:
        return None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise HTTPException(400, "A date filter is YYYY-MM-DD.") from None
    return day.timestamp() + (86399 if end else 0)


def _page_number(raw: str) -> int:
    try:
        return max(1, min(int(raw), 10**6))
    except (TypeError, ValueError):
        return 1


@router.get("/")
def leaks_page(request: Request, session: Session = Depends(current_session), state: str = "new",
               institution: str = "", source: str = "", since: str = "", until: str = "", q: str = "",
               page: str = "1"):
    runtime = web(request).runtime
    institution, source, q = institution.strip()[:100], source.strip()[:100], q.strip()[:200]
    since, until = since.strip()[:10], until.strip()[:10]
    if state != "all" and state not in LEAK_STATES:
        raise HTTPException(400, f"Unknown state filter: use one of all, {', '.join(LEAK_STATES)}.")
    number = _page_number(page)
    leaks, total = runtime.leaks.list(
        states=LEAK_STATES if state == "all" else (state,), institution=institution or None, source=source or None,
        seen_from=_day(since), seen_to=_day(until, end=True), text=q, limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    filters = {k: v for k, v in (("state", state), ("institution", institution), ("source", source),
                                 ("since", since), ("until", until), ("q", q)) if v}

    def link(n):
        return "/?" + urlencode({**filters, "page": n})

    for leak in leaks:
        leak["level"] = leak_level(leak)
    institutions = sorted({d["institution"] for d in runtime.registry.datasets()} | ({institution} - {""}))
    return render(request, "leaks.html", {
        "leaks": leaks, "total": total, "page": number, "pages": pages,
        "prev_url": link(number - 1) if number > 1 else None,
        "next_url": link(number + 1) if number < pages else None,
        "first_url": link(1), "last_url": link(pages),
        "filters": {"state": state, "institution": institution, "source": source, "since": since, "until": until,
                    "q": q},
        "institutions": institutions, "sources": sorted(set(runtime.leaks.sources()) | ({source} - {""})),
        "states": LEAK_STATES, "counts": runtime.leaks.counts(),
        "state_links": {s: "/?" + urlencode({**filters, "state": s}) for s in ("all", *LEAK_STATES)},
    })


def _leak_or_404(request: Request, leak_id: str) -> dict:
    leak = web(request).runtime.leaks.get(leak_id) if LEAK_ID.fullmatch(leak_id) else None
    if leak is None:
        raise HTTPException(404, "No such leak.")
    return leak


@router.get("/leaks/{leak_id}")
def leak_page(request: Request, leak_id: str, session: Session = Depends(current_session)):
    runtime = web(request).runtime
    leak = _leak_or_404(request, leak_id)
    leak["level"] = leak_level(leak)
    points = leak_timeline(leak)
    return render(request, "leak.html", {"leak": leak, "points": points, "chart": timeline_chart(points),
                                         "audit": leak_audit(runtime.audit, leak), "show_match": True})


@router.post("/leaks/{leak_id}/decide")
def decide_leak(request: Request, leak_id: str, session: Session = Depends(checked_session),
                decision: str = Form(""), institution: str = Form(""), dataset: str = Form(""), note: str = Form("")):
    leak = _leak_or_404(request, leak_id)
    back = f"/leaks/{leak['id']}"
    if decision not in DECISIONS or any(v and not NAME.fullmatch(v) for v in (institution, dataset)):
        return render(request, "error.html", {"title": "Not done", "message": "Confirm or dismiss, for the whole leak "
                                              "or one institution in it.", "back": back}, status_code=400)
    try:
        decided = web(request).runtime.leaks.decide(leak["id"], DECISIONS[decision], session.analyst, note=note[:2000],
                                                    institution=institution or None, dataset=dataset or None)
    except TriageError as exc:
        return render(request, "error.html", {"title": "Not done", "message": str(exc), "back": back}, status_code=400)
    log.info("web/leak %s %s (%s) by %s: %d match(es)", leak["id"], decision, institution or "whole leak",
             session.analyst, len(decided["changed"]))
    return RedirectResponse(back, status_code=303)
