"""Outbound webhooks: signing, the SSRF guard and one delivery attempt (no database).

Receivers check ``X-Gogaek-Signature: t=<unix seconds>,v1=<hex>`` where ``hex`` is
HMAC-SHA256 keyed with the whole webhook secret (``whsec_...``) over ``f"{t}."`` followed by
the raw request body. Because the timestamp is under the MAC, a receiver can reject
replays older than a few minutes (see :func:`verify_signature`), and it should dedupe on
``X-Gogaek-Delivery`` because a delivery may arrive more than once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import ipaddress
import json
import random
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import certifi
import httpx

from gogaek.errors import ProblemError
from gogaek.web.i18n import N_

# A failed delivery is kept as one of these sentences (or a target refusal's, ``refusal_failure``),
# then ": " and its technical detail (the status, the exception, the refusal's code), which the
# admin pages show in the reader's language (``web.i18n.failure_for_reader``).
REDIRECT_REFUSED = N_("리디렉션은 따라가지 않습니다")
RECEIVER_REFUSED = N_("수신 서버가 오류를 반환했습니다")
TIMED_OUT = N_("응답 시간이 초과되었습니다")
UNREACHABLE = N_("수신 서버에 연결하지 못했습니다")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SIGNATURE_HEADER = "X-Gogaek-Signature"
EVENT_HEADER = "X-Gogaek-Event"
DELIVERY_HEADER = "X-Gogaek-Delivery"
USER_AGENT = "Gogaek-Webhooks/1"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker prefix, not a secret
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_RESPONSE_BYTES = 64 * 1024

_ERROR_EXCERPT_CHARS = 300
_TRANSIENT_STATUSES = frozenset({408, 425, 429})
_RETRY_BASE_SECONDS = 30
_RETRY_CAP_SECONDS = 6 * 60 * 60
_RETRY_MAX_DOUBLINGS = 20  # far past the cap; stops a huge attempt number from building a huge int
_RETRY_JITTER = 0.1
_RNG = random.Random()

# IPv6 ranges whose last 32 bits are an IPv4 address the packet ends up at: IPv4-compatible
# (deprecated), IPv4-mapped (a dual-stack socket really connects to the IPv4 host), IPv4-
# translated (SIIT, RFC 2765) and NAT64 (the gateway sits inside the network and reaches its
# private ranges).
_IPV4_EMBEDDING_NETWORKS = (
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("::ffff:0:0/96"),
    ipaddress.IPv6Network("::ffff:0:0:0/96"),
    ipaddress.IPv6Network("64:ff9b::/96"),
)
# The local-use translation prefix (RFC 8215) leads only into the operator's own network,
# yet Python counts it as global.
_LOCAL_TRANSLATION_NETWORK = ipaddress.IPv6Network("64:ff9b:1::/48")

_MSG_MALFORMED = N_("웹훅 주소 형식이 올바르지 않습니다.")
_MSG_SCHEME = N_("웹훅 주소는 http 또는 https 주소여야 합니다.")
_MSG_USERINFO = N_("웹훅 주소에 사용자 이름이나 비밀번호를 넣을 수 없습니다.")
_MSG_NO_HOST = N_("웹훅 주소에 호스트가 없습니다.")
_MSG_PRIVATE = N_("내부망·루프백·예약된 주소로는 웹훅을 보낼 수 없습니다.")
_MSG_UNRESOLVABLE = N_("웹훅 호스트의 주소를 찾을 수 없습니다.")


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """Outcome of one attempt; ``transient`` tells the queue whether retrying can help."""

    status_code: int | None
    ok: bool
    transient: bool
    error: str | None
    duration_ms: float


def new_webhook_secret() -> str:
    """A fresh signing secret; the prefix makes leaked secrets easy to recognise and scan for."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign_payload(secret: str, timestamp: int, body: bytes) -> str:
    """Returns the whole ``X-Gogaek-Signature`` value, ``t=<timestamp>,v1=<hex HMAC-SHA256>``."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def _parse_signature(header_value: str) -> tuple[int, list[str]] | None:
    """Unknown keys are ignored so a future ``v2`` scheme can be sent alongside ``v1``."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header_value.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            if timestamp is not None or not (value.isascii() and value.isdigit()):
                return None
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return None
    return timestamp, candidates


