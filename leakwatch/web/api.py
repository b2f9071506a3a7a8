"""The institutions' JSON API under /api/v1: their datasets, their matches, their alert channels.

A bearer token (InstitutionTokens) names one institution; every route answers for that
institution only. Anything else, another institution's match or dataset included, is a
plain 404: the answer says no more than "not found".
"""

import logging
import os
import tempfile
import time
import zipfile

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from leakwatch.matchers.fingerprint import Fingerprint, FingerprintFileError
from leakwatch.matchers.registry import RegistryError, check_name
from leakwatch.matchers.registry.queue import STATES

from . import models
from .context import web

log = logging.getLogger("leakwatch.web")
bearer = HTTPBearer(auto_error=False, description="An institution's API token (lwt_...).")
UNAUTHORIZED = {401: {"model": models.Problem, "description": "No token, or not a valid one."}}
NOT_FOUND = {404: {"model": models.Problem, "description": "Not found (or not this institution's)."}}
router = APIRouter(prefix="/api/v1", tags=["institutions"], responses=UNAUTHORIZED)


def unprocessable(message: str, where=("body",)) -> HTTPException:
    # The shape of FastAPI's own validation errors, so one schema describes every 422.
    return HTTPException(422, [{"loc": list(where), "msg": message, "type": "value_error"}])


def api_institution(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    institution = web(request).runtime.tokens.resolve(credentials.credentials) if credentials else None
    if institution is None:
        raise HTTPException(401, "A valid bearer token is required.", headers={"WWW-Authenticate": "Bearer"})
    return institution


def _iso(epoch) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(epoch))) if epoch else None


def _dataset(meta: dict) -> models.Dataset:
    return models.Dataset(id=meta["id"], dataset=meta["dataset"], records=meta["rows"], canaries=meta["canaries"],
                          fields=meta["fields"], tokens=meta["tokens"], key_id=meta["key_id"],
                          fingerprint_created_at=str(meta.get("fingerprint_created_at", "")),
                          registered_at=meta["registered_at"])


def _match(match: dict) -> models.Match:
    return models.Match(
        id=match["id"], dataset=match["dataset"], state=match["state"], records=match["records"],
        records_low=match["records_low"], records_high=match["records_high"], canaries=match["canaries"],
        fields=match["fields"], source=match.get("source") or "scan", url=match.get("url") or None,
        name=match.get("name") or "", found_at=_iso(match["created_at"]), decided_at=_iso(match.get("decided_at")))


def _own_datasets(request: Request, institution: str) -> list:
    return [m for m in web(request).runtime.registry.datasets() if m["institution"] == institution]


@router.get("/datasets", response_model=list[models.Dataset], summary="Your registered datasets")
def list_datasets(request: Request, institution: str = Depends(api_institution)):
    return [_dataset(m) for m in _own_datasets(request, institution)]


@router.get("/datasets/{dataset}", response_model=models.Dataset, summary="One of your registered datasets",
            responses=NOT_FOUND)
def get_dataset(request: Request, dataset: str, institution: str = Depends(api_institution)):
    # Looked up among the token's own datasets: another institution's is as unknown as a typo.
    for meta in _own_datasets(request, institution):
        if meta["dataset"] == dataset:
            return _dataset(meta)
    raise HTTPException(404, "No such dataset.")


@router.put(
    "/datasets/{dataset}", response_model=models.Dataset, summary="Register or replace a dataset",
    description="The body is a .lwfp fingerprint file made on your premises with `leakwatch fingerprint` "
                "and this deployment's key. Registering a name again replaces that dataset atomically.",
    responses={413: {"model": models.Problem, "description": "The file is larger than the upload limit."}},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def put_dataset(request: Request, dataset: str, institution: str = Depends(api_institution)):
    context = web(request)
    try:
        check_name("dataset", dataset)
    except RegistryError as exc:
        raise unprocessable(str(exc), ("path", "dataset")) from None
    limit = context.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"The fingerprint file is larger than {limit} bytes.")
    # Streamed to a temporary file: a big fingerprint never sits whole in memory twice.
    handle = tempfile.NamedTemporaryFile(prefix="lw-upload-", suffix=".lwfp", delete=False)
    try:
        size = 0
        with handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, f"The fingerprint file is larger than {limit} bytes.")
                handle.write(chunk)
        if size == 0:
            raise unprocessable("The body is empty: send the .lwfp file as application/octet-stream.")
        meta = await run_in_threadpool(_register, context, institution, dataset, handle.name, limit)
    finally:
        os.unlink(handle.name)
    log.info("api/register %s by token of %s", meta["id"], institution)
    return _dataset(meta)


