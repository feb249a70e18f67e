"""Notification providers against real servers: aiosmtpd for SMTP and a local HTTP gateway for SMS.

The SMTP server runs in the test's own event loop (the provider talks to it from a worker
thread). aiosmtpd's threaded ``Controller`` cannot use an ephemeral port: after binding it
"warms up" the server by connecting to the configured port, which is 0, so we create the
server with ``loop.create_server`` and read the port the kernel picked.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ipaddress
import json
import logging
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage as MimeMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gogaek.config import Settings
from gogaek.notify.providers import (
    ConsoleProvider,
    EmailMessage,
    HttpSmsProvider,
    NotificationError,
    SmsMessage,
    SmtpEmailProvider,
    build_providers,
)

SENDER = "Gogaek 고객센터 <no-reply@gogaek.example>"
SUBJECT = "[고객센터] 문의하신 내용에 답변이 등록되었습니다"
TEXT = "안녕하세요, 김고객님.\n환불은 영업일 기준 3~5일 이내에 처리됩니다.\n감사합니다."
HTML = "<p>안녕하세요, <b>김고객</b>님.</p><p>환불은 영업일 기준 3~5일 이내에 처리됩니다.</p>"
USERNAME, PASSWORD = "relay-user", "relay-password"
MAIL = EmailMessage("kim@example.com", SUBJECT, TEXT)


async def _failure(sending: Awaitable[str]) -> NotificationError:
    """What a send raised; a send that succeeds fails the test."""
    with pytest.raises(NotificationError) as caught:
        await sending
    return caught.value


# --- SMTP -----------------------------------------------------------------------------------


class _Inbox:
    """An aiosmtpd handler that keeps accepted envelopes, or answers with the configured reply."""

    def __init__(self, rcpt_reply: str = "250 OK", data_reply: str = "250 OK") -> None:
        self.rcpt_reply = rcpt_reply
        self.data_reply = data_reply
        self.envelopes: list[Envelope] = []
        self.authenticated: list[bool | None] = []

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.data_reply.startswith("250"):
            self.envelopes.append(envelope)
            self.authenticated.append(session.authenticated)
        return self.data_reply


def _authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USERNAME.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 235/535 reply


@asynccontextmanager
async def _smtp_server(handler: _Inbox, **smtp_options: Any) -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="localhost", loop=loop, **smtp_options), "127.0.0.1", 0
    )
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@contextmanager
def _closed_port() -> Iterator[int]:
    """A bound but not listening socket: connecting is refused, and nobody else can take the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextmanager
