"""Settings read from ``GOGAEK_*`` environment variables (and an optional ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gogaek.web.i18n import N_

DEVELOPMENT_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - refused in production


class Settings(BaseSettings):
    """Everything an operator can set; each field is documented in README.md."""

    model_config = SettingsConfigDict(env_prefix="GOGAEK_", env_file=".env", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./gogaek-data")
    database_url: str | None = Field(default=None, description="SQLAlchemy async URL; SQLite in data_dir when unset")
    secret_key: str = DEVELOPMENT_SECRET
    sqlite_busy_timeout_ms: int = 30_000
    redis_url: str | None = None
    redis_prefix: str = "gogaek:"  # channel names start with this; separate installations on one Redis
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    search_semantic: bool = True
    embedding_cache: Path | None = None
    kiwi_model_type: str | None = None
    synonyms_path: Path | None = None
    search_refresh_seconds: float = 2.0
    session_max_age_seconds: int = 8 * 3600
    support_phone: str = "1577-3754"
    support_hours: str = N_("평일 09:00–18:00 (주말·공휴일 휴무)")
    support_email: str = "help@gogaek.example"
    timezone: str = "Asia/Seoul"

    # Customers signed in by the host app (JWT). HS256 uses customer_token_secret (the
    # secret_key when unset); RS256 uses the host's public key (PEM text or a file path).
    customer_token_algorithm: Literal["HS256", "RS256"] = "HS256"  # noqa: S105 - an algorithm name
    customer_token_secret: str | None = None
    customer_token_public_key: str | None = None
    customer_token_issuer: str | None = None
    customer_token_audience: str | None = None
    customer_token_leeway_seconds: int = 30
    # The longest a host token may live (exp - iat, and exp - now): a leaked token must not be
    # a key for years. The demo's sign-in link lives 24 hours.
    customer_token_max_lifetime_seconds: int = 24 * 3600
    customer_session_max_age_seconds: int = 2 * 3600

    # One-time sign-in codes for web visitors.
    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    otp_sends_per_hour: int = 5

    # Staff accounts: TOTP is required for admins unless switched off (never in production).
    admin_totp_required: bool = True

    # Notification providers: "console" logs the message; "smtp" and "http" deliver it.
    email_provider: Literal["console", "smtp"] = "console"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_from: str = "Gogaek 고객센터 <no-reply@gogaek.example>"
    sms_provider: Literal["console", "http"] = "console"
    sms_http_url: str | None = None
    sms_http_token: str | None = None
    sms_sender: str = "15773754"

    # Inquiry attachments (evidence): images and PDF, checked by content.
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachment_max_count: int = 5
    attachment_storage: Literal["local", "s3"] = "local"
    attachment_dir: Path | None = None
    # Decoded size is what hurts (4 bytes a pixel in a browser): 40 MP takes 12–24 MP phone photos and
    # scans; a 48 MP full-resolution photo is refused (phones save 12 MP by default).
    attachment_max_pixels: int = 40_000_000
    # Images are shown inline only as a re-encoded preview at most this many pixels on the long side.
    attachment_preview_max_side: int = 1600
    # Files in local storage that no row references are deleted once older than this (a crash mid-upload).
    attachment_orphan_age_seconds: int = 3600
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None

    # Inquiry workflow and SLA.
    inquiry_reopen_days: int = 7
    inquiry_close_after_days: int = 7
    sla_near_breach_ratio: float = 0.8
    agent_max_open_inquiries: int = 30

    # Webhooks and the durable job queue.
    webhook_allow_private_targets: bool = False
    webhook_timeout_seconds: float = 5.0
    jobs_enabled: bool = True
    jobs_poll_seconds: float = 1.0
    jobs_max_attempts: int = 8
    jobs_batch_size: int = 20

    # Real-time chat. The bot answers when its confidence reaches the threshold (docs/chat-bot.md);
    # after ``chat_bot_misses`` unanswered questions in a row it hands the chat to a person.
    # The built-in greeting is in the catalogue, so an English chat gets it in English.
    chat_bot_greeting: str = N_(
        "안녕하세요, 고객센터 챗봇입니다. 궁금한 점을 입력해 주세요. 상담원 연결을 원하시면 "
        "'상담원 연결'이라고 입력해 주세요."
    )
    # "business": people chat during business hours (weekdays 09–18, not on holidays); "always": 24/7.
    chat_hours: Literal["business", "always"] = "business"
    chat_bot_confidence: float = 0.7
    chat_bot_misses: int = 2
    chat_auto_assign: bool = True
    chat_max_concurrent: int = 3
    chat_expected_handle_seconds: int = 300
    chat_idle_warn_seconds: int = 300
    chat_idle_close_seconds: int = 600
    chat_max_text_chars: int = 2000
    chat_max_frame_bytes: int = 16 * 1024
    chat_rate_per_second: float = 5.0
    chat_rate_burst: int = 10
    # Phone callbacks (상담 예약): slot length, how soon a slot may be booked, bookings per customer.
    callback_slot_minutes: int = 30
    callback_lead_minutes: int = 60
    callback_max_active: int = 2
    callback_default_capacity: int = 3  # agents on duty when the roster has no default row
    callback_reminder_minutes: int = 30
    callback_retry_count: int = 2  # calls after the first one nobody answered
    callback_retry_minutes: int = 15
    callback_overdue_minutes: int = 10  # a callback not started this long after its slot began is flagged
    # Identity checks (본인인증) for sensitive categories and appeals.
    verification_max_age_seconds: int = 600
    # Phone-system (CTI) pushes: a signed push older than this is refused.
    cti_signature_max_age_seconds: int = 300
    appeal_category: str = "restrictions"
    # Public writes (votes, inquiries and their follow-ups, notification marks): per client and
    # route, a burst and then this many a second; more get 429 rate_limited with Retry-After.
    public_write_rate_per_second: float = 0.5
    public_write_burst: int = 20

    # The email channel (docs/email.md). Mail to support_email, or to an address in
    # support_email_routes ({"address": "category-slug"}), becomes an inquiry in that category.
    inbound_smtp_port: int | None = None  # the built-in SMTP listener is off unless a port is set
    inbound_smtp_host: str = "127.0.0.1"
    inbound_mail_max_bytes: int = 25 * 1024 * 1024
    support_email_routes: dict[str, str] = Field(default_factory=dict)
    email_default_category: str = "help"
    email_acknowledgement: bool = True
    email_sender_mails_per_hour: int = 20  # more from one sender are kept but open nothing
    email_send_attempts: int = 6
    imap_host: str | None = None  # IMAP polling is off unless a host is set
    imap_port: int = 993
    imap_ssl: bool = True
    imap_ca_file: Path | None = None  # trust a private CA (or a self-signed test server)
    imap_username: str | None = None
    imap_password: str | None = None
    imap_folder: str = "INBOX"
    imap_processed_folder: str | None = None  # move taken mail here; unset: flag it in place
    imap_poll_seconds: float = 60.0
    imap_batch_size: int = 50

    # Customers' data rights (docs/privacy.md). The host app signs export and erasure calls with
    # this secret (HMAC-SHA256); unset, those calls answer 503 privacy_api_disabled.
    privacy_api_secret: str | None = None
    privacy_signature_max_age_seconds: int = 300
    # Retention: files of inquiries closed this many months ago, and chats ended this many months
    # ago, are deleted by the job queue; unset keeps them.
    retention_attachment_months: int | None = Field(default=None, ge=1)
    retention_chat_months: int | None = Field(default=None, ge=1)
    # Records kept without personal data after an erasure (complaint records: 3-5 years by law)
    # are deleted this many years after the inquiry was last closed or changed; unset keeps them.
    retention_erased_records_years: int | None = Field(default=None, ge=1)

    @property
    def support_addresses(self) -> dict[str, str]:
        """Every address we accept mail for, lowercased, with the category slug its mail opens in."""
        routes = {address.strip().lower(): slug for address, slug in self.support_email_routes.items()}
        return {self.support_email.strip().lower(): self.email_default_category, **routes}

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and (self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32):
            raise ValueError(
                "GOGAEK_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (운영 환경에서는 비밀 키를 반드시 설정하세요)"
            )
        if self.env == "production" and not self.admin_totp_required:
            raise ValueError("GOGAEK_ADMIN_TOTP_REQUIRED cannot be switched off in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'gogaek.db').resolve()}"

    @property
    def embedding_cache_path(self) -> Path:
        return self.embedding_cache or self.data_dir / "search-embeddings.sqlite3"

    @property
    def attachment_path(self) -> Path:
        return self.attachment_dir or self.data_dir / "attachments"

    @property
    def customer_token_key(self) -> str:
        """The key that verifies host tokens: the shared secret or the RS256 public key."""
        if self.customer_token_algorithm == "RS256":  # noqa: S105 - an algorithm name
            if not self.customer_token_public_key:
                raise ValueError("GOGAEK_CUSTOMER_TOKEN_PUBLIC_KEY is required for RS256")
            key = self.customer_token_public_key
            return key if key.lstrip().startswith("-----BEGIN") else Path(key).read_text(encoding="utf-8")
        return self.customer_token_secret or self.secret_key

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
