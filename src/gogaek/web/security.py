"""Security headers on every response and the anonymous visitor cookie."""

from __future__ import annotations

import hashlib
import secrets

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

VISITOR_COOKIE = "gogaek_visitor"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
STRICT_TRANSPORT_SECURITY = b"max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Pure ASGI so that it also wraps streaming and error responses."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        needs_visitor = VISITOR_COOKIE.encode() not in _cookie_header(scope)
        # Over TLS (uvicorn sets the scheme from a trusted X-Forwarded-Proto) or in production,
        # where plain HTTP is only ever a redirect: browsers must not try plain HTTP again.
        wants_hsts = self.secure_cookies or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"strict-origin-when-cross-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                ]
                if wants_hsts:
                    headers.append((b"strict-transport-security", STRICT_TRANSPORT_SECURITY))
                if needs_visitor:
                    headers.append((b"set-cookie", self._visitor_cookie()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _visitor_cookie(self) -> bytes:
        cookie = f"{VISITOR_COOKIE}={secrets.token_urlsafe(18)}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"
        if self.secure_cookies:
            cookie += "; Secure"
        return cookie.encode()


def _cookie_header(scope: Scope) -> bytes:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            return bytes(value)
    return b""


def voter_key(request: Request) -> str:
    """Visitors are told apart by their visitor cookie, else by address and browser (hashed)."""
    visitor = request.cookies.get(VISITOR_COOKIE)
    if not visitor:
        host = request.client.host if request.client else "unknown"
        visitor = f"{host}|{request.headers.get('user-agent', '')}"
    return hashlib.sha256(visitor.encode()).hexdigest()
