"""RFC 9457 problem details: every error has a stable ``code`` and a Korean message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gogaek.korean.jamo import object_particle
from gogaek.web.i18n import N_, gettext, in_language
from gogaek.web.ids import MAX_ID
from gogaek.web.validation import field_errors

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

_STATUS_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("bad_request", N_("요청을 처리할 수 없습니다.")),
    401: ("unauthorized", N_("로그인이 필요합니다.")),
    403: ("forbidden", N_("권한이 없습니다.")),
    404: ("not_found", N_("요청하신 내용을 찾을 수 없습니다.")),
    405: ("method_not_allowed", N_("허용되지 않는 요청 방식입니다.")),
    409: ("conflict", N_("현재 상태에서는 처리할 수 없습니다.")),
    413: ("payload_too_large", N_("요청 내용이 너무 큽니다.")),
    422: ("validation_error", N_("입력값을 확인해 주세요.")),
    429: (
        "too_many_requests",
        N_("요청이 너무 많습니다. 잠시 후 다시 시도해 주세요."),
    ),
    500: ("internal_error", N_("일시적인 오류가 발생했습니다.")),
    503: (
        "database_busy",
        N_("요청이 몰려 처리하지 못했습니다. 잠시 후 다시 시도해 주세요."),
    ),
}


class ProblemError(Exception):
    """Raised by services and routes; rendered as problem+json (or an HTML page)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}


def not_found(what: str = "요청하신 내용") -> ProblemError:
    """In the language of the request that looks (English says "Not found": ``what`` is Korean)."""
    message = gettext("%(what)s%(particle)s 찾을 수 없습니다.") % {"what": what, "particle": object_particle(what)}
    return ProblemError(404, "not_found", message)


