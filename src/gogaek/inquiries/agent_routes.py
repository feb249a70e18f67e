"""The agent console's JSON API: the queue, one inquiry, replies and triage. Any signed-in staff."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.deps import CurrentStaff, SessionDep, SettingsDep
from gogaek.errors import not_found
from gogaek.identity.models import Customer
from gogaek.identity.schemas import StaffRef
from gogaek.inquiries import agent_verbs, assignment, macros, presence, serving, triage
from gogaek.inquiries.agent_schemas import (
    AgentInquiryDetail,
    AgentInquiryState,
    AgentMessage,
    AssignRequest,
    MacroPreview,
    MacroPublic,
    MergeRequest,
    MergeResult,
    PriorityUpdate,
    QueuePage,
    TagsUpdate,
    ViewersPublic,
)
from gogaek.inquiries.models import Inquiry, InquiryAttachment
from gogaek.inquiries.queries import attachment_public
from gogaek.inquiries.queue import (
    MAX_PAGE,
    QueueView,
    agent_attachment_url,
    agent_inquiry_detail,
    agent_inquiry_state,
    agent_queue,
    get_inquiry,
)
from gogaek.inquiries.routes import body_schema, read_body
from gogaek.inquiries.schemas import AgentReplyCreate, StatusChange
from gogaek.inquiries.storage import AttachmentStorage, build_attachment_storage
from gogaek.inquiries.workflow import Status
from gogaek.web.ids import Id

router = APIRouter(prefix="/api/v1/agent", tags=["agent console"])


async def get_attachment_storage(request: Request) -> AttachmentStorage:
    """The app's storage; built from the settings when the app did not set one up."""
    storage: AttachmentStorage | None = getattr(request.app.state, "attachment_storage", None)
    return storage if storage is not None else build_attachment_storage(request.app.state.settings)


StorageDep = Annotated[AttachmentStorage, Depends(get_attachment_storage)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE)]


@router.get("/inquiries", response_model=QueuePage)
async def list_queue(
    agent: CurrentStaff,
    session: SessionDep,
    view: QueueView = QueueView.ALL,
    status: Status | None = None,
    category: Annotated[Id | None, Query(description="Category id")] = None,
    limit: PageSize = 50,
    before_id: Annotated[Id | None, Query(description="Id of the last row of the previous page")] = None,
) -> QueuePage:
    rows = await agent_queue(
        session, agent, view, status=status, category_id=category, limit=limit, before_id=before_id
    )
    return QueuePage(items=rows, next_before_id=rows[-1].id if len(rows) == limit else None)


@router.get("/inquiries/{inquiry_id}", response_model=AgentInquiryDetail)
async def inquiry_detail(inquiry_id: Id, agent: CurrentStaff, session: SessionDep) -> AgentInquiryDetail:
    """Opening an inquiry marks the agent as viewing it (see ``other_viewers``)."""
    await get_inquiry(session, inquiry_id)
    await presence.mark_viewing(session, inquiry_id, agent)
    return await agent_inquiry_detail(session, agent, inquiry_id)


@router.post("/inquiries/{inquiry_id}/viewing", response_model=ViewersPublic)
async def still_viewing(inquiry_id: Id, agent: CurrentStaff, session: SessionDep) -> ViewersPublic:
    """Heartbeat while the inquiry stays open (every 30–60 s); answers who else has it open."""
    await get_inquiry(session, inquiry_id)
    others = await presence.mark_viewing(session, inquiry_id, agent)
    return ViewersPublic(other_viewers=[StaffRef(id=user.id, display_name=user.display_name) for user in others])


@router.post(
    "/inquiries/{inquiry_id}/replies",
    response_model=AgentMessage,
    status_code=201,
    openapi_extra=body_schema(AgentReplyCreate),
)
async def reply(
    inquiry_id: Id,
    agent: CurrentStaff,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
) -> AgentMessage:
    """A public reply answers the inquiry; ``internal: true`` adds a note only staff can read.

    JSON, or a multipart form with ``attachments`` (checked by content like customers' files); on
    an email inquiry the files go out with the reply's mail.
    """
    inquiry = await get_inquiry(session, inquiry_id)
    data, uploads = await read_body(request, AgentReplyCreate, settings)
    message = await agent_verbs.reply_as_agent(
        session,
        agent,
        inquiry,
        data.body,
        internal=data.internal,
        settings=settings,
        request=request,
        uploads=uploads,
        storage=storage,
    )
    files = await session.scalars(select(InquiryAttachment).where(InquiryAttachment.message_id == message.id))
    return AgentMessage(
        id=message.id,
        author="agent",
        author_name=agent.display_name,
        author_staff_id=agent.id,
        internal=message.internal,
        body=message.body,
        created_at=message.created_at,
        attachments=[attachment_public(file, agent_attachment_url) for file in files],
    )


