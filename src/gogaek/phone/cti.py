"""The phone system's push, read the way Zammad's "generic CTI" documents it, and its signature.

A PBX configured for Zammad sends ``event`` (newCall, answer, hangup), ``from``, ``to``,
``direction``, ``callId``, ``user[]``, ``queue``, ``cause`` and ``answeringNumber`` as a form
(urlencoded or multipart) or as JSON; ``user`` may be one name or a list. Everything here is
pure: nothing is read from or written to the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gogaek.errors import ProblemError
from gogaek.identity.otp import normalise_phone
from gogaek.web.i18n import N_, gettext

MAX_PUSH_BYTES = 16 * 1024
MAX_USERS = 20
SIGNATURE_HEADER = "X-Gogaek-Signature"
# Column widths of call_logs / cti_events: longer values are refused, never cut.
FIELD_LIMITS = {
    "callId": 120,
    "direction": 10,
    "from": 40,
    "to": 40,
    "queue": 80,
    "cause": 40,
    "answeringNumber": 40,
    "user": 100,
}
_SIGNATURE = re.compile(r"^t=(\d{1,12}),v1=([0-9a-f]{64})$")


class CtiEventKind(StrEnum):
    NEW_CALL = "newCall"
    ANSWER = "answer"
    HANGUP = "hangup"


@dataclass(frozen=True, slots=True)
class CtiPush:
    event: CtiEventKind
    call_id: str
    direction: str | None  # in | out; required for newCall
    from_number: str
    to_number: str
    users: tuple[str, ...]
    queue: str | None
    cause: str | None
    answering_number: str | None

    def payload(self) -> dict[str, Any]:
        """What is kept in ``cti_events`` for the record, in the convention's own names."""
        return {
            "event": self.event.value,
            "callId": self.call_id,
            "direction": self.direction,
            "from": self.from_number,
            "to": self.to_number,
            "user": list(self.users),
            "queue": self.queue,
            "cause": self.cause,
            "answeringNumber": self.answering_number,
        }


def invalid_push(code: str, message: str, field: str | None = None) -> ProblemError:
    errors = [{"field": field, "message": message}] if field else None
    return ProblemError(422, code, message, errors=errors)


def decode_body(content_type: str, raw: bytes) -> dict[str, Any] | None:
    """JSON bodies here; None means "read it as a form" (the route lets Starlette parse those)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None
    if media != "application/json" and not media.endswith("+json"):
        raise ProblemError(
            415,
            "unsupported_media_type",
            N_("JSON 또는 폼(form) 형식으로 보내 주세요."),
        )
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ProblemError(400, "malformed_cti_body", N_("JSON 형식이 아닙니다.")) from exc
    if not isinstance(data, dict):
        raise ProblemError(400, "malformed_cti_body", N_("JSON 객체를 보내 주세요."))
    return data


def fields_from_form(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Form fields as JSON would carry them: ``user[]`` (or a repeated ``user``) becomes a list."""
    fields: dict[str, Any] = {}
    users: list[Any] = []
    for key, value in items:
        if key in ("user", "user[]"):
            users.append(value)
        elif key not in fields:
            fields[key] = value
    if users:
        fields["user"] = users
    return fields


def _text(fields: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = fields.get(name)
    if value is not None and (not isinstance(value, str | int) or isinstance(value, bool)):
        raise invalid_push("invalid_cti_field", f"{name} 값은 문자열이어야 합니다. ({name} must be text)", name)
    text = str(value).strip() if value is not None else ""
    if not text and required:
        raise invalid_push(f"missing_{_snake(name)}", f"{name} 값이 필요합니다. ({name} is required)", name)
    _check_length(name, text)
    return text or None


def _check_length(name: str, text: str) -> None:
    limit = FIELD_LIMITS[name]
    if len(text) > limit or not text.isprintable():
        raise invalid_push(
            "cti_field_too_long" if len(text) > limit else "invalid_cti_field",
            f"{name} 값은 {limit}자 이하의 인쇄 가능한 문자여야 합니다. ({name}: at most {limit} printable characters)",
            name,
        )


def _users(fields: dict[str, Any]) -> tuple[str, ...]:
    value = fields.get("user", fields.get("user[]"))
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    if value is not None and not isinstance(value, str | list):
        raise invalid_push("invalid_cti_field", "user 값은 이름 또는 이름 목록입니다. (user: a name or a list)", "user")
    if len(names) > MAX_USERS or not all(isinstance(n, str) for n in names):
        raise invalid_push(
            "invalid_cti_field", f"user는 {MAX_USERS}명까지의 이름 목록입니다. (user: up to {MAX_USERS} names)", "user"
        )
    cleaned = [n.strip() for n in names]
    for name in cleaned:
        _check_length("user", name)
    return tuple(n for n in cleaned if n)


def parse_push(fields: dict[str, Any]) -> CtiPush:
    """The push as a value, or a 422 naming the first thing wrong with it."""
    raw_event = fields.get("event")
    try:
        event = CtiEventKind(raw_event)  # type: ignore[arg-type]  # anything else is refused just below
    except ValueError as exc:
        raise invalid_push(
            "unknown_cti_event",
            "event는 newCall, answer, hangup 중 하나여야 합니다. (event must be newCall, answer or hangup)",
            "event",
        ) from exc
    call_id = _text(fields, "callId", required=True)
    assert call_id is not None
    direction = _text(fields, "direction", required=event is CtiEventKind.NEW_CALL)
    if direction is not None and direction not in ("in", "out"):
        raise invalid_push(
            "invalid_direction", "direction은 in 또는 out이어야 합니다. (direction must be in or out)", "direction"
        )
    return CtiPush(
        event=event,
        call_id=call_id,
        direction=direction,
        from_number=_text(fields, "from") or "",
        to_number=_text(fields, "to") or "",
        users=_users(fields),
        queue=_text(fields, "queue"),
        cause=_text(fields, "cause"),
        answering_number=_text(fields, "answeringNumber"),
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def caller_phone(raw: str) -> str | None:
    """A Korean number as bare digits; PBXs in Zammad's convention often write +82 without the plus."""
    phone = normalise_phone(raw)
    if phone is None and raw.startswith("82"):
        phone = normalise_phone("+" + raw)
    return phone


# --- tokens and signatures -------------------------------------------------------------------


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, timestamp: int, raw: bytes) -> str:
    """The header a sender adds: ``t=<unix>,v1=<hex hmac-sha256(secret, "<t>." + body)>``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _signature_refused(code: str, message: str) -> ProblemError:
    return ProblemError(401, code, message)


def check_signature(header: str | None, secret: str, raw: bytes, now: float, max_age: int) -> tuple[str, int]:
    """The signature's digest and timestamp when it is good and fresh; otherwise a 401."""
    if not header:
        raise _signature_refused(
            "signature_required", f"{SIGNATURE_HEADER} 서명이 필요합니다. ({SIGNATURE_HEADER} is required)"
        )
    match = _SIGNATURE.fullmatch(header.strip())
    if match is None:
        raise _signature_refused("invalid_signature", N_("서명 형식이 올바르지 않습니다."))
    timestamp, digest = int(match.group(1)), match.group(2)
    expected = sign(secret, timestamp, raw).rpartition("v1=")[2]
    if not hmac.compare_digest(expected, digest):
        raise _signature_refused("invalid_signature", N_("서명이 일치하지 않습니다."))
    if abs(now - timestamp) > max_age:
        raise _signature_refused(
            "signature_expired",
            gettext("서명 시각이 %(max)s초 넘게 차이 납니다.") % {"max": max_age},
        )
    return digest, timestamp
