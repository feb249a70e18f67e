"""Help-center HTML pages (placeholder until the page work lands)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
