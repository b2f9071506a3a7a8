"""The analysts' pages: the match queue, one match (spread chart, triage), alerts, audit.
(The landing page is the queue of leaks: leak_pages.py.)"""

import logging
import math
import re
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse

from leakwatch.review import DECISIONS, TriageError, spread_timeline
from leakwatch.matchers.match.excerpt import predates
from leakwatch.matchers.registry.queue import STATES

from .auth import checked_session, current_session
from .context import render, web
from .sessions import Session
from .timeline import timeline_chart

log = logging.getLogger("leakwatch.web")
router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
MATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,200}")
# Urgency is records x (1 + the sensitivity of the leaked kinds), see matchers/registry/queue.py:
# 100 records with a NIR and a health note weigh about 1,100, "high"; a few names and cities, "low".
LEVELS = ((1000.0, "high"), (100.0, "medium"), (0.0, "low"))


def urgency_level(match: dict) -> str:
    if match.get("canaries"):
        return "canary"
    return next(name for floor, name in LEVELS if match["urgency"] >= floor)


def _page_number(raw: str) -> int:
    try:
        return max(1, min(int(raw), 10**6))
    except (TypeError, ValueError):
        return 1


def _match_or_404(request: Request, match_id: str) -> dict:
    match = web(request).runtime.queue.get(match_id) if MATCH_ID.fullmatch(match_id) else None
    if match is None:
        raise HTTPException(404, "No such match.")
    return match


