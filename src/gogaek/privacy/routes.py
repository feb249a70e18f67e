"""The data-rights API: the host app's signed export and erasure, the customer's own export,
and the admins' retention report. See docs/privacy.md."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from gogaek.deps import CurrentAdmin, CurrentCustomer, SessionDep, SettingsDep, StorageDep
from gogaek.errors import PROBLEM_MEDIA_TYPE
from gogaek.privacy import retention, service
from gogaek.privacy.queries import find_customer, unknown_customer
from gogaek.privacy.schemas import ErasureResult, RetentionReport, SubjectRef
from gogaek.privacy.signing import SIGNATURE_HEADER, check_signature
from gogaek.web.idempotency import IdempotencyKeyHeader
from gogaek.web.ratelimit import RateLimited

router = APIRouter(tags=["privacy (개인정보)"])
PROBLEM = {"content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
ZIP = {"description": "data.json and the files, as a ZIP", "content": {"application/zip": {}}}
SIGNED: dict[int | str, dict[str, Any]] = {
    401: {"description": f"{SIGNATURE_HEADER} missing, wrong or stale", **PROBLEM},
    503: {"description": "GOGAEK_PRIVACY_API_SECRET is not set", **PROBLEM},
}


async def signed_by_host(request: Request, settings: SettingsDep) -> None:
    """Runs before the body is parsed: an unsigned call learns nothing, not even a 422."""
    check_signature(
        request.headers.get(SIGNATURE_HEADER),
        settings.privacy_api_secret,
        request.method,
        request.url.path,
        await request.body(),
        time.time(),
        settings.privacy_signature_max_age_seconds,
    )


HostSigned = Depends(signed_by_host)


def zip_response(data: bytes, replayed: bool) -> Response:
    headers = {
        "Content-Disposition": 'attachment; filename="gogaek-my-data.zip"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(data, media_type="application/zip", headers=headers)


@router.post(
    "/api/v1/privacy/export",
    response_class=Response,
    dependencies=[HostSigned],
    responses={200: ZIP, **SIGNED},
    summary="Export everything held about a customer (host app, signed)",
)
async def host_export(
    subject: SubjectRef,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    customer = await find_customer(session, subject.source, subject.external_id)
    if customer is None:
        raise unknown_customer()
    data, replayed = await service.export_customer(session, settings, storage, customer, "host", idempotency_key)
    return zip_response(data, replayed)


@router.post(
    "/api/v1/privacy/erasure",
    response_model=ErasureResult,
    dependencies=[HostSigned],
    responses=SIGNED,
    summary="Erase a customer who left the service (계정 탈퇴; host app, signed)",
)
async def host_erasure(
    subject: SubjectRef, response: Response, session: SessionDep, settings: SettingsDep, storage: StorageDep
) -> ErasureResult:
    result, replayed = await service.erase_customer(
        session, settings, storage, subject.source, subject.external_id, "host"
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return result


@router.post(
    "/api/v1/me/export",
    response_class=Response,
    dependencies=[RateLimited],
    responses={200: ZIP},
    summary="The signed-in customer's own data as a ZIP",
)
async def own_export(
    customer: CurrentCustomer,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    data, replayed = await service.export_customer(session, settings, storage, customer, "customer", idempotency_key)
    return zip_response(data, replayed)


@router.get(
    "/api/v1/admin/privacy/retention",
    response_model=RetentionReport,
    summary="What the retention policy would delete now (dry run)",
)
async def retention_report(_: CurrentAdmin, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    report = await retention.apply_retention(session, settings, None, dry_run=True)
    return JSONResponse(report.model_dump(mode="json"))
