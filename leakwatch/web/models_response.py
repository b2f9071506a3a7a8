"""The institutions' API for responding to a match: affected records, times, SOC channels."""

from pydantic import BaseModel, Field


class Affected(BaseModel):
    match: str
    dataset: str
    fingerprint_created_at: str = Field(description="When the fingerprint file these positions refer to was made.")
    table_rows: int = Field(description="Rows of the table that file was made from (canaries not included).")
    confirmed: list[int] = Field(description="Record numbers (0 = the table's first data row) confirmed in the dump.")
    weak: list[int] = Field(description="Record numbers seen with weak evidence only (the range's upper part).")
    canaries: list[int] = Field(description="Canary records seen, numbered in the canary table (0 = its first row).")
    skipped_confirmed: int = Field(description="Confirmed records left out by the bound on stored positions.")
    skipped_weak: int


class AlertTime(BaseModel):
    event: str
    channel: str
    state: str
    created_at: str | None
    delivered_at: str | None


class Seconds(BaseModel):
    posted_to_first_seen: float | None
    seen_to_matched: float | None
    matched_to_confirmed: float | None
    first_seen_to_warned: float | None
    posted_to_warned: float | None


class Times(BaseModel):
    match: str
    posted_at: str | None = Field(description="The source's posting time, when it gives one that reads as a time.")
    posted_at_text: str = Field(description="The posting time as the source wrote it.")
    first_seen: str | None = Field(description="When the monitor first saw this leak (its first sighting).")
    seen: str | None = Field(description="When the monitor saw the dump of this match.")
    matched: str | None
    confirmed: str | None
    warned: str | None = Field(description="The first alert delivered to you.")
    alerts: list[AlertTime]
    seconds: Seconds


class SocChannelsIn(BaseModel):
    thehive_url: str | None = Field(None, max_length=2000, description="TheHive 5 base URL; null: none.")
    thehive_api_key: str | None = Field(None, max_length=500, description="TheHive API key (write-only).")
    stix_url: str | None = Field(None, max_length=2000, description="http(s) URL that gets each STIX 2.1 bundle, signed as webhooks are.")


class SocChannels(BaseModel):
    institution: str
    thehive_url: str | None
    thehive_api_key_set: bool
    stix_url: str | None


class SocChannelsSet(SocChannels):
    stix_secret: str | None = Field(description="Verify each STIX delivery's X-Leakwatch-Signature with it.")
