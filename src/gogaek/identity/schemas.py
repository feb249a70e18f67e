"""Staff sign-in, account, team and skill shapes."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gogaek.identity.models import Availability, StaffRole
from gogaek.web.ids import Id

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
MAX_OPEN_INQUIRIES_LIMIT = 500

DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
TeamSlug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,49}$")]
TeamName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Capacity = Annotated[int, Field(ge=0, le=MAX_OPEN_INQUIRIES_LIMIT)]
PhoneExtension = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z*#+._@-]{1,20}$")]


class StaffLogin(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)
    totp: str | None = Field(default=None, max_length=10)


class StaffCreate(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    password: str = Field(min_length=10, max_length=200)
    display_name: str = Field(min_length=1, max_length=100)
    role: StaffRole = StaffRole.AGENT


class StaffAccountCreate(StaffCreate):
    """An admin creating an account over the API; ``totp`` hands back the secret once."""

    totp: bool = False
    max_open_inquiries: Capacity | None = None


class StaffUpdate(BaseModel):
    display_name: DisplayName | None = None
    role: StaffRole | None = None
    max_open_inquiries: Capacity | None = None
    clear_max_open_inquiries: bool = Field(default=False, description="Fall back to GOGAEK_AGENT_MAX_OPEN_INQUIRIES")
    phone_extension: PhoneExtension | None = Field(
        default=None, description="The phone system's answeringNumber for this person; null removes it"
    )


class AvailabilityUpdate(BaseModel):
    availability: Availability


class StaffPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    role: StaffRole
    totp_enabled: bool
    availability: Availability = Availability.AVAILABLE
    is_active: bool = True
    max_open_inquiries: int | None = None
    phone_extension: str | None = None


class StaffCreated(StaffPublic):
    """Returned once on creation: the TOTP secret is never shown again."""

    totp_secret: str | None = None
    totp_uri: str | None = None


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    staff: StaffPublic


class StaffRef(BaseModel):
    id: int
    display_name: str


class TeamCreate(BaseModel):
    slug: TeamSlug
    name: TeamName
    handles_emergencies: bool = False


class TeamUpdate(BaseModel):
    slug: TeamSlug | None = None
    name: TeamName | None = None
    handles_emergencies: bool | None = None


class TeamPublic(BaseModel):
    id: int
    slug: str
    name: str
    handles_emergencies: bool
    members: list[StaffRef]
    category_ids: list[int]


class MemberAdd(BaseModel):
    staff_id: Id


class CategoryIds(BaseModel):
    """A whole set at once (PUT semantics): what is not listed is removed."""

    category_ids: list[Id] = Field(max_length=200)


class SkillsPublic(BaseModel):
    staff_id: int
    category_ids: list[int]
