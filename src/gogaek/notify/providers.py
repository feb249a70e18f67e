"""Where e-mail and SMS/알림톡 messages go: the console in development, SMTP and an HTTP gateway in production.

Every delivery failure becomes a ``NotificationError`` that says whether retrying can help,
so the job queue knows to back off (transient) or give up (permanent).
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from typing import Any, Protocol

import httpx

from gogaek.config import Settings

log = logging.getLogger("gogaek.notify")
# What the console provider "sends"; `gogaek serve` shows it (gogaek.cli.log_config).
console_log = logging.getLogger("gogaek.notify.console")

SMTP_TIMEOUT_SECONDS = 10.0
SMS_TIMEOUT_SECONDS = 10.0
_ERROR_DETAIL_LENGTH = 200
# 7bit keeps Korean bodies base64/quoted-printable, so no relay has to support 8BITMIME.
_MIME_POLICY = email.policy.SMTP.clone(cte_type="7bit")


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class SmsMessage:
    """A text message; with ``template`` set the gateway sends it as a 알림톡 (KakaoTalk) message."""

    to: str
    text: str
    template: str | None = None
    variables: dict[str, str] = field(default_factory=dict)


class NotificationError(Exception):
    """A failed delivery; ``transient`` means the same message may well succeed later."""

    def __init__(self, transient: bool, message: str) -> None:
        super().__init__(message)
        self.transient = transient
        self.message = message


class EmailProvider(Protocol):
    async def send_email(self, message: EmailMessage) -> str:
        """Delivers the message and returns the provider's message id."""
        ...

    async def send_mime(self, mime: MimeMessage) -> None:
        """Delivers a mail built by the caller (threading headers, attachments) as it is."""
        ...


class SmsProvider(Protocol):
    async def send_sms(self, message: SmsMessage) -> str:
        """Delivers the message and returns the provider's message id."""
        ...


