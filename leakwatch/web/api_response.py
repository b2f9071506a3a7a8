"""The institutions' API for responding to a confirmed match, under /api/v1 with the same
bearer token as the rest: the positions of their own records that were found, the times
from posting to warning, the notification draft, the STIX bundle and the TheHive alert.

Positions are served to the match's institution only and are never logged: the access log
has the path, this module logs the match id and the count.
"""

import logging

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from leakwatch.response import LANGS, match_facts
from leakwatch.response.documents import notification_document, stix_document, thehive_document

from . import models, models_response
from .api import NOT_FOUND, UNAUTHORIZED, api_institution, unprocessable
from .context import web

log = logging.getLogger("leakwatch.web")
router = APIRouter(prefix="/api/v1", tags=["response"], responses=UNAUTHORIZED)
NOT_CONFIRMED = {409: {"model": models.Problem, "description": "The match is not confirmed (yet)."}}


def _own_match(request: Request, match_id: str, institution: str, confirmed: bool = True) -> dict:
    match = web(request).runtime.queue.get(match_id) if len(match_id) <= 300 else None
    if match is None or match["institution"] != institution:
        raise HTTPException(404, "No such match.")
    if confirmed and match["state"] != "confirmed":
        raise HTTPException(409, "Only a confirmed match has this: an analyst has not confirmed it.")
    return match


def _facts(request: Request, match: dict):
    context = web(request)
    return match_facts(context.runtime.sightings, match, context.sender)


@router.get("/matches/{match_id}/affected", response_model=models_response.Affected,
            summary="Which of your registered records were found", responses={**NOT_FOUND, **NOT_CONFIRMED},
            description="Positions in the fingerprint file you uploaded (record numbers of your table, from 0). "
                        "Turn them into your own rows on your premises with `leakwatch affected`.")
def affected(request: Request, match_id: str, institution: str = Depends(api_institution)):
    runtime = web(request).runtime
    match = _own_match(request, match_id, institution)
    stored = runtime.queue.positions.read(match["id"])
    if stored is None:
        raise HTTPException(404, "This match was found before positions were kept: scan the dump again.")
    runtime.audit.record(f"institution:{institution}", "affected:fetch", match["id"])
    log.info("api/affected %s: %d confirmed, %d weak", match["id"], len(stored["confirmed"]), len(stored["weak"]))
    return models_response.Affected(match=match["id"], dataset=match["dataset"], table_rows=stored["rows"],
                                    **{k: stored[k] for k in ("fingerprint_created_at", "confirmed", "weak",
                                                              "canaries", "skipped_confirmed", "skipped_weak")})


@router.get("/matches/{match_id}/times", response_model=models_response.Times,
            summary="From the source's posting to your warning", responses=NOT_FOUND)
def times(request: Request, match_id: str, institution: str = Depends(api_institution)):
    match = _own_match(request, match_id, institution, confirmed=False)
    found = dict(_facts(request, match).times)
    found.pop("warned_epoch", None)
    return models_response.Times(match=match["id"], **found)


@router.get("/matches/{match_id}/notification", summary="The notification draft for your data-protection authority",
            responses={**NOT_FOUND, **NOT_CONFIRMED, 200: {"content": {
                "text/markdown": {}, "text/html": {}, "application/pdf": {}}}})
def notification(request: Request, match_id: str, institution: str = Depends(api_institution),
                 lang: str = Query("en", pattern="^(en|fr)$", description="en or fr."),
                 format: str = Query("md", pattern="^(md|html|pdf)$", description="md, html or pdf.")):
    match = _own_match(request, match_id, institution)
    if lang not in LANGS:
        raise unprocessable(f"lang must be one of {', '.join(LANGS)}", ("query", "lang"))
    body, media, name = notification_document(_facts(request, match), lang, format)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/matches/{match_id}/stix", summary="The match as a STIX 2.1 bundle",
            responses={**NOT_FOUND, **NOT_CONFIRMED, 200: {"content": {"application/stix+json;version=2.1": {}}}})
def stix(request: Request, match_id: str, institution: str = Depends(api_institution)):
    body, media, name = stix_document(_facts(request, _own_match(request, match_id, institution)))
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/matches/{match_id}/thehive", summary="The match as a TheHive 5 alert (JSON)",
            responses={**NOT_FOUND, **NOT_CONFIRMED, 200: {"content": {"application/json": {}}}})
def thehive(request: Request, match_id: str, institution: str = Depends(api_institution)):
    body, media, name = thehive_document(_facts(request, _own_match(request, match_id, institution)),
                                         web(request).runtime.settings.public_url or "")
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _soc(request: Request):
    from leakwatch.alerts.soc_channels import SocChannels

    runtime = web(request).runtime
    return SocChannels(runtime.redis, runtime.settings.namespace, runtime.settings.alert_webhook_allow)


def _soc_model(current: dict) -> models_response.SocChannels:
    return models_response.SocChannels(institution=current["institution"], thehive_url=current["thehive_url"],
                                       thehive_api_key_set=bool(current["thehive_api_key"]), stix_url=current["stix_url"])


@router.get("/soc-channels", response_model=models_response.SocChannels, summary="Your TheHive and STIX receiver")
def get_soc_channels(request: Request, institution: str = Depends(api_institution)):
    return _soc_model(_soc(request).get(institution))


@router.put("/soc-channels", response_model=models_response.SocChannelsSet,
            summary="Send your alerts to your TheHive 5 and/or a STIX 2.1 receiver too",
            description="TheHive gets one alert per match (sourceRef = the match id), updated by later events; "
                        "the STIX receiver gets each match's bundle, signed as webhooks are with stix_secret.")
def put_soc_channels(request: Request, body: models_response.SocChannelsIn, institution: str = Depends(api_institution)):
    from leakwatch.alerts import AlertError

    try:
        current = _soc(request).set(institution, thehive_url=body.thehive_url, thehive_api_key=body.thehive_api_key,
                                    stix_url=body.stix_url)
    except AlertError as exc:
        raise unprocessable(str(exc)) from None
    web(request).runtime.audit.record(f"institution:{institution}", "soc-channels:set",
                                      detail={"thehive": bool(current["thehive_url"]), "stix": bool(current["stix_url"])})
    return models_response.SocChannelsSet(**_soc_model(current).model_dump(), stix_secret=current["stix_secret"])
