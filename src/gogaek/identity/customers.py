"""Customers: created or refreshed from the host app's token, looked up for every request."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.db import utcnow
from gogaek.identity.customer_tokens import CustomerClaims
from gogaek.identity.models import Customer, CustomerSource


async def customer_from_claims(session: AsyncSession, claims: CustomerClaims) -> Customer:
    """The customer the host vouches for; profile fields follow the latest token."""
    customer = await session.scalar(select(Customer).where(Customer.external_id == claims.sub))
    if customer is None:
        customer = Customer(external_id=claims.sub, source=CustomerSource.HOST.value)
        session.add(customer)
    _refresh_profile(customer, claims)
    try:
        await session.commit()
    except IntegrityError:  # the same customer's first two requests raced; the other one won
        await session.rollback()
        customer = await session.scalar(select(Customer).where(Customer.external_id == claims.sub))
        if customer is None:
            raise
        _refresh_profile(customer, claims)
        await session.commit()
    return customer


def _refresh_profile(customer: Customer, claims: CustomerClaims) -> None:
    customer.name = claims.name or customer.name
    customer.phone = claims.phone or customer.phone
    customer.email = claims.email or customer.email
    customer.verified_at = claims.verified_at or customer.verified_at
    customer.last_seen_at = utcnow()


async def get_customer(session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)
