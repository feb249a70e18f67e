"""The console's mail page: every mail of an inquiry as received and as we sent it.

The inquiry page shows each mail trimmed to what the customer newly wrote; agents who need the
quoted history, the signature, the files the upload checks refused or the original .eml open
this page (linked from the inquiry page and from each message that came by mail). Same data as
``GET /api/v1/agent/inquiries/{id}/emails``, behind the console's sign-in instead of a token.

Stable hooks for browser tests:
  console inquiry          a#mail-link (when the inquiry has mail), a.mail-source on messages that came by mail
  /console/inquiries/{id}/emails
                           #mail-inquiry-number, section#received-mails > article.received-mail#mail-<id>
                           [data-status] (.mail-sender, .mail-subject, pre.mail-text, ul.mail-attachments,
                           ul.refused-files > li[data-reason], a.mail-raw), table#sent-mails > tr.sent-mail
                           [data-kind][data-status] (.mail-error), #no-mail
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gogaek.deps import SessionDep
from gogaek.inquiries.queue import get_inquiry
from gogaek.mail import queries
from gogaek.web.auth import CONSOLE_PATH, PageStaff
from gogaek.web.i18n import N_
from gogaek.web.views import id_or_404, render

router = APIRouter(prefix=CONSOLE_PATH, include_in_schema=False)

RECEIVED_LABELS = {
    "received": N_("처리 대기"),
    "processed": N_("문의에 반영됨"),
    "ignored": N_("자동 발송 메일이라 반영하지 않음"),
    "failed": N_("메일을 읽지 못함"),
}
SENT_KIND_LABELS = {
    "reply": N_("상담사 답변"),
    "acknowledgement": N_("접수 확인 (자동)"),
    "notification": N_("답변 알림 (자동)"),
}
SENT_STATUS_LABELS = {
    "queued": N_("보내는 중"),
    "sent": N_("보냄"),
    "failed": N_("보내지 못함"),
    "bounced": N_("반송됨"),
}


@router.get("/inquiries/{inquiry_id}/emails", response_class=HTMLResponse)
async def mails_page(inquiry_id: str, request: Request, session: SessionDep, agent: PageStaff) -> HTMLResponse:
    key = id_or_404(inquiry_id, "문의")
    inquiry = await get_inquiry(session, key)
    context = {
        "agent": agent,
        "inquiry": inquiry,
        "mails": await queries.inquiry_mails(session, key),
        "received_labels": RECEIVED_LABELS,
        "sent_kind_labels": SENT_KIND_LABELS,
        "sent_status_labels": SENT_STATUS_LABELS,
    }
    return render(request, "console/mails.html", context)


@router.get("/inquiries/{inquiry_id}/emails/{mail_id}/raw")
async def raw_mail(inquiry_id: str, mail_id: str, session: SessionDep, agent: PageStaff) -> Response:
    """The .eml download behind the console session (the API's needs a bearer token)."""
    return await queries.raw_mail_download(session, id_or_404(inquiry_id, "문의"), id_or_404(mail_id, "메일"))