def verify_signature(
    secret: str,
    header_value: str,
    body: bytes,
    *,
    now: int,
    tolerance_seconds: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver should do: recompute the MAC over the raw body and reject stale timestamps.

    Several ``v1=`` entries are accepted (any may match) so senders can rotate secrets.
    The comparison is constant-time so the MAC cannot be guessed byte by byte.
    """
    parsed = _parse_signature(header_value)
    if parsed is None:
        return False
    timestamp, candidates = parsed
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = _mac(secret, timestamp, body).encode()
    return any(hmac.compare_digest(expected, candidate.encode()) for candidate in candidates)


def _invalid(message: str) -> ProblemError:
    return ProblemError(422, "webhook_url_invalid", message)


def _parse_target(url: str) -> tuple[httpx.URL, str]:
    """Returns the parsed URL and its ASCII (IDNA) host, without brackets for IPv6 literals."""
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeDecodeError) as exc:
        raise _invalid(_MSG_MALFORMED) from exc
    if parsed.scheme not in ("http", "https"):
        raise _invalid(_MSG_SCHEME)
    if parsed.userinfo:
        raise _invalid(_MSG_USERINFO)
    if not host:
        raise _invalid(_MSG_NO_HOST)
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise _invalid(_MSG_MALFORMED)
    return parsed, host


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if any(address in network for network in _IPV4_EMBEDDING_NETWORKS):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def _is_blocked(address: IPAddress) -> bool:
    """Anything but globally routable unicast is refused; ``is_global`` already excludes
    loopback, RFC 1918, fc00::/7, link-local (cloud metadata), 100.64/10, reserved and
    unspecified, but counts global-scope multicast as global."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_TRANSLATION_NETWORK:
            return True
        embedded = _embedded_ipv4(address)
        if embedded is not None and _is_blocked(embedded):
            return True
    return not address.is_global or address.is_multicast


async def _resolve(host: str) -> list[IPAddress]:
    """Literal IPs need no lookup; names go through the system resolver without blocking the loop."""
    with contextlib.suppress(ValueError):
        return [ipaddress.ip_address(host)]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ProblemError(422, "webhook_host_unresolvable", _MSG_UNRESOLVABLE) from exc
    families = (socket.AF_INET, socket.AF_INET6)
    addresses = [ipaddress.ip_address(str(info[4][0])) for info in infos if info[0] in families]
    if not addresses:
        raise ProblemError(422, "webhook_host_unresolvable", _MSG_UNRESOLVABLE)
    return list(dict.fromkeys(addresses))


async def _checked_target(url: str, allow_private: bool) -> tuple[httpx.URL, list[IPAddress]]:
    parsed, host = _parse_target(url)
    addresses = await _resolve(host)
    if not allow_private and any(_is_blocked(address) for address in addresses):
        raise ProblemError(422, "webhook_target_private", _MSG_PRIVATE)
    return parsed, addresses


async def check_target(url: str, *, allow_private: bool) -> None:
    """Refuses URLs that could reach this server's own network (SSRF).

    The host is refused if ANY of its addresses is non-public, because the connection may
    use whichever one the resolver lists first. Raises 422 ``webhook_url_invalid``,
    ``webhook_target_private`` or ``webhook_host_unresolvable``.
    """
    await _checked_target(url, allow_private)


def refusal_failure(refusal: ProblemError) -> str:
    """A target refused before delivery, kept like the other failures: its sentence (without the
    full stop it ends with on a page), ": ", then its code (``webhook_target_private``), so the
    admin pages can word the sentence for their reader (``failure_for_reader``)."""
    return f"{refusal.message.removesuffix('.')}: {refusal.code}"


def _encode_body(delivery_id: str, event: str, payload: dict[str, Any], created_at: datetime) -> bytes:
    envelope = {"id": delivery_id, "event": event, "created_at": created_at.isoformat(), "data": payload}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def _headers(secret: str, event: str, delivery_id: str, body: bytes, netloc: str) -> dict[str, str]:
    return {
        "Host": netloc,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        # An uncompressed reply keeps the 64 KiB read limit honest (no decompression bomb).
        "Accept-Encoding": "identity",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: sign_payload(secret, int(time.time()), body),
    }


async def _send_pinned(
    client: httpx.AsyncClient,
    target: httpx.URL,
    addresses: list[IPAddress],
    body: bytes,
    headers: dict[str, str],
) -> httpx.Response:
    """Connects only to addresses that passed the check, falling back to the next one when
    connecting fails (e.g. an AAAA record this host cannot route); nothing was sent yet."""
    sni_hostname = target.raw_host.decode("ascii")

    async def send_to(address: IPAddress) -> httpx.Response:
        request = client.build_request(
            "POST",
            target.copy_with(host=str(address)),
            content=body,
            headers=headers,
            extensions={"sni_hostname": sni_hostname},
        )
        return await client.send(request, stream=True, follow_redirects=False)

    *fallbacks, last = addresses
    for address in fallbacks:
        with contextlib.suppress(httpx.ConnectError):
            return await send_to(address)
    return await send_to(last)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _ERROR_EXCERPT_CHARS else text[: _ERROR_EXCERPT_CHARS - 1] + "…"


async def _read_excerpt(response: httpx.Response, deadline: float) -> str:
    """Reads at most MAX_RESPONSE_BYTES before the deadline: a receiver cannot make us buffer
    or wait for more. A cut-off body is fine because the status code already decided."""
    received = bytearray()
    with contextlib.suppress(TimeoutError, httpx.TransportError):
        async with asyncio.timeout_at(deadline):
            async for chunk in response.aiter_raw():
                received += chunk
                if len(received) >= MAX_RESPONSE_BYTES:
                    break
    return _shorten(bytes(received[:MAX_RESPONSE_BYTES]).decode("utf-8", errors="replace"))


def _result(
    started: float, status_code: int | None, *, transient: bool = False, error: str | None = None
) -> DeliveryResult:
    duration_ms = (time.perf_counter() - started) * 1000
    return DeliveryResult(status_code, error is None, transient, error, duration_ms)


async def _classify(response: httpx.Response, deadline: float, started: float) -> DeliveryResult:
    status = response.status_code
    if 200 <= status < 300:
        return _result(started, status)
    if 300 <= status < 400:
        location = _shorten(response.headers.get("Location", ""))
        message = f"{REDIRECT_REFUSED}: HTTP {status} → {location}"
        return _result(started, status, error=message)
    excerpt = await _read_excerpt(response, deadline)
    transient = status in _TRANSIENT_STATUSES or 500 <= status < 600
    message = f"{RECEIVER_REFUSED}: HTTP {status} {excerpt}".rstrip()
    return _result(started, status, transient=transient, error=message)


async def _attempt(
    client: httpx.AsyncClient,
    url: str,
    secret: str,
    event: str,
    body: bytes,
    delivery_id: str,
    allow_private: bool,
    limit_seconds: float,
) -> DeliveryResult:
    started = time.perf_counter()
    deadline = asyncio.get_running_loop().time() + limit_seconds
    try:
        async with asyncio.timeout_at(deadline):
            target, addresses = await _checked_target(url, allow_private)
            headers = _headers(secret, event, delivery_id, body, target.netloc.decode("ascii"))
            response = await _send_pinned(client, target, addresses, body, headers)
    except ProblemError as exc:
        # DNS outages pass; a bad or private URL stays bad until someone edits it.
        transient = exc.code == "webhook_host_unresolvable"
        return _result(started, None, transient=transient, error=refusal_failure(exc))
    except (TimeoutError, httpx.TimeoutException):
        message = f"{TIMED_OUT}: {limit_seconds:g} s"
        return _result(started, None, transient=True, error=message)
    except httpx.TransportError as exc:
        message = f"{UNREACHABLE}: {type(exc).__name__}: {exc}"
        return _result(started, None, transient=True, error=_shorten(message))
    try:
        return await _classify(response, deadline, started)
    finally:
        await response.aclose()


async def deliver_webhook(
    url: str,
    secret: str,
    event: str,
    payload: dict[str, Any],
    *,
    delivery_id: str,
    allow_private: bool,
    timeout: float,  # noqa: ASYNC109 - the agreed API; it bounds DNS, connect and reply together
    client: httpx.AsyncClient | None = None,
    created_at: datetime | None = None,
) -> DeliveryResult:
    """POSTs one signed event and classifies the outcome; never raises for receiver problems.

    The target is re-checked right before sending because DNS may have changed since the
    URL was saved, and the request is then sent to the very addresses that passed the check
    (Host header and TLS SNI/certificate checks still use the hostname), so a rebinding
    resolver cannot swap in a private address between check and connect. Residual risks:
    a caller-supplied ``client`` with a proxy sends through that proxy, which connects on its
    own; and its connection pool is keyed by IP, so a TLS connection opened for one hostname
    may be reused for another hostname that resolves to the same public IP. Without a
    ``client`` a private one is used that ignores proxy environment variables.

    ``timeout`` bounds the whole attempt (DNS, connect, response headers, error body).
    Redirects are never followed: a 3xx could point back inside the network, so it is a
    permanent failure. Pass ``created_at`` (the event's time, timezone-aware) so retries send identical bodies.
    """
    when = created_at or datetime.now(UTC)
    body = _encode_body(delivery_id, event, payload, when)
    if client is not None:
        return await _attempt(client, url, secret, event, body, delivery_id, allow_private, timeout)
    async with httpx.AsyncClient(trust_env=False, timeout=timeout, verify=tls_context()) as own_client:
        return await _attempt(own_client, url, secret, event, body, delivery_id, allow_private, timeout)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context of every delivery, made once per process: httpx builds one from
    certifi's CA bundle for each new client (benchmarks/process_caches.py measures the difference)."""
    return ssl.create_default_context(cafile=certifi.where())


def retry_delay(attempt: int, rng: random.Random | None = None) -> timedelta:
    """Wait before retry number ``attempt`` (1-based): 30 s doubling up to 6 h, then ±10 % jitter
    so receivers recovering from an outage are not hit by every queued delivery at once.
    The jitter applies after the cap, so the longest wait is 6 h 36 min."""
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    seconds = min(_RETRY_BASE_SECONDS * 2 ** min(attempt - 1, _RETRY_MAX_DOUBLINGS), _RETRY_CAP_SECONDS)
    jitter = (rng or _RNG).uniform(1 - _RETRY_JITTER, 1 + _RETRY_JITTER)
    return timedelta(seconds=seconds * jitter)