@router.get("/matches")
def queue_page(request: Request, session: Session = Depends(current_session), institution: str = "",
               source: str = "", state: str = "new", page: str = "1"):
    runtime = web(request).runtime
    institution, source = institution.strip()[:100], source.strip()[:100]
    if state != "all" and state not in STATES:
        raise HTTPException(400, f"Unknown state filter: use one of all, {', '.join(STATES)}.")
    number = _page_number(page)
    runtime.leaks.sync()  # reposts of decided leaks are filed as duplicates before the queue is shown
    matches, total = runtime.queue.list(states=STATES if state == "all" else (state,), institution=institution or None,
                                        source=source or None, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    filters = {k: v for k, v in (("institution", institution), ("source", source), ("state", state)) if v}

    def link(n):
        return "/matches?" + urlencode({**filters, "page": n})

    for match in matches:
        match["level"] = urgency_level(match)
    institutions = sorted({d["institution"] for d in runtime.registry.datasets()} | ({institution} - {""}))
    return render(request, "queue.html", {
        "matches": matches, "total": total, "page": number, "pages": pages,
        "prev_url": link(number - 1) if number > 1 else None,
        "next_url": link(number + 1) if number < pages else None,
        "first_url": link(1), "last_url": link(pages),
        "filters": {"institution": institution, "source": source, "state": state},
        "institutions": institutions, "sources": sorted(set(runtime.queue.sources()) | ({source} - {""})),
        "states": STATES, "counts": runtime.queue.counts(),
        "state_links": {s: "/matches?" + urlencode({**filters, "state": s}) for s in ("all", *STATES)},
    })


@router.get("/matches/{match_id}")
def match_page(request: Request, match_id: str, session: Session = Depends(current_session)):
    context = web(request)
    runtime = context.runtime
    runtime.leaks.sync()  # files a new repost in its leak (and as a duplicate of a decided one) before it is shown
    match = _match_or_404(request, match_id)
    match["level"] = urgency_level(match)
    sighting = runtime.sightings.get(match["sighting"], with_matches=False)
    points = spread_timeline(runtime.sightings, match) if sighting else []
    leak_id = runtime.leaks.store.leak_of(match["sighting"]) or ""
    from leakwatch.response import match_facts

    return render(request, "match.html", {
        "times": match_facts(runtime.sightings, match, context.sender).times,
        "match": match, "sighting": sighting, "points": points, "chart": timeline_chart(points),
        "excerpt_predates": predates(sighting.get("excerpt", "")) if sighting else False,
        "audit": runtime.audit.for_match(match["id"]),
        "deliveries": context.sender.deliveries(match["id"]) if context.sender else [],
        "analysts": runtime.analysts.names(), "decisions": DECISIONS,
        "leak_id": leak_id,
    })


def _back_to(match_id: str) -> RedirectResponse:
    return RedirectResponse(f"/matches/{match_id}", status_code=303)


def _refused(request: Request, match: dict, message: str):
    return render(request, "error.html", {"title": "Not done", "message": message,
                                          "back": f"/matches/{match['id']}"}, status_code=400)


@router.post("/matches/{match_id}/decide")
def decide(request: Request, match_id: str, session: Session = Depends(checked_session), state: str = Form(""),
           note: str = Form(""), duplicate_of: str = Form("")):
    match = _match_or_404(request, match_id)
    duplicate_of = duplicate_of.strip() if state == "duplicate" else ""
    if duplicate_of == match["id"]:
        return _refused(request, match, "A match cannot be a duplicate of itself.")
    if duplicate_of and not MATCH_ID.fullmatch(duplicate_of):
        return _refused(request, match, "The original match id is not a match id.")
    try:
        web(request).runtime.triage.decide(match["id"], state, session.analyst, note=note, duplicate_of=duplicate_of)
    except TriageError as exc:
        return _refused(request, match, str(exc))
    log.info("web/decide %s %s by %s", match["id"], state, session.analyst)
    return _back_to(match["id"])


@router.post("/matches/{match_id}/assign")
def assign(request: Request, match_id: str, session: Session = Depends(checked_session), analyst: str = Form("")):
    match = _match_or_404(request, match_id)
    try:
        web(request).runtime.triage.assign(match["id"], analyst.strip(), session.analyst)
    except TriageError as exc:
        return _refused(request, match, str(exc))
    return _back_to(match["id"])


@router.post("/matches/{match_id}/note")
def add_note(request: Request, match_id: str, session: Session = Depends(checked_session), text: str = Form("")):
    match = _match_or_404(request, match_id)
    try:
        web(request).runtime.triage.note(match["id"], text, session.analyst)
    except TriageError as exc:
        return _refused(request, match, str(exc))
    return _back_to(match["id"])


@router.get("/matches/{match_id}/misp.json")
def misp_export(request: Request, match_id: str, session: Session = Depends(current_session)):
    from leakwatch.alerts import misp_event

    runtime = web(request).runtime
    match = _match_or_404(request, match_id)
    if match["state"] != "confirmed":
        return JSONResponse({"detail": "Only a confirmed match is exported as a MISP event."}, status_code=409)
    sighting = runtime.sightings.get(match["sighting"], with_matches=False) or {}
    points = spread_timeline(runtime.sightings, match) if sighting else []
    runtime.audit.record(session.analyst, "export:misp", match["id"])
    return JSONResponse(misp_event(match, sighting, points), headers={
        "Content-Disposition": f'attachment; filename="leakwatch-{match["id"]}.misp.json"'})


@router.get("/alerts")
def alerts_page(request: Request, session: Session = Depends(current_session)):
    sender = web(request).sender
    return render(request, "alerts.html", {"failures": sender.failures(limit=50) if sender else []})


@router.post("/alerts/{delivery_id}/retry")
def retry_alert(request: Request, delivery_id: str, session: Session = Depends(checked_session)):
    from leakwatch.alerts import AlertError

    context = web(request)
    delivery_id = delivery_id[:200]
    delivery = context.sender.get(delivery_id) if context.sender else None
    if delivery is None:
        raise HTTPException(404, "No such delivery.")
    try:
        rearmed = context.sender.retry(delivery_id)
    except AlertError as exc:
        return render(request, "error.html", {"title": "Not retried", "message": str(exc), "back": "/alerts"},
                      status_code=409)
    context.runtime.audit.record(session.analyst, "alert:retry", delivery.get("match", ""),
                                 {"delivery": delivery_id, "rearmed": ", ".join(rearmed)})
    return RedirectResponse("/alerts", status_code=303)


@router.get("/audit")
def audit_page(request: Request, session: Session = Depends(current_session)):
    return render(request, "audit.html", {"entries": web(request).runtime.audit.recent(200)})