def problem_body(status: int, code: str, message: str, errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The message in the caller's language (the token's ``locale``, then ``Accept-Language``):
    Korean without the English gloss it is written with, or English."""
    message = in_language(message)
    body: dict[str, Any] = {
        "type": f"https://gogaek.dev/problems/{code}",
        "title": message,
        "status": status,
        "code": code,
        "detail": message,
    }
    if errors:
        body["errors"] = errors
    return body


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/healthz", "/readyz")):
        return False
    return "text/html" in request.headers.get("accept", "")


def render_problem(request: Request, problem: ProblemError) -> Response:
    if _wants_html(request):
        templates = getattr(request.app.state, "templates", None)
        if templates is not None:
            return templates.TemplateResponse(  # type: ignore[no-any-return]
                request,
                "error.html",
                {"status": problem.status, "message": in_language(problem.message), "code": problem.code},
                status_code=problem.status,
                headers=problem.headers,
            )
        return HTMLResponse(problem.message, status_code=problem.status, headers=problem.headers)
    return JSONResponse(
        problem_body(problem.status, problem.code, problem.message, problem.errors),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return render_problem(request, exc)


async def _on_validation(request: Request, exc: Exception) -> Response:
    """A path that does not parse (an id out of range, a date that is no date) names nothing: 404."""
    assert isinstance(exc, RequestValidationError)
    if any(err.get("loc", ("",))[0] == "path" for err in exc.errors()):
        return render_problem(request, not_found())
    code, message = _STATUS_DEFAULTS[422]
    return render_problem(request, ProblemError(422, code, message, errors=field_errors(exc.errors())))


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if 300 <= exc.status_code < 400 and exc.headers and "Location" in exc.headers:
        return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
    code, message = _STATUS_DEFAULTS.get(exc.status_code, ("http_error", str(exc.detail)))
    headers = dict(exc.headers or {})
    return render_problem(request, ProblemError(exc.status_code, code, message, headers=headers))


def is_database_busy(exc: BaseException) -> bool:
    """SQLite gave up waiting for another writer: the request may simply be retried."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def is_integer_out_of_range(exc: BaseException) -> bool:
    """An integer the database cannot store: SQLite's OverflowError, PostgreSQL's int32/int64 errors."""
    if isinstance(exc, OverflowError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    text = str(exc.orig)
    return getattr(exc.orig, "sqlstate", None) == "22003" or ("out of int" in text and "range" in text)


def _path_names_nothing(request: Request) -> bool:
    return any(
        isinstance(value, str) and value.isdigit() and int(value) > MAX_ID for value in request.path_params.values()
    )


def is_text_not_storable(exc: BaseException) -> bool:
    """PostgreSQL text cannot hold a NUL character (SQLSTATE 22021); SQLite can."""
    return isinstance(exc, DBAPIError) and (getattr(exc.orig, "sqlstate", None) == "22021" or "0x00" in str(exc.orig))


async def _on_database_error(request: Request, exc: Exception) -> Response:
    """Safety nets behind the schemas: values the database refuses are the client's 4xx, not a 500."""
    if is_integer_out_of_range(exc):
        log.warning("integer out of range on %s: %s", request.url.path, exc)
        if _path_names_nothing(request):
            return render_problem(request, not_found())
        return render_problem(request, ProblemError(422, "invalid_id", N_("올바르지 않은 번호입니다.")))
    if is_text_not_storable(exc):
        log.warning("NUL character in text on %s", request.url.path)
        message = N_("입력에 사용할 수 없는 문자(NUL)가 있습니다.")
        return render_problem(request, ProblemError(422, "invalid_text", message))
    if not is_database_busy(exc):
        return await _on_database_unavailable(request, exc)
    log.warning("database busy on %s", request.url.path)
    code, message = _STATUS_DEFAULTS[503]
    return render_problem(request, ProblemError(503, code, message, headers={"Retry-After": "2"}))


_DRIVER_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.")
# PostgreSQL SQLSTATE classes: 08 connection exception, 57P operator intervention (shutdown, starting up).
_UNAVAILABLE_SQLSTATES = ("08", "57P")


def _exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception, what SQLAlchemy wrapped (``orig``) and its causes, without looping."""
    chain: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending and len(chain) < 20:
        link = pending.pop()
        if link is None or any(link is seen for seen in chain):
            continue
        chain.append(link)
        pending += [getattr(link, "orig", None), link.__cause__, link.__context__]
    return chain


def _raised_in_database_driver(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith(_DRIVER_MODULES):
            return True
        tb = tb.tb_next
    return False


def is_database_unavailable(exc: BaseException) -> bool:
    """The database refused or dropped the connection (a restart, a failover): a retry later can work.

    Connection errors reach us raw (``ConnectionRefusedError`` from the driver's connect) or
    wrapped by SQLAlchemy, so the whole chain is looked at.
    """
    for link in _exception_chain(exc):
        if isinstance(link, DBAPIError) and link.connection_invalidated:
            return True
        if isinstance(link, OSError) and _raised_in_database_driver(link):
            return True
        if str(getattr(link, "sqlstate", None) or "").startswith(_UNAVAILABLE_SQLSTATES):
            return True
    return False


async def _on_database_unavailable(request: Request, exc: Exception) -> Response:
    """503 ``database_unavailable`` with ``Retry-After``: the transaction was rolled back, nothing half-written."""
    if not is_database_unavailable(exc):
        return await _on_unexpected(request, exc)
    log.warning("database unavailable on %s: %s", request.url.path, type(exc).__name__)
    problem = ProblemError(
        503,
        "database_unavailable",
        N_("일시적으로 데이터베이스에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."),
        headers={"Retry-After": "2"},
    )
    return render_problem(request, problem)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    code, message = _STATUS_DEFAULTS[500]
    return render_problem(request, ProblemError(500, code, message))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(OperationalError, _on_database_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(OverflowError, _on_database_error)
    app.add_exception_handler(OSError, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
    app.openapi = _with_problem_responses(app.openapi)  # type: ignore[method-assign]


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable machine-readable code, e.g. not_found"},
        "detail": {"type": "string", "description": "In the caller's language: Korean, or English for locale en"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "message": {"type": "string", "description": "In the caller's language, like detail"},
                },
            },
        },
    },
}


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": _STATUS_DEFAULTS[status][1],
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _problem_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation can really answer, from what it takes and who may call it."""
    parameters = operation.get("parameters", [])
    statuses = [503]
    if parameters or "requestBody" in operation:
        statuses.append(422)
    if "requestBody" in operation:
        statuses += [400, 413]
    if parameters:  # a path id, or a query naming a category, that does not exist
        statuses.append(404)
    if operation.get("security") or path.endswith("/login"):  # signed in, or signing in
        statuses += [401, 403]
    if method != "get":
        statuses += [404, 409, 429]
    return statuses


def _with_problem_responses(build: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Every operation documents its problem+json answers, so clients and schema checks know them."""

    def openapi() -> dict[str, Any]:
        schema = build()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                for status in _problem_statuses(path, method, operation):
                    operation["responses"][str(status)] = _problem_response(status)
        return schema

    return openapi
