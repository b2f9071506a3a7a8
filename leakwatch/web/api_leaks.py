"""The institutions' API for leaks: the leaks holding their records, and their own part of each.

A leak can hold many institutions' records; a token sees only its own part (its datasets,
their records and matches) and where and when the leak was seen. Other institutions in the
same leak, their number and their counts are never shown. A leak without the token's
records is a plain 404, like a leak that does not exist.
"""

import time
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from .api import NOT_FOUND, UNAUTHORIZED, api_institution
from .context import web

router = APIRouter(prefix="/api/v1", tags=["institutions"], responses=UNAUTHORIZED)
LeakState = Literal["new", "confirmed", "dismissed"]


class LeakSighting(BaseModel):
    id: str
    seen_at: str = Field(description="When it was seen (UTC, ISO 8601).")
    source: str = Field(description="A crawled source, or 'scan'.")
    url: str | None
    name: str = Field(description="Name of the dump (file or paste title).")


class LeakPart(BaseModel):
    dataset: str
    state: LeakState = Field(description="new while a match of it awaits review, else confirmed or dismissed.")
    records: int = Field(description="Your records confirmed in the largest copy of the leak.")
    records_low: int
    records_high: int
    canaries: int
    fields: list[str] = Field(description="Kinds of values of the matching dump rows.")
    matches: list[str] = Field(description="Ids of the matches of this dataset, one per sighting (see /matches/{id}).")


class Leak(BaseModel):
    id: str = Field(description="The leak's id: its first sighting's.")
    state: LeakState = Field(description="Of your part of the leak.")
    first_seen: str
    latest_seen: str
    sightings: list[LeakSighting] = Field(description="The leak's spread: its first sighting and every repost since.")
    parts: list[LeakPart] = Field(description="Your datasets found in the leak (only yours).")


class LeakPage(BaseModel):
    total: int
    limit: int
    offset: int
    leaks: list[Leak]


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def own_part(leak: dict, institution: str) -> Leak | None:
    """The leak as this institution may see it; None if none of its records are in it."""
    parts = [p for p in leak["parts"] if p["institution"] == institution]
    if not parts:
        return None
    states = {p["state"] for p in parts}
    state = "new" if "new" in states else "confirmed" if "confirmed" in states else "dismissed"
    return Leak(
        id=leak["id"], state=state, first_seen=_iso(leak["first_seen"]), latest_seen=_iso(leak["latest_seen"]),
        sightings=[LeakSighting(id=s["id"], seen_at=_iso(s["seen_at"]), source=s["source"], url=s["url"] or None,
                                name=s["name"]) for s in leak["sightings"]],
        parts=[LeakPart(dataset=p["dataset"], state=p["state"], records=p["records"], records_low=p["records_low"],
                        records_high=p["records_high"], canaries=p["canaries"], fields=p["fields"],
                        matches=[m["id"] for m in p["matches"]]) for p in parts])


@router.get("/leaks", response_model=LeakPage, summary="Leaks holding your records, most urgent first")
def list_leaks(request: Request, institution: str = Depends(api_institution),
               state: LeakState | None = Query(None, description="Only leaks whose part of yours is in this state."),
               limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10_000_000)):
    leaks = [own_part(leak, institution) for leak in web(request).runtime.leaks.for_institution(institution)]
    leaks = [leak for leak in leaks if leak is not None and (state is None or leak.state == state)]
    return LeakPage(total=len(leaks), limit=limit, offset=offset, leaks=leaks[offset:offset + limit])


@router.get("/leaks/{leak_id}", response_model=Leak, summary="One leak holding your records (your part only)",
            responses=NOT_FOUND)
def get_leak(request: Request, leak_id: str, institution: str = Depends(api_institution)):
    leak = web(request).runtime.leaks.get(leak_id) if len(leak_id) <= 40 else None
    part = own_part(leak, institution) if leak is not None else None
    if part is None:
        raise HTTPException(404, "No such leak.")
    return part
