"""The institutions' API: what each request takes and each response gives (the OpenAPI schema)."""

from typing import Literal

from pydantic import BaseModel, Field

State = Literal["new", "confirmed", "false_positive", "duplicate"]


class Problem(BaseModel):
    detail: str = Field(description="What went wrong, in words.")


class Dataset(BaseModel):
    id: str = Field(description="institution/dataset")
    dataset: str
    records: int = Field(description="Records fingerprinted (canaries not included).")
    canaries: int
    fields: list[str] = Field(description="Kinds of values the dataset holds (nir, name, email, ...).")
    tokens: int
    key_id: str = Field(description="Id of the deployment key the fingerprint was made with.")
    fingerprint_created_at: str
    registered_at: str


class Match(BaseModel):
    id: str
    dataset: str
    state: State = Field(description="new (not reviewed yet), confirmed, false_positive or duplicate.")
    records: int = Field(description="Distinct registered records confirmed in the dump.")
    records_low: int
    records_high: int = Field(description="Adds records seen with weak evidence only.")
    canaries: int = Field(description="Canary records seen: one is a match on its own.")
    fields: list[str] = Field(description="Kinds of values of the matching dump rows.")
    source: str = Field(description="Where the dump was found (a crawled source, or 'scan').")
    url: str | None = Field(description="Address of the dump, when it was crawled.")
    name: str = Field(description="Name of the dump (file or paste title).")
    found_at: str = Field(description="When the match was found (UTC, ISO 8601).")
    decided_at: str | None = Field(description="When an analyst last decided on it (UTC, ISO 8601).")


class MatchPage(BaseModel):
    total: int
    limit: int
    offset: int
    matches: list[Match]


class AlertChannelsIn(BaseModel):
    webhook_url: str | None = Field(None, max_length=2000, description="http(s) URL that gets signed JSON alerts; null: none.")
    emails: list[str] = Field(default_factory=list, max_length=100, description="Addresses that get alert e-mails.")


class AlertChannels(BaseModel):
    institution: str
    webhook_url: str | None
    webhook_secret_set: bool = Field(description="Whether a signing secret exists (it is shown by PUT only).")
    emails: list[str]


class AlertChannelsSet(BaseModel):
    institution: str
    webhook_url: str | None
    webhook_secret: str | None = Field(description="Verify each webhook's X-Leakwatch-Signature with it; kept across updates.")
    emails: list[str]
