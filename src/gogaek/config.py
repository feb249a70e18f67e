"""Settings read from ``GOGAEK_*`` environment variables (and an optional ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - refused in production


class Settings(BaseSettings):
    """Everything an operator can set; each field is documented in README.md."""

    model_config = SettingsConfigDict(env_prefix="GOGAEK_", env_file=".env", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./gogaek-data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; SQLite in data_dir when unset"
    )
    secret_key: str = DEVELOPMENT_SECRET
    redis_url: str | None = None
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
    support_hours: str = "평일 09:00–18:00 (주말·공휴일 휴무)"
    support_email: str = "help@gogaek.example"
    timezone: str = "Asia/Seoul"

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and (
            self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "GOGAEK_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (운영 환경에서는 비밀 키를 반드시 설정하세요)"
            )
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
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
