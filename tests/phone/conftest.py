"""Fixtures of the phone tests."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from gogaek.demo import load_demo_categories


@pytest.fixture
async def demo_categories(app: FastAPI) -> None:
    """The demo's categories (security, account and restrictions sensitive) without its FAQ:
    booking needs categories, and loading and indexing 101 articles per test is most of its cost."""
    async with app.state.sessionmaker() as session:
        await load_demo_categories(session)
