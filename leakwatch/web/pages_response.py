"""Analysts' pages for responding to a confirmed match: the notification draft (to read,
and to download as Markdown, HTML or PDF, in English or French) and the STIX and TheHive
exports. The positions of the records found are never on a page: they are the institution's.
"""

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from leakwatch.response import LANGS, match_facts, notification
from leakwatch.response.documents import notification_document, stix_document, thehive_document

from .auth import current_session
from .context import render, web
from .pages import _match_or_404, urgency_level
from .sessions import Session

router = APIRouter(include_in_schema=False)


def _confirmed(request: Request, match_id: str) -> dict:
    match = _match_or_404(request, match_id)
    if match["state"] != "confirmed":
        raise HTTPException(409, "Only a confirmed match has a notification draft and SOC exports.")
    return match


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise HTTPException(400, f"Unknown language: use one of {', '.join(LANGS)}.")
    return lang


def _facts(request: Request, match: dict):
    context = web(request)
    return match_facts(context.runtime.sightings, match, context.sender)


def _download(body: bytes, media: str, name: str) -> Response:
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/matches/{match_id}/notification")
def notification_page(request: Request, match_id: str, lang: str = "en", session: Session = Depends(current_session)):
    match = _confirmed(request, match_id)
    match["level"] = urgency_level(match)
    doc = notification(_facts(request, match), _lang(lang))
    return render(request, "notification.html", {"match": match, "doc": doc, "lang": lang, "langs": LANGS})


@router.get("/matches/{match_id}/notification.{fmt}")
def notification_download(request: Request, match_id: str, fmt: str, lang: str = "en",
                          session: Session = Depends(current_session)):
    match = _confirmed(request, match_id)
    if fmt not in ("md", "html", "pdf"):
        raise HTTPException(404, "No such format: md, html or pdf.")
    body, media, name = notification_document(_facts(request, match), _lang(lang), fmt)
    web(request).runtime.audit.record(session.analyst, f"export:notification-{fmt}", match["id"], {"lang": lang})
    return _download(body, media, name)


@router.get("/matches/{match_id}/stix.json")
def stix_export(request: Request, match_id: str, session: Session = Depends(current_session)):
    match = _confirmed(request, match_id)
    web(request).runtime.audit.record(session.analyst, "export:stix", match["id"])
    return _download(*stix_document(_facts(request, match)))


@router.get("/matches/{match_id}/thehive.json")
def thehive_export(request: Request, match_id: str, session: Session = Depends(current_session)):
    match = _confirmed(request, match_id)
    web(request).runtime.audit.record(session.analyst, "export:thehive", match["id"])
    return _download(*thehive_document(_facts(request, match), web(request).runtime.settings.public_url or ""))


@router.get("/matches/{match_id}/times.json")
def times_json(request: Request, match_id: str, session: Session = Depends(current_session)):
    times = dict(_facts(request, _match_or_404(request, match_id)).times)
    times.pop("warned_epoch", None)
    return JSONResponse(times)
