"""What agents see of an inquiry's mail: each mail as received (whole text, refused files, the raw
.eml) and each mail we sent with its delivery status."""

from __future__ import annotations

from fastapi import APIRouter, Response

from gogaek.deps import CurrentStaff, SessionDep
from gogaek.inquiries.queue import get_inquiry
from gogaek.mail import queries
from gogaek.mail.schemas import InquiryMails
from gogaek.web.ids import Id

router = APIRouter(prefix="/api/v1/agent/inquiries", tags=["agent console"])


@router.get("/{inquiry_id}/emails", response_model=InquiryMails)
async def inquiry_mails(inquiry_id: Id, agent: CurrentStaff, session: SessionDep) -> InquiryMails:
    """Every mail of the inquiry, oldest first."""
    await get_inquiry(session, inquiry_id)  # a missing inquiry is a 404
    return await queries.inquiry_mails(session, inquiry_id)


@router.get("/{inquiry_id}/emails/{mail_id}/raw")
async def raw_mail(inquiry_id: Id, mail_id: Id, agent: CurrentStaff, session: SessionDep) -> Response:
    """The mail exactly as it arrived, as an .eml file."""
    return await queries.raw_mail_download(session, inquiry_id, mail_id)