async def _state_after(
    session: AsyncSession, inquiry_id: int, change: Callable[[Inquiry], Awaitable[object]]
) -> AgentInquiryState:
    """The routes that change one inquiry answer with its new state, so the console redraws that row only.

    Each route stays a plain function of its own (not made by a factory), so the OpenAPI page keeps
    its name, summary, docstring and typed request body.
    """
    inquiry = await get_inquiry(session, inquiry_id)
    await change(inquiry)
    return await agent_inquiry_state(session, inquiry)


@router.post("/inquiries/{inquiry_id}/status", response_model=AgentInquiryState)
async def change_status(
    inquiry_id: Id,
    data: StatusChange,
    agent: CurrentStaff,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> AgentInquiryState:
    return await _state_after(
        session,
        inquiry_id,
        lambda inquiry: agent_verbs.change_status_as_agent(session, agent, inquiry, data.status, settings, request),
    )


@router.post("/inquiries/{inquiry_id}/assign", response_model=AgentInquiryState)
async def assign(
    inquiry_id: Id,
    data: AssignRequest,
    agent: CurrentStaff,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> AgentInquiryState:
    return await _state_after(
        session,
        inquiry_id,
        lambda inquiry: assignment.assign_inquiry(session, agent, inquiry, data.assignee_id, settings, request),
    )


@router.post("/inquiries/{inquiry_id}/priority", response_model=AgentInquiryState)
async def set_priority(
    inquiry_id: Id, data: PriorityUpdate, agent: CurrentStaff, request: Request, session: SessionDep
) -> AgentInquiryState:
    return await _state_after(
        session, inquiry_id, lambda inquiry: triage.set_priority(session, agent, inquiry, data.priority, request)
    )


@router.put("/inquiries/{inquiry_id}/tags", response_model=AgentInquiryState)
async def set_tags(
    inquiry_id: Id, data: TagsUpdate, agent: CurrentStaff, request: Request, session: SessionDep
) -> AgentInquiryState:
    """Replaces the tags: at most 10, each at most 30 characters; blanks and repeats are dropped."""
    return await _state_after(
        session, inquiry_id, lambda inquiry: triage.set_tags(session, agent, inquiry, data.tags, request)
    )


@router.post("/inquiries/{inquiry_id}/merge", response_model=MergeResult)
async def merge(
    inquiry_id: Id,
    data: MergeRequest,
    agent: CurrentStaff,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> MergeResult:
    """Closes this inquiry as a duplicate of ``into`` (same customer only)."""
    duplicate = await get_inquiry(session, inquiry_id)
    target = await get_inquiry(session, data.into)
    await triage.merge_inquiries(session, agent, duplicate, target, settings, request)
    return MergeResult(
        duplicate=await agent_inquiry_state(session, duplicate), target=await agent_inquiry_state(session, target)
    )


async def _attachment(session: AsyncSession, inquiry_id: int, attachment_id: int) -> InquiryAttachment:
    attachment = await session.scalar(
        select(InquiryAttachment).where(
            InquiryAttachment.id == attachment_id, InquiryAttachment.inquiry_id == inquiry_id
        )
    )
    if attachment is None:
        raise not_found("첨부 파일")
    return attachment


@router.get("/inquiries/{inquiry_id}/attachments/{attachment_id}")
async def download_attachment(
    inquiry_id: Id, attachment_id: Id, _: CurrentStaff, session: SessionDep, storage: StorageDep
) -> Response:
    """Always a download, never rendered inline: the file came from a customer (serving.py)."""
    return await serving.download(await _attachment(session, inquiry_id, attachment_id), storage)


@router.get("/inquiries/{inquiry_id}/attachments/{attachment_id}/preview")
async def preview_attachment(
    inquiry_id: Id, attachment_id: Id, _: CurrentStaff, session: SessionDep, storage: StorageDep, settings: SettingsDep
) -> Response:
    """What thumbnails show: a bounded WebP re-encoding of an image; 404 for PDFs."""
    attachment = await _attachment(session, inquiry_id, attachment_id)
    return await serving.preview(attachment, storage, settings)


@router.get("/macros", response_model=list[MacroPublic])
async def list_macros(
    _: CurrentStaff, session: SessionDep, category: Annotated[Id | None, Query(description="Category id")] = None
) -> list[MacroPublic]:
    """Active macros; with ``category``, that category's and the general ones."""
    return [MacroPublic.model_validate(macro) for macro in await macros.list_macros(session, category)]


@router.post("/inquiries/{inquiry_id}/macros/{macro_id}/preview", response_model=MacroPreview)
async def preview_macro(inquiry_id: Id, macro_id: Id, agent: CurrentStaff, session: SessionDep) -> MacroPreview:
    """The macro filled in for this inquiry; the agent edits it before sending it as a reply."""
    inquiry = await get_inquiry(session, inquiry_id)
    macro = await macros.get_macro(session, macro_id, active_only=True)
    customer_name = await session.scalar(select(Customer.name).where(Customer.id == inquiry.customer_id))
    text = macros.render_macro(
        macro.body, customer_name=customer_name, number=inquiry.number or "", agent_name=agent.display_name
    )
    return MacroPreview(macro_id=macro.id, text=text)
