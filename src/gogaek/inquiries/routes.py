"""Customer API for online inquiries: submit, 문의 내역, add information, resolve, rate.

Every route is scoped to the signed-in customer (host bearer token or page session); an id
that belongs to someone else answers 404.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ValidationError

from gogaek.config import Settings
from gogaek.deps import CurrentCustomer, SessionDep, SettingsDep, StorageDep
from gogaek.errors import ProblemError
from gogaek.inquiries import customer_verbs, service, serving
from gogaek.inquiries.attachments import CheckedUpload, read_form_uploads
from gogaek.inquiries.queries import (
    customer_attachment,
    customer_inquiry_view,
    list_customer_inquiries,
    new_inquiry_view,
)
from gogaek.inquiries.schemas import (
    FeedbackCreate,
    FeedbackPublic,
    InquiryCreate,
    InquiryList,
    InquiryPublic,
    MessageCreate,
)
from gogaek.web.i18n import N_
from gogaek.web.idempotency import IdempotencyKeyHeader
from gogaek.web.ids import Id
from gogaek.web.ratelimit import RateLimited
from gogaek.web.validation import field_errors

M = TypeVar("M", bound=BaseModel)

router = APIRouter(prefix="/api/v1/inquiries", tags=["inquiries"])

ATTACHMENTS_FIELD = "attachments"


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Documents the JSON and the multipart form (with files) that these routes accept."""
    schema = model.model_json_schema()
    form = {
        **schema,
        "properties": {
            **schema["properties"],
            ATTACHMENTS_FIELD: {"type": "array", "items": {"type": "string", "format": "binary"}},
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}, "multipart/form-data": {"schema": form}},
        }
    }


async def read_body(request: Request, model: type[M], settings: Settings) -> tuple[M, list[CheckedUpload]]:
    """JSON, or a multipart form whose files are checked by content before anything is stored."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=settings.attachment_max_count + 5, max_fields=50)
        try:
            data = _validate(model, {key: value for key, value in form.items() if isinstance(value, str)})
            return data, await read_form_uploads(form, ATTACHMENTS_FIELD, settings)
        finally:
            await form.close()
    try:
        payload = await request.json()
    except ValueError as exc:
        raise ProblemError(400, "invalid_json", N_("요청 본문이 올바른 JSON이 아닙니다.")) from exc
    return _validate(model, payload), []


def _validate(model: type[M], payload: object) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        errors = field_errors(exc.errors(), ("body",))
        raise ProblemError(422, "validation_error", N_("입력값을 확인해 주세요."), errors=errors) from exc


@router.post(
    "",
    status_code=201,
    response_model=InquiryPublic,
    openapi_extra=body_schema(InquiryCreate),
    summary="Submit an online inquiry (온라인 문의 접수)",
    dependencies=[RateLimited],
)
async def submit(
    request: Request,
    response: Response,
    customer: CurrentCustomer,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    idempotency_key: IdempotencyKeyHeader,
) -> InquiryPublic:
    data, uploads = await read_body(request, InquiryCreate, settings)
    submission = await service.submit_inquiry(
        session,
        customer,
        data,
        settings=settings,
        storage=storage,
        uploads=uploads,
        idempotency_key=idempotency_key,
    )
    response.headers["Location"] = f"/api/v1/inquiries/{submission.inquiry.id}"
    if submission.created:
        return new_inquiry_view(submission, settings)
    response.headers["Idempotent-Replayed"] = "true"  # the thread as it is now, replies included
    return await customer_inquiry_view(session, customer, submission.inquiry.id, settings)


@router.get("", response_model=InquiryList, summary="My inquiries (문의 내역)")
async def list_mine(
    customer: CurrentCustomer,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> InquiryList:
    return await list_customer_inquiries(session, customer, limit=limit, offset=offset)


@router.get("/{inquiry_id}", response_model=InquiryPublic)
async def read_one(
    inquiry_id: Id, customer: CurrentCustomer, session: SessionDep, settings: SettingsDep
) -> InquiryPublic:
    return await customer_inquiry_view(session, customer, inquiry_id, settings)


@router.post(
    "/{inquiry_id}/messages",
    status_code=201,
    response_model=InquiryPublic,
    openapi_extra=body_schema(MessageCreate),
    summary="Add information (추가 문의)",
    dependencies=[RateLimited],
)
async def add_message(
    inquiry_id: Id,
    request: Request,
    customer: CurrentCustomer,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
) -> InquiryPublic:
    await customer_verbs.own_inquiry(session, customer, inquiry_id)  # 404 before reading any upload
    data, uploads = await read_body(request, MessageCreate, settings)
    await customer_verbs.add_customer_message(
        session, customer, inquiry_id, data.body, settings=settings, storage=storage, uploads=uploads
    )
    return await customer_inquiry_view(session, customer, inquiry_id, settings)


@router.post(
    "/{inquiry_id}/resolve",
    response_model=InquiryPublic,
    summary="해결됐어요 (mark solved)",
    dependencies=[RateLimited],
)
async def resolve(
    inquiry_id: Id, customer: CurrentCustomer, session: SessionDep, settings: SettingsDep
) -> InquiryPublic:
    await customer_verbs.resolve_by_customer(session, customer, inquiry_id, settings)
    return await customer_inquiry_view(session, customer, inquiry_id, settings)


@router.post(
    "/{inquiry_id}/reopen",
    response_model=InquiryPublic,
    summary="다시 문의하기 (reopen)",
    dependencies=[RateLimited],
)
async def reopen(
    inquiry_id: Id, customer: CurrentCustomer, session: SessionDep, settings: SettingsDep
) -> InquiryPublic:
    await customer_verbs.reopen_by_customer(session, customer, inquiry_id, settings)
    return await customer_inquiry_view(session, customer, inquiry_id, settings)


@router.post(
    "/{inquiry_id}/feedback",
    status_code=201,
    response_model=FeedbackPublic,
    summary="Rate the answer",
    dependencies=[RateLimited],
)
async def rate(inquiry_id: Id, data: FeedbackCreate, customer: CurrentCustomer, session: SessionDep) -> FeedbackPublic:
    feedback = await customer_verbs.record_feedback(session, customer, inquiry_id, data)
    return FeedbackPublic.model_validate(feedback)


@router.get("/{inquiry_id}/attachments/{attachment_id}", response_class=Response, summary="Download evidence")
async def download(
    inquiry_id: Id, attachment_id: Id, customer: CurrentCustomer, session: SessionDep, storage: StorageDep
) -> Response:
    """The original, always as a download (``Content-Disposition: attachment``)."""
    return await serving.download(await customer_attachment(session, customer, inquiry_id, attachment_id), storage)


@router.get("/{inquiry_id}/attachments/{attachment_id}/preview", response_class=Response, summary="Preview an image")
async def preview(
    inquiry_id: Id,
    attachment_id: Id,
    customer: CurrentCustomer,
    session: SessionDep,
    storage: StorageDep,
    settings: SettingsDep,
) -> Response:
    """A bounded WebP re-encoding of an image for thumbnails; 404 for PDFs."""
    attachment = await customer_attachment(session, customer, inquiry_id, attachment_id)
    return await serving.preview(attachment, storage, settings)
