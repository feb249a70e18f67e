"""Routes of this capability (being built under issue 11)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
