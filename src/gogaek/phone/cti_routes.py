"""Phone-system (CTI) routes: the PBX push, its tokens, the agents' call log and the public wait.

The push speaks Zammad's "generic CTI" convention, so a PBX set up for Zammad only needs its
URL changed (docs/phone-cti.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, AwareDatetime

from gogaek.chat.service import agent_channel
from gogaek.db import utcnow
from gogaek.deps import CurrentAdmin, CurrentStaff, SessionDep, SettingsDep
from gogaek.errors import PROBLEM_MEDIA_TYPE, ProblemError
from gogaek.inquiries.queue import MAX_PAGE
from gogaek.phone import cti_calls, cti_service
from gogaek.phone.cti import (
    FIELD_LIMITS,
    MAX_PUSH_BYTES,
    MAX_USERS,
    SIGNATURE_HEADER,
    CtiEventKind,
    check_signature,
    decode_body,
    fields_from_form,
    parse_push,
)
from gogaek.phone.cti_schemas import (
    CallLogPublic,
    CallNoteCreate,
    CallNoteFiled,
    CallPage,
    CtiTokenCreate,
    CtiTokenCreated,
    CtiTokenPublic,
    PhoneWait,
)
from gogaek.phone.cti_screen_pop import call_frame
from gogaek.phone.cti_stats import phone_queue_stats
from gogaek.phone.models import CtiToken
from gogaek.web.i18n import gettext
from gogaek.web.ids import Id

router = APIRouter(tags=["phone system (CTI)"])
PUSH_PATH = "/api/v1/cti/{token}"


def _push_schema() -> dict[str, Any]:
    """Documents the push as JSON and as a form (``user[]`` repeated); the route reads the body itself."""
    text = {name: {"type": "string", "maxLength": limit} for name, limit in FIELD_LIMITS.items() if name != "user"}
    names = {"type": "array", "maxItems": MAX_USERS, "items": {"type": "string", "maxLength": FIELD_LIMITS["user"]}}
    fields = {**text, "event": {"type": "string", "enum": [kind.value for kind in CtiEventKind]}}
    fields["direction"] = {"type": "string", "enum": ["in", "out"]}
    json_body = {"type": "object", "required": ["event", "callId"], "properties": {**fields, "user": names}}
    form = {**json_body, "properties": {**fields, "user[]": names}}
    problem = {"content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": json_body},
                "application/x-www-form-urlencoded": {"schema": form},
                "multipart/form-data": {"schema": form},
            },
        },
        "responses": {
            "401": {"description": "Signature missing, wrong or stale (signed tokens)", **problem},
            "415": {"description": "Neither JSON nor a form", **problem},
        },
    }


def _utc(moment: datetime) -> datetime:
    """In UTC, or a 422 for a moment that has none (year 1 at +14:00, year 9999 at -14:00)."""
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("out of range") from exc


Moment = Annotated[AwareDatetime, AfterValidator(_utc)]


@router.post(PUSH_PATH, response_class=JSONResponse, openapi_extra=_push_schema())
async def cti_push(token: str, request: Request, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    """newCall, answer or hangup from the phone system. Answers ``{}`` (Zammad's "no action").

    An unknown or revoked token is a 404 and nothing is read or stored. A token with a signing
    secret needs ``X-Gogaek-Signature``; a signature is accepted once.
    """
    row = await cti_service.token_for_push(session, token)
    raw = await request.body()
    if len(raw) > MAX_PUSH_BYTES:
        raise ProblemError(413, "payload_too_large", gettext("%(max)s바이트까지 받습니다.") % {"max": MAX_PUSH_BYTES})
    now = utcnow()
    signature = None
    if row.signing_secret is not None:
        signature = check_signature(
            request.headers.get(SIGNATURE_HEADER),
            row.signing_secret,
            raw,
            now.timestamp(),
            settings.cti_signature_max_age_seconds,
        )
    fields = decode_body(request.headers.get("content-type", ""), raw)
    if fields is None:
        async with request.form() as form:  # closes any file part a confused PBX sent
            fields = fields_from_form(form.multi_items())
    push = parse_push(fields)
    if signature is not None:
        digest, timestamp = signature
        await cti_service.remember_signature(session, digest, timestamp, settings.cti_signature_max_age_seconds, now)
    result = await cti_service.record_push(session, row, push, now)
    if result.call is not None and result.pop_kind is not None and result.pop_staff_ids:
        frame = await call_frame(session, result.call, result.pop_kind)
        for staff_id in result.pop_staff_ids:
            await request.app.state.chat.hub.publish(agent_channel(staff_id), frame)
    return JSONResponse({})


# --- tokens (admins) -------------------------------------------------------------------------


def _token_public(row: CtiToken) -> CtiTokenPublic:
    return CtiTokenPublic(
        id=row.id,
        name=row.name,
        signed=row.signing_secret is not None,
        created_at=row.created_at,
        created_by_id=row.created_by_id,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


@router.get("/api/v1/admin/cti-tokens", response_model=list[CtiTokenPublic])
async def list_cti_tokens(_: CurrentAdmin, session: SessionDep) -> list[CtiTokenPublic]:
    return [_token_public(row) for row in await cti_service.list_tokens(session)]


@router.post("/api/v1/admin/cti-tokens", response_model=CtiTokenCreated, status_code=201)
async def create_cti_token(
    data: CtiTokenCreate, admin: CurrentAdmin, request: Request, session: SessionDep
) -> CtiTokenCreated:
    """The token (and signing secret) are in this response only: store them in the PBX now."""
    row, token = await cti_service.create_token(session, admin, data.name, signed=data.signed, request=request)
    return CtiTokenCreated(
        **_token_public(row).model_dump(),
        token=token,
        push_path=PUSH_PATH.format(token=token),
        signing_secret=row.signing_secret,
    )


@router.delete("/api/v1/admin/cti-tokens/{cti_token_id}", status_code=204)
async def revoke_cti_token(cti_token_id: Id, admin: CurrentAdmin, request: Request, session: SessionDep) -> Response:
    await cti_service.revoke_token(session, admin, cti_token_id, request)
    return Response(status_code=204)


# --- the call log (any staff) ----------------------------------------------------------------


@router.get("/api/v1/agent/calls", response_model=CallPage)
async def list_calls(
    _: CurrentStaff,
    session: SessionDep,
    direction: Literal["in", "out"] | None = None,
    state: Literal["ringing", "answered", "ended"] | None = None,
    missed: bool | None = None,
    customer_id: Id | None = None,
    since: Annotated[Moment | None, Query(description="Calls that started at or after (with a zone)")] = None,
    until: Annotated[Moment | None, Query(description="Calls that started before (with a zone)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    before_id: Annotated[Id | None, Query(description="Id of the last row of the previous page")] = None,
) -> CallPage:
    where = cti_calls.CallFilter(direction, state, missed, customer_id, since, until)
    calls = await cti_calls.list_calls(session, where, limit=limit, before_id=before_id)
    return CallPage(
        items=await cti_calls.calls_public(session, calls), next_before_id=calls[-1].id if len(calls) == limit else None
    )


@router.get("/api/v1/agent/calls/{call_log_id}", response_model=CallLogPublic)
async def get_call(call_log_id: Id, _: CurrentStaff, session: SessionDep) -> CallLogPublic:
    call = await cti_calls.get_call(session, call_log_id)
    return (await cti_calls.calls_public(session, [call]))[0]


@router.post("/api/v1/agent/calls/{call_log_id}/notes", response_model=CallNoteFiled, status_code=201)
async def file_call_note(
    call_log_id: Id,
    data: CallNoteCreate,
    agent: CurrentStaff,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> CallNoteFiled:
    """The note goes into an inquiry as an internal note (or opens a phone inquiry for a known caller)."""
    call = await cti_calls.get_call(session, call_log_id)
    inquiry, created = await cti_calls.file_note(session, agent, call, data, settings, request)
    return CallNoteFiled(
        call=(await cti_calls.calls_public(session, [call]))[0],
        inquiry_id=inquiry.id,
        inquiry_number=inquiry.number,
        created_inquiry=created,
    )


# --- the public estimate ---------------------------------------------------------------------


@router.get("/api/v1/phone/wait", response_model=PhoneWait)
async def phone_wait(session: SessionDep) -> PhoneWait:
    """Calls waiting now and the expected wait; ``null``s when the phone system sent nothing lately."""
    stats = await phone_queue_stats(session, utcnow())
    return PhoneWait(
        waiting=stats.waiting,
        average_answer_seconds=stats.average_answer_seconds,
        estimated_wait_seconds=stats.estimated_wait_seconds,
    )
