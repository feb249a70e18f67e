"""The host app's signature on data-rights calls (export, erasure): server to server.

Customers' own tokens cannot ask for another customer's data, and staff tokens are people's,
so the host's back end signs each call with a shared secret (``GOGAEK_PRIVACY_API_SECRET``)::

    X-Gogaek-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<METHOD>.<path>." + body)>

The method and path are signed so a signature for an export cannot be replayed as an erasure;
the timestamp must be within ``GOGAEK_PRIVACY_SIGNATURE_MAX_AGE_SECONDS`` (300) of our clock.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from gogaek.errors import ProblemError
from gogaek.web.i18n import N_, gettext

SIGNATURE_HEADER = "X-Gogaek-Signature"
_SIGNATURE = re.compile(r"^t=(\d{1,12}),v1=([0-9a-f]{64})$")


def signature(secret: str, timestamp: int, method: str, path: str, body: bytes) -> str:
    """The header value a host sends (also used by tests and the docs' example)."""
    message = f"{timestamp}.{method.upper()}.{path}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _refused(code: str, message: str) -> ProblemError:
    return ProblemError(401, code, message)


def check_signature(
    header: str | None, secret: str | None, method: str, path: str, body: bytes, now: float, max_age: int
) -> None:
    """Passes a good, fresh signature; anything else is a 401. A signed call while no secret
    is set is a 503 that tells the operator what to set (an unsigned one is still a 401)."""
    if not header:
        raise _refused("signature_required", f"{SIGNATURE_HEADER} 서명이 필요합니다. ({SIGNATURE_HEADER} is required)")
    if not secret:
        raise ProblemError(
            503,
            "privacy_api_disabled",
            N_("개인정보 API가 설정되지 않았습니다. 운영자가 GOGAEK_PRIVACY_API_SECRET을 설정해야 합니다."),
        )
    match = _SIGNATURE.fullmatch(header.strip())
    if match is None:
        raise _refused("invalid_signature", N_("서명 형식이 올바르지 않습니다."))
    timestamp, digest = int(match.group(1)), match.group(2)
    expected = signature(secret, timestamp, method, path, body).rpartition("v1=")[2]
    if not hmac.compare_digest(expected, digest):
        raise _refused("invalid_signature", N_("서명이 일치하지 않습니다."))
    if abs(now - timestamp) > max_age:
        raise _refused(
            "signature_expired",
            gettext("서명 시각이 %(max)s초 넘게 차이 납니다.") % {"max": max_age},
        )


def subject_key(secret_key: str, source: str, external_id: str) -> str:
    """A customer's identity as a keyed hash: what receipts keep instead of the id itself."""
    return hmac.new(secret_key.encode(), f"privacy-subject:{source}:{external_id}".encode(), hashlib.sha256).hexdigest()
