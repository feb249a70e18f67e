"""The customer's own export from the help center: a button on 문의 내역 that downloads a ZIP."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gogaek.deps import SessionDep, SettingsDep, StorageDep
from gogaek.identity.customer_pages import PageCustomer
from gogaek.privacy import service
from gogaek.privacy.routes import zip_response
from gogaek.web.csrf import CsrfForm
from gogaek.web.ratelimit import RateLimited
from gogaek.web.security import VISITOR_COOKIE, voter_key

router = APIRouter(include_in_schema=False)


@router.post("/my-data/export", dependencies=[RateLimited])
async def export_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    customer: PageCustomer,
    _: CsrfForm,
) -> Response:
    """Everything held about the signed-in customer, with the FAQ votes cast from this browser."""
    votes = voter_key(request) if request.cookies.get(VISITOR_COOKIE) else None
    data, _replayed = await service.export_customer(session, settings, storage, customer, "customer", voter_key=votes)
    return zip_response(data, False)