class ConsoleProvider:
    """Development stand-in: logs the whole message and keeps it in ``sent`` for inspection."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage | SmsMessage] = []
        self.sent_mime: list[MimeMessage] = []  # mail built by the email channel, threading headers and all

    async def send_email(self, message: EmailMessage) -> str:
        self.sent.append(message)
        console_log.info("email to %s, subject %r:\n%s", message.to, message.subject, message.text)
        return _generated_id("console")

    async def send_mime(self, mime: MimeMessage) -> None:
        self.sent_mime.append(mime)
        console_log.info("email to %s, subject %r (%s)", mime["To"], mime["Subject"], mime["Message-ID"])

    async def send_sms(self, message: SmsMessage) -> str:
        self.sent.append(message)
        console_log.info(
            "sms to %s (template %s, variables %s):\n%s",
            message.to,
            message.template,
            message.variables,
            message.text,
        )
        return _generated_id("console")


class SmtpEmailProvider:
    """Sends through an SMTP relay with the blocking stdlib client, run in a worker thread."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None,
        password: str | None,
        starttls: bool,
        sender: str,
        *,
        timeout: float = SMTP_TIMEOUT_SECONDS,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        """``tls_context`` defaults to the system trust store; pass one to trust a private relay CA."""
        sender_address = parseaddr(sender)[1]
        if "@" not in sender_address:
            raise ValueError(f"GOGAEK_SMTP_FROM must contain an e-mail address, got {sender!r}")
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.sender = sender
        self.timeout = timeout
        self.tls_context = tls_context
        self._message_id_domain = sender_address.rpartition("@")[2]

    async def send_email(self, message: EmailMessage) -> str:
        mime = self._build(message)
        await asyncio.to_thread(self._deliver, mime)
        return str(mime["Message-ID"])

    async def send_mime(self, mime: MimeMessage) -> None:
        """Sends a mail built elsewhere, to exactly one bare address like every other mail."""
        try:
            _single_recipient(str(mime["To"] or ""))
        except ValueError as exc:
            raise NotificationError(False, f"받는 사람 주소가 올바르지 않습니다. (Bad recipient): {exc}") from exc
        await asyncio.to_thread(self._deliver, mime)

    def _build(self, message: EmailMessage) -> MimeMessage:
        try:
            mime = MimeMessage(policy=_MIME_POLICY)
            mime["From"] = self.sender
            mime["To"] = _single_recipient(message.to)
            mime["Subject"] = message.subject
            mime["Date"] = format_datetime(datetime.now(UTC))
            mime["Message-ID"] = make_msgid(domain=self._message_id_domain)
            mime["Auto-Submitted"] = "auto-generated"  # RFC 3834: codes, reminders; no responder answers it
            mime.set_content(message.text)
            if message.html is not None:
                mime.add_alternative(message.html, subtype="html")
        except ValueError as exc:  # e.g. a line break smuggled into a header
            raise NotificationError(False, f"메일을 만들 수 없습니다. (Cannot build e-mail): {exc}") from exc
        return mime

    def _deliver(self, mime: MimeMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=self.tls_context or ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mime)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise NotificationError(
                all(_is_transient_reply(code) for code in codes), f"수신자 거부 (Recipient refused): {exc.recipients}"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise NotificationError(
                _is_transient_reply(exc.smtp_code), f"SMTP 오류 (SMTP error) {exc.smtp_code}: {exc.smtp_error!r}"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:  # e.g. STARTTLS configured but not offered
            raise NotificationError(False, f"SMTP 설정 오류 (SMTP configuration error): {exc}") from exc
        except UnicodeEncodeError as exc:  # smtplib sends AUTH credentials as ASCII only
            raise NotificationError(
                False, f"SMTP 계정 정보는 ASCII여야 합니다. (SMTP username/password must be ASCII): {exc.reason}"
            ) from exc
        except OSError as exc:  # refused, timed out, disconnected, TLS handshake failed
            raise NotificationError(True, f"SMTP 연결 실패 (SMTP connection failed): {exc!r}") from exc


def _single_recipient(to: str) -> str:
    """Exactly one bare address: a list ("a@x, b@y") in a customer's address would mail a stranger too."""
    addresses = getaddresses([to])
    if len(addresses) != 1 or addresses[0][1] != to or "@" not in to:
        raise ValueError(f"exactly one recipient address is required, got {to!r}")
    return to


class HttpSmsProvider:
    """Posts to an SMS/알림톡 gateway (or our own adapter in front of a vendor API) as JSON."""

    def __init__(self, url: str, token: str | None, sender: str, timeout: float = SMS_TIMEOUT_SECONDS) -> None:
        if httpx.URL(url).scheme not in ("http", "https"):
            raise ValueError(f"GOGAEK_SMS_HTTP_URL must be an http(s) URL, got {url!r}")
        self.url = url
        self.token = token
        self.sender = sender
        self.timeout = timeout

    async def send_sms(self, message: SmsMessage) -> str:
        body = {
            "to": message.to,
            "from": self.sender,
            "text": message.text,
            "template": message.template,
            "variables": message.variables,
        }
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(self.url, json=body, headers=headers)
        except httpx.RequestError as exc:
            raise NotificationError(True, f"문자 게이트웨이 연결 실패 (SMS gateway unreachable): {exc!r}") from exc
        if response.is_success:
            return _message_id(response) or _generated_id("sms")
        transient = response.status_code == 429 or response.status_code >= 500
        raise NotificationError(
            transient,
            f"문자 발송 실패 (SMS gateway returned {response.status_code}): {response.text[:_ERROR_DETAIL_LENGTH]}",
        )


@dataclass(frozen=True)
class NotificationProviders:
    email: EmailProvider
    sms: SmsProvider


def build_providers(settings: Settings) -> NotificationProviders:
    """One shared console provider when both are "console", so ``sent`` shows everything in order."""
    console = ConsoleProvider()
    email_provider: EmailProvider = console
    sms_provider: SmsProvider = console
    if settings.email_provider == "smtp":
        email_provider = SmtpEmailProvider(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_username,
            settings.smtp_password,
            settings.smtp_starttls,
            settings.smtp_from,
        )
    if settings.sms_provider == "http":
        if not settings.sms_http_url:
            raise ValueError("GOGAEK_SMS_HTTP_URL is required when GOGAEK_SMS_PROVIDER=http")
        sms_provider = HttpSmsProvider(settings.sms_http_url, settings.sms_http_token, settings.sms_sender)
    return NotificationProviders(email=email_provider, sms=sms_provider)


def _is_transient_reply(code: int) -> bool:
    """SMTP 4xx replies mean "try again later"; 5xx are final (RFC 5321 §4.2.1)."""
    return 400 <= code < 500


def _message_id(response: httpx.Response) -> str | None:
    """The gateway's id when its JSON carries one; gateways differ, so anything else is tolerated."""
    try:
        payload: Any = response.json()
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    for key in ("id", "message_id"):
        value = payload.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def _generated_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"