def _register(context, institution: str, dataset: str, path: str, limit: int) -> dict:
    try:
        with zipfile.ZipFile(path) as archive:
            # .lwfp members are stored, not compressed; a member that unpacks past the
            # upload limit is a zip bomb, not a fingerprint.
            if sum(info.file_size for info in archive.infolist()) > limit:
                raise unprocessable("The fingerprint file unpacks to more than the upload limit.")
    except zipfile.BadZipFile:
        raise unprocessable("This is not a leakwatch fingerprint file (.lwfp): make it with `leakwatch fingerprint`.") from None
    try:
        fingerprint = Fingerprint.load(path)
    except FingerprintFileError as exc:
        raise unprocessable(str(exc).replace(path, "the uploaded file")) from None
    except MemoryError:
        raise unprocessable("The fingerprint file is damaged (its arrays are larger than it says).") from None
    runtime = context.runtime
    try:
        meta = runtime.registry.register(institution, dataset, fingerprint, key_id=runtime.key.key_id)
    except RegistryError as exc:
        raise unprocessable(str(exc)) from None
    runtime.audit.record(f"institution:{institution}", "dataset:register", detail={"dataset": dataset})
    return meta


@router.delete("/datasets/{dataset}", status_code=204, response_class=Response, summary="Remove a dataset",
               responses=NOT_FOUND)
def delete_dataset(request: Request, dataset: str, institution: str = Depends(api_institution)):
    runtime = web(request).runtime
    try:
        runtime.registry.remove(institution, dataset)
    except RegistryError:
        raise HTTPException(404, "No such dataset.") from None
    runtime.audit.record(f"institution:{institution}", "dataset:remove", detail={"dataset": dataset})
    return Response(status_code=204)


@router.get("/matches", response_model=models.MatchPage, summary="Your matches, most urgent first")
def list_matches(request: Request, institution: str = Depends(api_institution),
                 state: models.State | None = Query(None, description="Only matches in this state."),
                 limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10_000_000)):
    matches, total = web(request).runtime.queue.list(
        states=(state,) if state else STATES, institution=institution, limit=limit, offset=offset)
    return models.MatchPage(total=total, limit=limit, offset=offset, matches=[_match(m) for m in matches])


@router.get("/matches/{match_id}", response_model=models.Match, summary="One of your matches", responses=NOT_FOUND)
def get_match(request: Request, match_id: str, institution: str = Depends(api_institution)):
    match = web(request).runtime.queue.get(match_id) if len(match_id) <= 300 else None
    if match is None or match["institution"] != institution:
        raise HTTPException(404, "No such match.")
    return _match(match)


@router.get("/alert-channels", response_model=models.AlertChannels, summary="Where your alerts go")
def get_channels(request: Request, institution: str = Depends(api_institution)):
    channels = web(request).channels.get(institution)
    return models.AlertChannels(institution=institution, webhook_url=channels["webhook_url"],
                                webhook_secret_set=bool(channels["webhook_secret"]), emails=channels["emails"])


@router.put("/alert-channels", response_model=models.AlertChannelsSet, summary="Set where your alerts go")
def put_channels(request: Request, body: models.AlertChannelsIn, institution: str = Depends(api_institution)):
    from leakwatch.alerts import AlertError

    context = web(request)
    try:
        channels = context.channels.set(institution, webhook_url=body.webhook_url, emails=body.emails)
    except AlertError as exc:
        raise unprocessable(str(exc)) from None
    context.runtime.audit.record(f"institution:{institution}", "alert-channels:set",
                                 detail={"webhook": bool(channels["webhook_url"]), "emails": len(channels["emails"])})
    return models.AlertChannelsSet(**channels)
