"""Schemathesis over every operation of /openapi.json, as every role: no 5xx, answers as documented.

Short in CI (``GOGAEK_FUZZ_EXAMPLES``, default 5 examples per operation and role, derandomized);
raise it for a long run, e.g. ``GOGAEK_FUZZ_EXAMPLES=200``. Schemathesis' client is blocking, so
it runs in a thread against the app behind a real uvicorn in the test's event loop.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncSession

from gogaek.config import Settings
from tests.api.test_agent_auth import make_staff, sign_in
from tests.conftest import customer_headers
from tests.live_app import serve_live

FAILURE_CHARS = 2000  # of each failure's report: enough for schemathesis' curl line to reproduce it
EXAMPLES = int(os.environ.get("GOGAEK_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
async def role_headers(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, admin_headers: dict[str, str]
) -> dict[str, dict[str, str]]:
    await make_staff(session, "fuzz-agent@example.com")
    return {
        "anonymous": {},
        "customer": customer_headers(settings, sub="fuzz-customer"),
        "agent": await sign_in(client, "fuzz-agent@example.com"),
        "admin": admin_headers,
    }


def fuzz_operation(
    operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode, base_url: str, roles: dict[str, dict[str, str]]
) -> str | None:
    """Runs the examples for one operation, each as every role; the first failure, described, or None.

    Every role gets the same examples (derandomized), generated once: generating them again for
    each role was a third of this test's time.
    """
    role = ""

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case[Any]) -> None:
        nonlocal role
        for role, headers in roles.items():  # noqa: B007 - the role of a failure is reported below
            response = case.call(base_url=base_url, headers=headers)
            case.validate_response(response, checks=CHECKS)

    try:
        run()
    except (Exception, FailureGroup) as exc:
        return f"as {role}: {operation.label}: {str(exc)[:FAILURE_CHARS]}"
    return None


def fuzz_everything(
    openapi: dict[str, Any], mode: GenerationMode, base_url: str, roles: dict[str, dict[str, str]]
) -> list[str]:
    schema = schemathesis.openapi.from_dict(openapi)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid schema raises here
        if mode is GenerationMode.NEGATIVE and not (operation.path_parameters or operation.query or operation.body):
            continue  # nothing to get wrong
        failure = fuzz_operation(operation, mode, base_url, roles)
        if failure:
            failures.append(failure)
    return failures


async def test_every_operation_as_every_role_answers_as_documented(
    app: FastAPI, role_headers: dict[str, dict[str, str]]
) -> None:
    """Input that fits the schema."""
    async with serve_live(app) as live:
        failures = await asyncio.to_thread(
            fuzz_everything, app.openapi(), GenerationMode.POSITIVE, live.url, role_headers
        )
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)  # CI time: the positive pass covers both
async def test_input_that_breaks_the_schema_is_a_documented_4xx(
    app: FastAPI, role_headers: dict[str, dict[str, str]]
) -> None:
    """Wrong types, missing fields, out-of-range numbers: refused with a documented problem, never a 5xx."""
    async with serve_live(app) as live:
        failures = await asyncio.to_thread(
            fuzz_everything, app.openapi(), GenerationMode.NEGATIVE, live.url, role_headers
        )
    assert not failures, "\n\n".join(failures)
