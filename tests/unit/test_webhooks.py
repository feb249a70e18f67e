"""Webhook signing, the SSRF guard and delivery against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import random
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gogaek.errors import ProblemError
from gogaek.notify.webhooks import (
    MAX_RESPONSE_BYTES,
    REDIRECT_REFUSED,
    SIGNATURE_HEADER,
    TIMED_OUT,
    DeliveryResult,
    check_target,
    deliver_webhook,
    new_webhook_secret,
    refusal_failure,
    retry_delay,
    sign_payload,
    tls_context,
    verify_signature,
)
from gogaek.web.i18n import failure_for_reader, in_language_of, speaking

SECRET = "whsec_test-secret"
BODY = b'{"id":"d1","event":"inquiry.created","data":{"title":"\xec\x86\xa1\xea\xb8\x88"}}'
T0 = 1_700_000_000
FLOOD_BYTES = 128 * 1024 * 1024  # far beyond what kernel socket buffers can absorb


# --- signatures ---------------------------------------------------------------------------


def test_signature_matches_the_documented_construction() -> None:
    expected = hmac.new(SECRET.encode(), f"{T0}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign_payload(SECRET, T0, BODY) == f"t={T0},v1={expected}"


def test_signature_round_trip_within_tolerance() -> None:
    header = sign_payload(SECRET, T0, BODY)
    assert verify_signature(SECRET, header, BODY, now=T0)
    assert verify_signature(SECRET, header, BODY, now=T0 + 300)
    assert verify_signature(SECRET, header, BODY, now=T0 - 300)
    assert verify_signature(SECRET, header, BODY, now=T0 + 30, tolerance_seconds=30)


def test_signature_rejects_tampering_and_replays() -> None:
    header = sign_payload(SECRET, T0, BODY)
    mac = header.split("v1=")[1]
    assert not verify_signature(SECRET, header, BODY + b" ", now=T0)
    assert not verify_signature(SECRET, header, BODY.replace(b"d1", b"d2"), now=T0)
    assert not verify_signature(SECRET, f"t={T0 + 1},v1={mac}", BODY, now=T0)
    assert not verify_signature("whsec_other", header, BODY, now=T0)
    assert not verify_signature(SECRET, header, BODY, now=T0 + 301)
    assert not verify_signature(SECRET, header, BODY, now=T0 - 301)
    assert not verify_signature(SECRET, header, BODY, now=T0 + 31, tolerance_seconds=30)


def test_signature_accepts_any_of_several_v1_for_rotation() -> None:
    new = sign_payload(SECRET, T0, BODY).split(",")[1]
    old = sign_payload("whsec_old", T0, BODY).split(",")[1]
    header = f"t={T0},{old},{new},v2=future-scheme"
    assert verify_signature(SECRET, header, BODY, now=T0)
    assert verify_signature("whsec_old", header, BODY, now=T0)
    assert not verify_signature("whsec_third", header, BODY, now=T0)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"t={T0}",
        "v1=" + "0" * 64,
        f"t=abc,v1={'0' * 64}",
        f"t=-{T0},v1={'0' * 64}",
        "t=²,v1=" + "0" * 64,
        f"t={T0},t={T0},v1={'0' * 64}",
        f"t={T0},v1=서명",
        f"t={T0},v1=",
    ],
)
def test_malformed_signature_headers_are_rejected_without_raising(header: str) -> None:
    assert not verify_signature(SECRET, header, BODY, now=T0)


def test_new_webhook_secret_is_prefixed_random_and_long() -> None:
    secrets_ = {new_webhook_secret() for _ in range(50)}
    assert len(secrets_) == 50
    for value in secrets_:
        assert value.startswith("whsec_")
        assert len(value) == len("whsec_") + 43  # 32 random bytes, URL-safe base64


# --- retry backoff --------------------------------------------------------------------------


def test_retry_delay_doubles_from_30s_with_ten_percent_jitter() -> None:
    rng = random.Random(7)
    for attempt, base in [(1, 30), (2, 60), (3, 120), (5, 480), (10, 15_360)]:
        for _ in range(20):
            seconds = retry_delay(attempt, rng).total_seconds()
            assert base * 0.9 <= seconds <= base * 1.1


def test_retry_delay_is_capped_at_six_hours_even_for_absurd_attempts() -> None:
    rng = random.Random(1)
    for attempt in (11, 12, 50, 10**9):
        seconds = retry_delay(attempt, rng).total_seconds()
        assert 6 * 3600 * 0.9 <= seconds <= 6 * 3600 * 1.1


def test_retry_delay_is_deterministic_with_a_seeded_rng_and_jittered() -> None:
    first = [retry_delay(3, random.Random(42)) for _ in range(3)]
    assert len(set(first)) == 1
    rng = random.Random(42)
    assert len({retry_delay(3, rng) for _ in range(20)}) > 1


@pytest.mark.parametrize("attempt", [0, -1])
def test_retry_delay_rejects_attempts_below_one(attempt: int) -> None:
    with pytest.raises(ValueError, match="attempt"):
        retry_delay(attempt)


# --- SSRF guard -----------------------------------------------------------------------------


async def _problem_code(url: str, *, allow_private: bool = False) -> str:
    with pytest.raises(ProblemError) as caught:
        await check_target(url, allow_private=allow_private)
    assert caught.value.status == 422
    assert "웹훅" in caught.value.message and "(" not in caught.value.message  # Korean, no English gloss
    assert "ebhook" in in_language_of("en", caught.value.message)  # English from the catalogue
    return caught.value.code


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1/",  # short form, resolved by the system resolver
        "http://2130706433/",  # 127.0.0.1 as a decimal number
        "http://localhost:8080/",
        "http://10.0.0.5/",
        "http://172.16.0.1/",
        "http://172.31.255.254/",
        "http://192.168.1.10/",
        "http://169.254.169.254/latest/meta-data/",
        "https://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:10.0.0.1]:8080/",
        "http://[::127.0.0.1]/",  # IPv4-compatible form
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
        "http://[2002:c0a8:101::1]/",  # 6to4 wrapping 192.168.1.1
        "http://0.0.0.0/",
        "http://[::]/",
        "http://100.64.0.1/",
        "http://100.127.255.254/",
        "http://[fc00::1]/",
        "http://[fd12:3456::1]/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://239.255.255.250/",
        "http://[ff0e::1]/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "http://198.18.0.1/",
    ],
)
async def test_private_and_reserved_targets_are_refused(url: str) -> None:
    assert await _problem_code(url) == "webhook_target_private"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "not a url",
        "",
        "http://user:pass@example.com/",
        "http://user@example.com/",
        "http:///no-host",
        "http://",
        "http://[::1",
        "http://example.com:99999/",
    ],
)
async def test_invalid_urls_are_refused_even_when_private_targets_are_allowed(url: str) -> None:
    assert await _problem_code(url) == "webhook_url_invalid"
    assert await _problem_code(url, allow_private=True) == "webhook_url_invalid"


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hook",
        "https://93.184.216.34:8443/hooks?x=1",
        "HTTPS://8.8.8.8/",
        "http://[2606:2800:220:1:248:1893:25c8:1946]/",
        "http://[::ffff:93.184.216.34]/",
    ],
)
async def test_public_literal_addresses_pass_without_dns(url: str) -> None:
    await check_target(url, allow_private=False)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/", "http://localhost/", "http://[::1]/", "http://10.0.0.5/"])
async def test_allow_private_lets_internal_targets_through(url: str) -> None:
    await check_target(url, allow_private=True)


async def test_unresolvable_host_is_reported() -> None:
    assert await _problem_code("https://no-such-host.invalid/hook") == "webhook_host_unresolvable"


# --- a real receiver ------------------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP/1.1 server whose behaviour is picked by the request path."""

    port: int = 0
    connections: int = 0
    flood_fully_sent: bool = False
    requests: list[Received] = field(default_factory=list)
    handlers: set[asyncio.Task[None]] = field(default_factory=set)

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        self.connections += 1
        try:
            request = await _read_request(reader)
            self.requests.append(request)
            await self.respond(request.path, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # the client hung up (timeouts, size limits, TLS refusals): that is what we test
        finally:
            writer.close()

    async def respond(self, path: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if path == "/slow":
            await reader.read(1)  # answers nothing; returns once the client gives up and disconnects
            return
        if path == "/redirect":
            head = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/status/200\r\nContent-Length: 0\r\n"
            writer.write(f"{head}Connection: close\r\n\r\n".encode())
        elif path.startswith("/flood/"):
            writer.write(f"HTTP/1.1 {path.removeprefix('/flood/')} Flood\r\nConnection: close\r\n\r\n".encode())
            for _ in range(FLOOD_BYTES // 65536):  # the client must stop reading long before the end
                writer.write(b"x" * 65536)
                await writer.drain()
            self.flood_fully_sent = True
            await reader.read(1)
        else:
            status = int(path.removeprefix("/status/"))
            body = f"상태 {status} (status {status})".encode()
            head = f"HTTP/1.1 {status} Whatever\r\nContent-Type: text/plain; charset=utf-8\r\n"
            writer.write(f"{head}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()


async def _read_request(reader: asyncio.StreamReader) -> Received:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    request_line, *header_lines = head.split("\r\n")
    method, path, _ = request_line.split(" ")
    headers = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Received(method, path, headers, body)


@contextlib.asynccontextmanager
async def _serve(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[Receiver]:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0, ssl=ssl_context)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
        await server.wait_closed()
        for task in receiver.handlers:
            task.cancel()
        await asyncio.gather(*receiver.handlers, return_exceptions=True)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with _serve() as running:
        yield running


async def _ping(
    url: str,
    delivery_id: str,
    *,
    allow_private: bool = True,
    timeout: float = 5.0,  # noqa: ASYNC109 - passed straight to deliver_webhook
    client: httpx.AsyncClient | None = None,
) -> DeliveryResult:
    """An empty "ping" event: these tests are about the transport and its verdict, not the payload."""
    return await deliver_webhook(
        url, SECRET, "ping", {}, delivery_id=delivery_id, allow_private=allow_private, timeout=timeout, client=client
    )


def _error(result: DeliveryResult) -> str:
    """The failure's text; a failed delivery must always say why."""
    assert result.error is not None
    return result.error


async def test_delivery_sends_signed_json_with_documented_headers(receiver: Receiver) -> None:
    created = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC)
    result = await deliver_webhook(
        receiver.url("/status/200"),
        SECRET,
        "inquiry.created",
        {"inquiry_id": 7, "title": "송금이 안 돼요"},
        delivery_id="dlv_123",
        allow_private=True,
        timeout=5.0,
        created_at=created,
    )
    assert result.ok
    assert result.status_code == 200
    assert not result.transient
    assert result.error is None
    assert result.duration_ms >= 0
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/status/200"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "Gogaek-Webhooks/1"
    assert request.headers["accept-encoding"] == "identity"  # keeps the 64 KiB limit about real bytes
    assert request.headers["x-gogaek-event"] == "inquiry.created"
    assert request.headers["x-gogaek-delivery"] == "dlv_123"
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert json.loads(request.body) == {
        "id": "dlv_123",
        "event": "inquiry.created",
        "created_at": "2024-05-01T09:30:00+00:00",
        "data": {"inquiry_id": 7, "title": "송금이 안 돼요"},
    }
    signature = request.headers[SIGNATURE_HEADER.lower()]
    sent_at = int(signature.split(",")[0].removeprefix("t="))
    assert verify_signature(SECRET, signature, request.body, now=sent_at)
    assert not verify_signature(SECRET, signature, request.body + b"\n", now=sent_at)
    assert not verify_signature(SECRET, signature, request.body, now=sent_at + 301)


async def test_delivery_to_a_hostname_keeps_the_host_header(receiver: Receiver) -> None:
    result = await _ping(receiver.url("/status/204", host="localhost"), "dlv_host")
    assert result.ok, result.error
    assert receiver.requests[0].headers["host"] == f"localhost:{receiver.port}"
    created_at = dt.datetime.fromisoformat(json.loads(receiver.requests[0].body)["created_at"])
    assert created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("status", "ok", "transient"),
    [
        (200, True, False),
        (201, True, False),
        (202, True, False),
        (400, False, False),
        (401, False, False),
        (404, False, False),
        (410, False, False),
        (422, False, False),
        (408, False, True),
        (425, False, True),
        (429, False, True),
        (500, False, True),
        (502, False, True),
        (503, False, True),
    ],
)
async def test_status_codes_are_classified(receiver: Receiver, status: int, ok: bool, transient: bool) -> None:
    result = await _ping(receiver.url(f"/status/{status}"), "dlv_status")
    assert (result.status_code, result.ok, result.transient) == (status, ok, transient)
    if ok:
        assert result.error is None
    else:
        assert f"HTTP {status}" in _error(result)
        assert f"(status {status})" in _error(result)  # the receiver's explanation is kept


async def test_redirects_are_not_followed_even_by_a_client_that_would(receiver: Receiver) -> None:
    async with httpx.AsyncClient(follow_redirects=True) as client:
        result = await _ping(receiver.url("/redirect"), "dlv_redirect", client=client)
    assert result.status_code == 302
    assert not result.ok
    assert not result.transient
    assert _error(result).startswith(f"{REDIRECT_REFUSED}: HTTP 302 → ")
    assert "http://127.0.0.1:1/status/200" in _error(result)
    assert [r.path for r in receiver.requests] == ["/redirect"]


async def test_a_server_slower_than_the_timeout_is_a_transient_failure(receiver: Receiver) -> None:
    result = await _ping(receiver.url("/slow"), "dlv_slow", timeout=0.3)
    assert result.status_code is None
    assert not result.ok
    assert result.transient
    assert _error(result) == f"{TIMED_OUT}: 0.3 s"
    assert [r.path for r in receiver.requests] == ["/slow"]


@pytest.mark.parametrize("status", [500, 404])
async def test_a_huge_error_body_is_cut_off_after_64_kib(receiver: Receiver, status: int) -> None:
    result = await _ping(receiver.url(f"/flood/{status}"), "dlv_flood", timeout=10.0)
    assert not receiver.flood_fully_sent
    assert result.status_code == status
    assert result.transient is (status == 500)
    assert "xxxx" in _error(result)
    assert len(_error(result)) < MAX_RESPONSE_BYTES // 100


async def test_connection_refused_is_a_transient_failure() -> None:
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        result = await _ping(f"http://127.0.0.1:{port}/hook", "dlv_refused")
    assert result.status_code is None
    assert not result.ok
    assert result.transient
    assert "ConnectError" in _error(result)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_private_target_is_refused_before_connecting(receiver: Receiver, host: str) -> None:
    result = await _ping(receiver.url("/status/200", host=host), "dlv_private", allow_private=False)
    assert result.status_code is None
    assert not result.ok
    assert not result.transient
    assert _error(result) == "내부망·루프백·예약된 주소로는 웹훅을 보낼 수 없습니다: webhook_target_private"
    assert receiver.connections == 0


async def test_invalid_url_is_a_permanent_failure_and_unresolvable_host_a_transient_one() -> None:
    invalid = await _ping("ftp://example.com/", "d")
    assert (invalid.ok, invalid.transient) == (False, False)
    assert _error(invalid) == "웹훅 주소는 http 또는 https 주소여야 합니다: webhook_url_invalid"
    unresolvable = await _ping("https://no-such-host.invalid/", "d", allow_private=False)
    assert (unresolvable.ok, unresolvable.transient) == (False, True)
    assert _error(unresolvable).endswith(": webhook_host_unresolvable")


def test_a_refused_target_is_kept_as_a_sentence_then_its_code_and_read_in_the_readers_language() -> None:
    """Like every failure (docs/i18n.md): the catalogue sentence first, so an English page can word it."""
    failure = refusal_failure(ProblemError(422, "webhook_host_unresolvable", "웹훅 호스트의 주소를 찾을 수 없습니다."))
    assert failure == "웹훅 호스트의 주소를 찾을 수 없습니다: webhook_host_unresolvable"
    with speaking("ko"):
        assert failure_for_reader(failure) == failure
    with speaking("en"):
        assert failure_for_reader(failure) == "Webhook host could not be resolved: webhook_host_unresolvable"
        assert failure_for_reader(f"{TIMED_OUT}: 10 s") == "Timed out: 10 s"  # sentences kept without a full stop
        assert failure_for_reader("ValueError: bad number") == "ValueError: bad number"


# --- TLS: the connection goes to the checked IP, the certificate is checked for the name --


def _certificate(tmp_path: Path, dns_name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for ``dns_name`` only: server context and a client that trusts it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path = tmp_path / "cert.pem"
    key_path = tmp_path / "key.pem"
    cert_path.write_bytes(cert_pem)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


async def _ping_localhost_over_tls(tmp_path: Path, certificate_name: str) -> tuple[DeliveryResult, Receiver]:
    """Pings https://localhost served with a certificate for ``certificate_name``, trusted by the client."""
    server_context, client_context = _certificate(tmp_path, certificate_name)
    async with _serve(server_context) as tls_receiver, httpx.AsyncClient(verify=client_context) as client:
        url = tls_receiver.url("/status/200", host="localhost", scheme="https")
        return await _ping(url, f"dlv_tls_{certificate_name}", client=client), tls_receiver


async def test_https_is_verified_against_the_hostname_while_connecting_to_the_checked_ip(tmp_path: Path) -> None:
    result, tls_receiver = await _ping_localhost_over_tls(tmp_path, "localhost")
    assert result.ok, result.error
    assert tls_receiver.requests[0].headers["host"] == f"localhost:{tls_receiver.port}"


async def test_https_with_a_certificate_for_another_name_fails(tmp_path: Path) -> None:
    result, tls_receiver = await _ping_localhost_over_tls(tmp_path, "other.example")
    assert not result.ok
    assert result.status_code is None
    assert "ConnectError" in _error(result)
    assert tls_receiver.requests == []


def test_deliveries_share_one_verifying_tls_context() -> None:
    context = tls_context()
    assert context is tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # certifi's CA bundle is loaded