def _silent_port() -> Iterator[int]:
    """Listening, so the TCP handshake succeeds, but nothing ever answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@dataclass(frozen=True)
class _Certificate:
    cert_file: Path
    key_file: Path
    pem: str

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def login_provider(self, port: int, password: str) -> SmtpEmailProvider:
        """STARTTLS trusting this certificate (as an operator would a relay's private CA), then LOGIN."""
        tls = ssl.create_default_context(cadata=self.pem)
        return _provider(port, username=USERNAME, password=password, starttls=True, tls_context=tls)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> _Certificate:
    """A self-signed certificate for 127.0.0.1, standing in for a relay's private CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gogaek test relay")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    (directory / "cert.pem").write_text(pem, encoding="utf-8")
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return _Certificate(directory / "cert.pem", directory / "key.pem", pem)


def _provider(port: int, **overrides: Any) -> SmtpEmailProvider:
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "username": None,
        "password": None,
        "starttls": False,
        "sender": SENDER,
    }
    options.update(overrides)
    return SmtpEmailProvider(**options)


def _parse(envelope: Envelope) -> MimeMessage:
    assert isinstance(envelope.content, bytes)
    parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(parsed, MimeMessage)
    return parsed


def _body(parsed: MimeMessage, subtype: str) -> str:
    part = parsed.get_body(preferencelist=(subtype,))
    assert isinstance(part, MimeMessage)
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n").rstrip("\n")


async def test_smtp_delivers_korean_mail_that_parses_back() -> None:
    inbox = _Inbox()
    async with _smtp_server(inbox) as port:
        message_id = await _provider(port).send_email(EmailMessage("kim@example.com", SUBJECT, TEXT, HTML))
    [envelope] = inbox.envelopes
    assert (envelope.mail_from, envelope.rcpt_tos) == ("no-reply@gogaek.example", ["kim@example.com"])
    assert isinstance(envelope.content, bytes) and envelope.content.isascii()  # encoded, no 8BITMIME needed
    parsed = _parse(envelope)
    assert parsed["Subject"] == SUBJECT
    assert parsed["From"] == SENDER
    assert parsed["To"] == "kim@example.com"
    assert parsed["Message-ID"] == message_id and message_id.endswith("@gogaek.example>")
    assert parsed["Date"].datetime.tzinfo is not None
    assert parsed.get_content_type() == "multipart/alternative"
    assert _body(parsed, "plain") == TEXT
    assert _body(parsed, "html") == HTML


async def test_smtp_plain_text_mail_is_a_single_utf8_part() -> None:
    inbox = _Inbox()
    async with _smtp_server(inbox) as port:
        await _provider(port).send_email(MAIL)
    parsed = _parse(inbox.envelopes[0])
    assert (parsed.get_content_type(), parsed.get_content_charset()) == ("text/plain", "utf-8")
    assert _body(parsed, "plain") == TEXT


async def test_smtp_starttls_and_login(certificate: _Certificate) -> None:
    inbox = _Inbox()
    tls = certificate.server_context()
    async with _smtp_server(inbox, tls_context=tls, require_starttls=True, authenticator=_authenticator) as port:
        await certificate.login_provider(port, PASSWORD).send_email(MAIL)
    assert inbox.authenticated == [True]
    assert _parse(inbox.envelopes[0])["Subject"] == SUBJECT


async def test_smtp_starttls_verifies_the_certificate_by_default(certificate: _Certificate) -> None:
    inbox = _Inbox()
    async with _smtp_server(inbox, tls_context=certificate.server_context(), require_starttls=True) as port:
        error = await _failure(_provider(port, starttls=True).send_email(MAIL))
    assert error.transient
    assert inbox.envelopes == []


@pytest.mark.parametrize(
    ("password", "reason"),
    [pytest.param("wrong", "535", id="wrong-password"), pytest.param("비밀번호", "ASCII", id="non-ascii-password")],
)
async def test_smtp_login_failures_are_permanent(certificate: _Certificate, password: str, reason: str) -> None:
    """A wrong password (the relay's 535) and one SMTP cannot carry (a configuration error) both need a person."""
    inbox = _Inbox()
    async with _smtp_server(inbox, tls_context=certificate.server_context(), authenticator=_authenticator) as port:
        error = await _failure(certificate.login_provider(port, password).send_email(MAIL))
    assert not error.transient
    assert reason in error.message
    assert inbox.envelopes == []


async def test_smtp_starttls_not_offered_is_permanent() -> None:
    inbox = _Inbox()
    async with _smtp_server(inbox) as port:
        error = await _failure(_provider(port, starttls=True).send_email(MAIL))
    assert not error.transient
    assert inbox.envelopes == []


@pytest.mark.parametrize(
    ("rcpt_reply", "data_reply", "transient"),
    [
        ("550 5.1.1 No such user", "250 OK", False),
        ("450 4.2.1 Mailbox busy, try later", "250 OK", True),
        ("250 OK", "554 5.7.1 Rejected as spam", False),
        ("250 OK", "451 4.3.0 Temporary failure", True),
    ],
)
async def test_smtp_replies_decide_whether_to_retry(rcpt_reply: str, data_reply: str, transient: bool) -> None:
    inbox = _Inbox(rcpt_reply=rcpt_reply, data_reply=data_reply)
    async with _smtp_server(inbox) as port:
        error = await _failure(_provider(port).send_email(MAIL))
    assert error.transient is transient
    assert inbox.envelopes == []


async def test_smtp_server_down_is_transient() -> None:
    with _closed_port() as port:
        assert (await _failure(_provider(port).send_email(MAIL))).transient


async def test_smtp_server_that_never_answers_times_out_as_transient() -> None:
    with _silent_port() as port:
        assert (await _failure(_provider(port, timeout=0.2).send_email(MAIL))).transient


@pytest.mark.parametrize(
    "message",
    [
        EmailMessage("kim@example.com\r\nBcc: victim@example.com", SUBJECT, TEXT),
        EmailMessage("kim@example.com", "제목\nBcc: victim@example.com", TEXT),
    ],
)
async def test_header_injection_is_refused_before_connecting(message: EmailMessage) -> None:
    inbox = _Inbox()
    async with _smtp_server(inbox) as port:
        error = await _failure(_provider(port).send_email(message))
    assert not error.transient
    assert inbox.envelopes == []


def test_smtp_sender_must_have_an_address() -> None:
    with pytest.raises(ValueError, match="GOGAEK_SMTP_FROM"):
        _provider(25, sender="고객센터")


# --- SMS over HTTP --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    path: str
    headers: dict[str, str]
    body: bytes


class _Gateway(ThreadingHTTPServer):
    """A stand-in SMS gateway answering every POST with ``status`` and ``reply``."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _GatewayHandler)
        self.status = 200
        self.reply = b'{"id": "gw-1"}'
        self.hang = False
        self.release = threading.Event()
        self.requests: list[_Request] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/messages"


class _GatewayHandler(BaseHTTPRequestHandler):
    server: _Gateway

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(_Request(self.path, dict(self.headers.items()), body))
        if self.server.hang:
            self.server.release.wait(timeout=10)
        try:
            self.send_response(self.server.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.server.reply)))
            self.end_headers()
            self.wfile.write(self.server.reply)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout test); nobody is left to answer

    def log_message(self, format: str, *args: Any) -> None:
        """Keeps test output quiet."""


@pytest.fixture
def gateway() -> Iterator[_Gateway]:
    server = _Gateway()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


SMS = SmsMessage("010-1234-5678", "[고객센터] 답변이 등록되었습니다.", "ANSWER_READY", {"name": "김고객", "no": "Q-1"})
SMS_SENDER = "15773754"


async def test_sms_is_posted_as_json_with_the_bearer_token(gateway: _Gateway) -> None:
    message_id = await HttpSmsProvider(gateway.url, "gw-token", SMS_SENDER).send_sms(SMS)
    assert message_id == "gw-1"
    [request] = gateway.requests
    assert request.path == "/v1/messages"
    headers = {key.lower(): value for key, value in request.headers.items()}
    assert headers["authorization"] == "Bearer gw-token"
    assert headers["content-type"] == "application/json"
    assert json.loads(request.body) == {
        "to": "010-1234-5678",
        "from": SMS_SENDER,
        "text": "[고객센터] 답변이 등록되었습니다.",
        "template": "ANSWER_READY",
        "variables": {"name": "김고객", "no": "Q-1"},
    }


async def test_plain_sms_sends_a_null_template_and_no_auth_without_a_token(gateway: _Gateway) -> None:
    await HttpSmsProvider(gateway.url, None, SMS_SENDER).send_sms(SmsMessage("01012345678", "인증번호 123456"))
    [request] = gateway.requests
    assert "authorization" not in {key.lower() for key in request.headers}
    body = json.loads(request.body)
    assert (body["template"], body["variables"]) == (None, {})


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b'{"message_id": "m-9"}', "m-9"),
        (b'{"id": 12345}', "12345"),
        (b'{"ok": true}', None),
        (b'["not", "an", "object"]', None),
        (b"OK", None),
    ],
)
async def test_sms_message_id_comes_from_the_gateway_when_it_has_one(
    gateway: _Gateway, reply: bytes, expected: str | None
) -> None:
    gateway.reply = reply
    message_id = await HttpSmsProvider(gateway.url, "t", SMS_SENDER).send_sms(SMS)
    if expected is None:
        assert message_id.startswith("sms-")
    else:
        assert message_id == expected


@pytest.mark.parametrize(
    ("status", "transient"),
    [(500, True), (502, True), (503, True), (429, True), (400, False), (401, False), (404, False), (422, False)],
)
async def test_sms_gateway_errors_decide_whether_to_retry(gateway: _Gateway, status: int, transient: bool) -> None:
    gateway.status, gateway.reply = status, b'{"error": "\xec\x88\x98\xec\x8b\xa0 \xea\xb1\xb0\xeb\xb6\x80"}'
    error = await _failure(HttpSmsProvider(gateway.url, "t", SMS_SENDER).send_sms(SMS))
    assert error.transient is transient
    assert str(status) in error.message and "수신 거부" in error.message


async def test_sms_gateway_down_is_transient() -> None:
    with _closed_port() as port:
        gateway_down = HttpSmsProvider(f"http://127.0.0.1:{port}/v1/messages", "t", SMS_SENDER)
        assert (await _failure(gateway_down.send_sms(SMS))).transient


async def test_sms_gateway_timeout_is_transient(gateway: _Gateway) -> None:
    gateway.hang = True
    assert (await _failure(HttpSmsProvider(gateway.url, "t", SMS_SENDER, timeout=0.2).send_sms(SMS))).transient


def test_sms_gateway_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="GOGAEK_SMS_HTTP_URL"):
        HttpSmsProvider("ftp://gateway.example/send", "t", SMS_SENDER)


# --- Console and wiring ---------------------------------------------------------------------


async def test_console_logs_everything_and_keeps_what_it_sent(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gogaek.notify")
    console = ConsoleProvider()
    mail = EmailMessage("kim@example.com", SUBJECT, TEXT, HTML)
    email_id = await console.send_email(mail)
    sms_id = await console.send_sms(SMS)
    assert email_id.startswith("console-") and sms_id.startswith("console-") and email_id != sms_id
    assert console.sent == [mail, SMS]
    # Its own logger under gogaek.notify, which `gogaek serve` prints (gogaek.cli.log_config).
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name == "gogaek.notify.console")
    for expected in ("kim@example.com", SUBJECT, TEXT, "010-1234-5678", SMS.text, "ANSWER_READY", "김고객"):
        assert expected in logged


def test_console_is_the_default_for_both() -> None:
    providers = build_providers(Settings(env="test"))
    assert isinstance(providers.email, ConsoleProvider)
    assert providers.email is providers.sms


def test_smtp_and_http_are_built_from_settings() -> None:
    settings = Settings(
        env="test",
        email_provider="smtp",
        smtp_host="mail.example",
        smtp_port=587,
        smtp_username="u",
        smtp_password="p",
        smtp_starttls=True,
        sms_provider="http",
        sms_http_url="https://sms.example/send",
        sms_http_token="tok",
        sms_sender="0212345678",
    )
    providers = build_providers(settings)
    assert isinstance(providers.email, SmtpEmailProvider)
    assert (providers.email.host, providers.email.port, providers.email.starttls) == ("mail.example", 587, True)
    assert (providers.email.username, providers.email.password, providers.email.sender) == ("u", "p", SENDER)
    assert isinstance(providers.sms, HttpSmsProvider)
    assert (providers.sms.url, providers.sms.token) == ("https://sms.example/send", "tok")
    assert providers.sms.sender == "0212345678"


def test_http_sms_needs_a_url() -> None:
    with pytest.raises(ValueError, match="GOGAEK_SMS_HTTP_URL"):
        build_providers(Settings(env="test", sms_provider="http"))
