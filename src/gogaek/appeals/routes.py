"""Appeal API: customers file and read their own; agents record the decision.

Filing is multipart only (the evidence files are required). The identity check is made after
the text fields and before any upload is checked, so an unverified request costs no file checks.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from gogaek.appeals import queries, service
from gogaek.appeals.schemas import APPEAL_LABELS, AppealCreate, AppealDecision, AppealList, AppealPublic
from gogaek.config import Settings
from gogaek.deps import CurrentCustomer, CurrentStaff, SessionDep, SettingsDep, StorageDep
from gogaek.errors import PROBLEM_MEDIA_TYPE, ProblemError, not_found
from gogaek.identity.models import Customer
from gogaek.inquiries.attachments import CheckedUpload, read_form_uploads
from gogaek.phone.verification import Verification, require_recent_verification
from gogaek.web.forms import validate
from gogaek.web.i18n import N_
from gogaek.web.idempotency import IdempotencyKeyHeader
from gogaek.web.ids import Id
from gogaek.web.ratelimit import RateLimited

router = APIRouter(tags=["appeals"])

FILES_FIELD = "files"
PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _form_schema() -> dict[str, Any]:
    schema = AppealCreate.model_json_schema()
    files = {"type": "array", "minItems": 1, "items": {"type": "string", "format": "binary"}}
    form = {**schema, "properties": {**schema["properties"], FILES_FIELD: files}}
    form["required"] = [*schema.get("required", []), FILES_FIELD]
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": form}}}}


def _invalid(errors: dict[str, str]) -> ProblemError:
    return ProblemError(
        422,
        "validation_error",
        next(iter(errors.values())),
        errors=[{"loc": ["body", name], "message": message} for name, message in errors.items()],
    )


def parse_appeal(form: FormData) -> AppealCreate:
    """The form's text fields; Korean messages per field, the same ones the page shows."""
    fields = {name: value for name in APPEAL_LABELS if isinstance(value := form.get(name), str)}
    data, errors = validate(AppealCreate, fields, APPEAL_LABELS)
    if data is None:
        raise _invalid(errors)
    return data


async def _read_form(
    request: Request, session: AsyncSession, customer: Customer, settings: Settings
) -> tuple[AppealCreate, Verification, list[CheckedUpload]]:
    """The fields, then the identity check, then the files: no upload is checked for an unverified customer."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ProblemError(
            415,
            "multipart_required",
            N_("증빙 파일과 함께 multipart/form-data로 보내 주세요."),
        )
    form = await request.form(max_files=settings.attachment_max_count + 5, max_fields=50)
    try:
        data = parse_appeal(form)
        verification = await require_recent_verification(session, customer, settings)
        return data, verification, await read_form_uploads(form, FILES_FIELD, settings)
    finally:
        await form.close()


@router.post(
    "/api/v1/appeals",
    status_code=201,
    response_model=AppealPublic,
    openapi_extra=_form_schema(),
    summary="File a suspension appeal (이용 제한 해명)",
    dependencies=[RateLimited],
    responses={415: {"description": "Not multipart/form-data", "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM}}}},
)
async def file_appeal(
    request: Request,
    response: Response,
    customer: CurrentCustomer,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    idempotency_key: IdempotencyKeyHeader,
) -> AppealPublic:
    data, verification, uploads = await _read_form(request, session, customer, settings)
    filing = await service.file_appeal(
        session,
        customer,
        data,
        verification=verification,
        settings=settings,
        storage=storage,
        uploads=uploads,
        idempotency_key=idempotency_key,
    )
    response.headers["Location"] = f"/api/v1/appeals/{filing.appeal.id}"
    if not filing.created:
        response.headers["Idempotent-Replayed"] = "true"
    return queries.to_public(filing.appeal, filing.inquiry)


@router.get("/api/v1/appeals", response_model=AppealList, summary="My appeals")
async def list_mine(
    customer: CurrentCustomer,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> AppealList:
    return await queries.list_customer_appeals(session, customer, limit=limit, offset=offset)


@router.get("/api/v1/appeals/{appeal_id}", response_model=AppealPublic)
async def read_one(appeal_id: Id, customer: CurrentCustomer, session: SessionDep) -> AppealPublic:
    return await queries.customer_appeal(session, customer, appeal_id)


@router.get("/api/v1/agent/appeals/{inquiry_id}", response_model=AppealPublic, tags=["agent console"])
async def agent_read(inquiry_id: Id, agent: CurrentStaff, session: SessionDep) -> AppealPublic:
    """The appeal filed with this inquiry (404 when the inquiry is not an appeal)."""
    appeal = await queries.appeal_of_inquiry(session, inquiry_id)
    if appeal is None:
        raise not_found(queries.APPEAL)
    return appeal


@router.post(
    "/api/v1/agent/appeals/{inquiry_id}/decision",
    response_model=AppealPublic,
    tags=["agent console"],
    summary="Decide an appeal: lifted (해제), kept (유지), more_evidence (추가 자료 요청)",
)
async def decide(
    inquiry_id: Id,
    decision: AppealDecision,
    agent: CurrentStaff,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> AppealPublic:
    appeal, inquiry = await service.decide_appeal(session, agent, inquiry_id, decision, settings, request)
    return queries.to_public(appeal, inquiry)
