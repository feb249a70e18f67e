"""Shapes of the data-rights API: who the request is about, and what an erasure did."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SubjectRef(BaseModel):
    """The customer a host call is about: the host's ``sub`` (or a web visitor's ``email:…``)."""

    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1, max_length=140, description="the host's customer id (sub)")
    source: Literal["host", "email", "phone"] = Field(
        default="host", description="host: signed in by the app; email/phone: a web visitor"
    )


class KeptRecord(BaseModel):
    """A table that still holds rows about the customer after erasure, without personal data."""

    table: str
    rows: int
    what: str
    why: str


class ErasureResult(BaseModel):
    """What an erasure removed, what it kept and why; a retry answers the same."""

    erased_at: datetime
    request_id: int
    deleted: dict[str, int] = Field(description="rows deleted, by table")
    anonymised: dict[str, int] = Field(description="rows kept with personal data removed, by table")
    files_deleted: int
    kept: list[KeptRecord]


class RetentionItem(BaseModel):
    rule: Literal["closed_inquiry_attachments", "ended_chats", "erased_customer_records"]
    months: int | None = Field(description="the rule's age limit in months; null while the rule is off")
    cutoff: datetime | None
    rows: int
    files: int
    ids: list[int] = Field(description="attachment, chat or inquiry ids (the first 100)")


class RetentionReport(BaseModel):
    dry_run: bool
    ran_at: datetime
    items: list[RetentionItem]
