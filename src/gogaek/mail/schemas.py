"""What agents see of an inquiry's mail, as the API and the console page both show it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class RefusedFile(BaseModel):
    name: str
    reason: str  # the upload check's code, e.g. ``file_type_not_allowed``
    message: str | None = None  # the same check's Korean explanation (absent on mail stored before it was kept)


class ReceivedMail(BaseModel):
    id: int
    message_id: str | None
    sender: str | None
    subject: str | None
    status: str
    reason: str | None
    received_at: datetime
    inquiry_message_id: int | None
    refused_files: list[RefusedFile]
    text: str  # the whole mail as text, quoted history and signature included
    attachment_names: list[str]


class SentMail(BaseModel):
    id: int
    kind: str
    message_id: str
    to_address: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    inquiry_message_id: int | None
    created_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None


class InquiryMails(BaseModel):
    received: list[ReceivedMail]
    sent: list[SentMail]
