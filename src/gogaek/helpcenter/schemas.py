"""Help-center request and response shapes (Create / Update / Public per entity)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from gogaek.rendering import strip_control_characters

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Status = Literal["draft", "published"]
SEOUL = ZoneInfo("Asia/Seoul")


def _assume_seoul(value: datetime) -> datetime:
    """Admins type local times; a time without an offset means Korean time."""
    return value.replace(tzinfo=SEOUL) if value.tzinfo is None else value


LocalDatetime = Annotated[datetime, AfterValidator(_assume_seoul)]


class _CleanText(BaseModel):
    """Strips control characters from every string field before validation of lengths."""

    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        if isinstance(value, str):
            return strip_control_characters(value)
        if isinstance(value, list):
            return [strip_control_characters(v) if isinstance(v, str) else v for v in value]
        return value


class CategoryCreate(_CleanText):
    slug: Slug
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    description: Annotated[str, StringConstraints(max_length=300)] = ""
    position: int = Field(default=0, ge=0, le=10_000)
    requires_verification: bool = False  # a callback here needs a recent identity check


class CategoryUpdate(_CleanText):
    slug: Slug | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)] | None = None
    description: Annotated[str, StringConstraints(max_length=300)] | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    requires_verification: bool | None = None


class CategoryPublic(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    position: int
    article_count: int
    requires_verification: bool = False


class CategoryRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str


class ArticleCreate(_CleanText):
    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    tags: list[ShortText] = Field(default_factory=list, max_length=20)
    alternates: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=30
    )
    external_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    status: Status = "draft"


class ArticleUpdate(_CleanText):
    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)] | None = None
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)] | None = None
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)] | None = None
    tags: list[ShortText] | None = Field(default=None, max_length=20)
    alternates: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]] | None = (
        Field(default=None, max_length=30)
    )
    status: Status | None = None


class ArticlePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str | None
    category: CategoryRef
    question: str
    answer_md: str
    answer_html: str
    tags: list[str]
    alternates: list[str]
    status: Status
    view_count: int
    helpful_yes: int
    helpful_no: int
    updated_at: datetime
    published_at: datetime | None


class ArticleSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str | None
    question: str
    category: CategoryRef
    view_count: int


class VoteCreate(BaseModel):
    helpful: bool


class VoteResult(BaseModel):
    helpful_yes: int
    helpful_no: int


class NoticeCreate(_CleanText):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    kind: Literal["notice", "event"] = "notice"
    pinned: bool = False
    status: Status = "draft"
    publish_from: LocalDatetime | None = None
    publish_until: LocalDatetime | None = None


class NoticeUpdate(_CleanText):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)] | None = None
    kind: Literal["notice", "event"] | None = None
    pinned: bool | None = None
    status: Status | None = None
    publish_from: LocalDatetime | None = None
    publish_until: LocalDatetime | None = None


class NoticePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body_md: str
    body_html: str
    kind: str
    pinned: bool
    status: Status
    publish_from: datetime | None
    publish_until: datetime | None
    updated_at: datetime
