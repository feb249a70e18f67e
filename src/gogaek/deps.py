"""Annotated FastAPI dependencies shared by routes and pages."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from gogaek.config import Settings
from gogaek.errors import ProblemError
from gogaek.identity.customer_tokens import verify_request_token
from gogaek.identity.customers import customer_from_token, get_customer
from gogaek.identity.models import Customer, StaffRole, StaffUser
from gogaek.identity.security import StaffTokenSigner
from gogaek.identity.service import staff_for_token
from gogaek.inquiries.storage import AttachmentStorage
from gogaek.search.service import SearchIndex
from gogaek.web.csrf import check_csrf_header
from gogaek.web.i18n import N_


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


async def get_search_index(request: Request) -> SearchIndex:
    index: SearchIndex = request.app.state.search_index
    return index


async def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


async def get_attachment_storage(request: Request) -> AttachmentStorage:
    storage: AttachmentStorage = request.app.state.attachment_storage
    return storage


async def get_token_signer(request: Request) -> StaffTokenSigner:
    signer: StaffTokenSigner = request.app.state.token_signer
    return signer


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
SearchDep = Annotated[SearchIndex, Depends(get_search_index)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
TokenSignerDep = Annotated[StaffTokenSigner, Depends(get_token_signer)]
StorageDep = Annotated[AttachmentStorage, Depends(get_attachment_storage)]

_bearer = HTTPBearer(auto_error=False)
_SIGN_IN_REQUIRED = ProblemError(
    401,
    "unauthorized",
    N_("로그인이 필요합니다."),
    headers={"WWW-Authenticate": "Bearer"},
)


async def current_staff(
    session: SessionDep,
    signer: TokenSignerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffUser:
    if credentials is None:
        raise _SIGN_IN_REQUIRED
    user = await staff_for_token(session, signer, credentials.credentials)
    if user is None:
        raise _SIGN_IN_REQUIRED
    return user


async def current_admin(user: Annotated[StaffUser, Depends(current_staff)]) -> StaffUser:
    if user.role not in (StaffRole.ADMIN.value, StaffRole.SUPERVISOR.value):
        raise ProblemError(403, "forbidden", N_("관리자 권한이 필요합니다."))
    return user


CUSTOMER_SESSION_KEY = "customer_id"
CUSTOMER_SESSION_STARTED = "customer_since"


async def current_customer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Customer:
    """The host app's bearer token on the API, or the session cookie the pages set.

    A write made with the cookie must carry the page's CSRF token in ``X-CSRF-Token``: a
    cross-site page can make the browser send the cookie, but cannot read the token.
    """
    if credentials is not None:
        token = credentials.credentials
        return await customer_from_token(session, token, settings, verify_request_token(request, token, settings))
    customer = await session_customer(request, session, settings)
    if customer is None:
        raise _SIGN_IN_REQUIRED
    check_csrf_header(request)
    return customer


async def session_customer(request: HTTPConnection, session: AsyncSession, settings: Settings) -> Customer | None:
    customer_id = request.session.get(CUSTOMER_SESSION_KEY)
    started = request.session.get(CUSTOMER_SESSION_STARTED)
    if not isinstance(customer_id, int) or not isinstance(started, (int, float)):
        return None
    if time.time() - started > settings.customer_session_max_age_seconds:
        request.session.pop(CUSTOMER_SESSION_KEY, None)
        return None
    customer = await get_customer(session, customer_id)
    if customer is not None and customer.source == "erased":  # erased (docs/privacy.md): signed out
        request.session.pop(CUSTOMER_SESSION_KEY, None)
        return None
    return customer


CurrentCustomer = Annotated[Customer, Depends(current_customer)]
CurrentStaff = Annotated[StaffUser, Depends(current_staff)]
CurrentAdmin = Annotated[StaffUser, Depends(current_admin)]
