"""Customers: created or refreshed from the host app's token, looked up for every request."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from gogaek.db import utcnow
from gogaek.identity.customer_tokens import (
    TOKEN_REPLAYED,
    CustomerClaims,
    CustomerTokenError,
    spent_token_key,
    verify_customer_token,
)
from gogaek.identity.models import Customer, CustomerSource, UsedTokenId


def _host_customer_query(sub: str) -> Select[Customer]:
    """Host ids only: a host ``sub`` never reaches a web visitor's row (see Customer.__table_args__)."""
    return select(Customer).where(Customer.source == CustomerSource.HOST.value, Customer.external_id == sub)


async def customer_from_token(
    session: AsyncSession, token: str, settings: Settings, claims: CustomerClaims | None = None
) -> Customer:
    """A host bearer token on the API or a socket: valid, and not one already exchanged for a page session.

    ``claims`` are the token's, when the caller verified it already. The customer and the
    spent-token check are one statement: every API request pays for it.
    """
    claims = claims or verify_customer_token(token, settings)
    key = spent_token_key(claims, token)
    spent_query = select(UsedTokenId.jti).where(UsedTokenId.jti == key).exists()
    row = (await session.execute(_host_customer_query(claims.sub).add_columns(spent_query))).first()
    if row is None:  # a first visit: there is no customer row to ask with
        spent = await session.get(UsedTokenId, key) is not None
        customer = None
    else:
        customer, spent = row
    if spent:
        raise CustomerTokenError(TOKEN_REPLAYED)
    return await _settle_customer(session, claims, customer)


async def spend_token(session: AsyncSession, claims: CustomerClaims, token: str, settings: Settings) -> None:
    """Marks the token used (until it could no longer verify), so the link works once and the
    token is refused everywhere afterwards; a second exchange is a replay."""
    now = utcnow()
    await session.execute(delete(UsedTokenId).where(UsedTokenId.expires_at < now))
    session.add(
        UsedTokenId(
            jti=spent_token_key(claims, token),
            expires_at=claims.expires_at + timedelta(seconds=settings.customer_token_leeway_seconds),
        )
    )
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise CustomerTokenError(TOKEN_REPLAYED) from exc


async def customer_from_claims(session: AsyncSession, claims: CustomerClaims) -> Customer:
    """The customer the host vouches for; profile fields follow the latest token."""
    return await _settle_customer(session, claims, await session.scalar(_host_customer_query(claims.sub)))


async def _settle_customer(session: AsyncSession, claims: CustomerClaims, customer: Customer | None) -> Customer:
    if customer is not None and not _needs_refresh(customer, claims):
        return customer  # most requests: nothing to write, so reads stay reads
    if customer is None:
        customer = Customer(external_id=claims.sub, source=CustomerSource.HOST.value)
        session.add(customer)
    _refresh_profile(customer, claims)
    try:
        await session.commit()
    except IntegrityError:  # the same customer's first two requests raced; the other one won
        await session.rollback()
        customer = await session.scalar(_host_customer_query(claims.sub))
        if customer is None:
            raise
        _refresh_profile(customer, claims)
        await session.commit()
    return customer


SEEN_RESOLUTION = timedelta(minutes=5)


def _needs_refresh(customer: Customer, claims: CustomerClaims) -> bool:
    """A write only when the host sent something new or the last visit is a while ago."""
    changed = any(
        new is not None and new != old
        for new, old in (
            (claims.name, customer.name),
            (claims.phone, customer.phone),
            (claims.email, customer.email),
            (claims.verified_at, customer.verified_at),
        )
    )
    return changed or utcnow() - customer.last_seen_at > SEEN_RESOLUTION


def _refresh_profile(customer: Customer, claims: CustomerClaims) -> None:
    customer.name = claims.name or customer.name
    customer.phone = claims.phone or customer.phone
    customer.email = claims.email or customer.email
    customer.verified_at = claims.verified_at or customer.verified_at
    customer.last_seen_at = utcnow()


async def get_customer(session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)
