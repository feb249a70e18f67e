"""The built-in SMTP listener (aiosmtpd) inside the web server's event loop.

It refuses unknown recipients at RCPT, oversized mail at MAIL (SIZE=) or DATA (552), and answers
250 only once ``store_raw_mail`` has committed; a storage failure is a 451 so the relay retries.
"""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gogaek.config import Settings
from gogaek.mail.intake import store_raw_mail

log = logging.getLogger("gogaek.mail")


class InboundMailHandler:
    """aiosmtpd hooks: which recipients we take, and keeping the mail before saying yes."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessionmaker = sessionmaker
        self.addresses = set(settings.support_addresses)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.strip().lower() not in self.addresses:
            return "550 5.1.1 수신할 수 없는 주소입니다 (No such recipient here)"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        try:
            async with self.sessionmaker() as db:
                stored = await store_raw_mail(
                    db,
                    raw,
                    source="smtp",
                    envelope_sender=envelope.mail_from,
                    envelope_recipients=envelope.rcpt_tos,
                )
        except Exception:
            log.exception("메일을 저장하지 못했습니다 (could not store an incoming mail); asking the sender to retry")
            return "451 4.3.0 잠시 후 다시 보내 주세요 (Temporary failure, try again later)"
        return f"250 2.0.0 OK {stored.id}"


async def start_smtp_listener(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, port: int
) -> asyncio.Server:
    """Listens on ``inbound_smtp_host:port``; close the returned server to stop."""
    handler = InboundMailHandler(sessionmaker, settings)
    loop = asyncio.get_running_loop()
    hostname = settings.support_email.rpartition("@")[2] or "localhost"

    def protocol() -> SMTP:
        return SMTP(
            handler,
            data_size_limit=settings.inbound_mail_max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=hostname,
            ident="Gogaek SMTP",
            loop=loop,
        )

    # Every web process of `gogaek serve --workers N` listens: the kernel spreads connections.
    server = await loop.create_server(protocol, host=settings.inbound_smtp_host, port=port, reuse_port=True)
    log.info("SMTP 수신 대기: %s:%s (listening for mail)", settings.inbound_smtp_host, port)
    return server
