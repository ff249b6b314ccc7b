"""API input and output shapes for users, teams, tags, custom field definitions and tokens.

Optional input fields typed without `| None` may be left out but not sent as null: none of
them has an empty state other than the one a value expresses ("" or []).
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from ninja import Schema
from pydantic import Field, field_validator

from cyclecrm.api.schemas import MAX_ID, InputSchema, Instant, OutputSchema, Version
from cyclecrm.core.models import CustomFieldKind
from cyclecrm.identity.models import TokenScope

RoleName = Annotated[str, Field(max_length=50)]
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]
USERNAME_PATTERN = r"^[\w.@+-]+$"
KindValue = Literal[tuple(CustomFieldKind.values)]
ScopeValue = Literal[tuple(TokenScope.values)]


def _role_names(obj: Any) -> list[str]:
    return [role.name for role in obj.roles.all()]


def _team_ids(obj: Any) -> list[int]:
    return [team.id for team in obj.teams.all()]


# Users ----------------------------------------------------------------------------------------


class UserOut(OutputSchema):
    computed = {"role_names": _role_names, "team_ids": _team_ids}

    id: int
    version: int | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    is_active: bool | None = None
    is_superuser: bool | None = None
    date_joined: dt.datetime | None = None
    last_login: dt.datetime | None = None
    role_names: list[str] | None = Field(None, description="Roles given to the user directly.")
    team_ids: list[int] | None = None


class _UserFieldsIn(InputSchema):
    first_name: str = Field(None, max_length=150)
    last_name: str = Field(None, max_length=150)
    email: str = Field(None, max_length=254)
    password: str = Field(
        None, min_length=1, max_length=128, description="Checked against the password rules."
    )
    role_names: list[RoleName] = Field(None, max_length=50, description="Replaces the roles.")
    team_ids: list[ObjectId] = Field(None, max_length=200, description="Replaces the teams.")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not value:
            return value
        try:
            return validate_email(value.strip(), check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            raise ValueError(str(exc)) from exc


class UserCreateIn(_UserFieldsIn):
    username: str = Field(min_length=1, max_length=150, pattern=USERNAME_PATTERN)
    is_superuser: bool = Field(False, description="Only a superuser may create a superuser.")


class UserPatchIn(_UserFieldsIn):
    """Only the fields sent change."""

    version: Version
    username: str = Field(None, min_length=1, max_length=150, pattern=USERNAME_PATTERN)
    is_active: bool = Field(None, description="False locks the user out (API tokens too).")


class MeOut(Schema):
    user: UserOut
    roles: list[str] = Field(description="Every role in effect: own roles and team roles.")
    team_ids: list[int]
    permissions: dict[str, dict[str, str]] = Field(
        description="`{record_type: {action: level}}` with levels all, team, own or none."
    )
    field_rules: dict[str, dict[str, str]] = Field(
        description="`{record_type: {field: hidden|read}}`: fields you may not see or change."
    )


# Teams ----------------------------------------------------------------------------------------


class TeamOut(OutputSchema):
    computed = {"role_names": _role_names}

    id: int
    version: int | None = None
    name: str | None = None
    parent_id: int | None = None
    manager_id: int | None = None
    role_names: list[str] | None = Field(None, description="Roles every member gets.")
    member_count: int | None = None
    child_count: int | None = None
    created_at: dt.datetime | None = None


class _TeamFieldsIn(InputSchema):
    parent_id: int | None = Field(None, ge=1, le=MAX_ID, description="Null: a top-level team.")
    manager_id: int | None = Field(None, ge=1, le=MAX_ID)
    role_names: list[RoleName] = Field(None, max_length=50, description="Replaces the roles.")


class TeamCreateIn(_TeamFieldsIn):
    name: str = Field(min_length=1, max_length=100)


class TeamPatchIn(_TeamFieldsIn):
    """Only the fields sent change."""

    version: Version
    name: str = Field(None, min_length=1, max_length=100)


# Tags -----------------------------------------------------------------------------------------

COLOR_DOC = "A colour as #rrggbb."


class TagOut(OutputSchema):
    id: int
    version: int | None = None
    name: str | None = None
    color: str | None = None
    created_at: dt.datetime | None = None


class TagCreateIn(InputSchema):
    name: str = Field(min_length=1, max_length=64)
    color: str = Field(None, max_length=7, description=COLOR_DOC)


class TagPatchIn(InputSchema):
    """Only the fields sent change."""

    version: Version
    name: str = Field(None, min_length=1, max_length=64)
    color: str = Field(None, max_length=7, description=COLOR_DOC)


# Custom fields --------------------------------------------------------------------------------

BOUND = Field(None, max_digits=20, decimal_places=6, description="Number and decimal fields.")


class CustomFieldOut(OutputSchema):
    id: int
    version: int | None = None
    record_type: str | None = None
    key: str | None = None
    label: str | None = None
    kind: str | None = None
    choices: list[str] | None = None
    required: bool | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    max_length: int | None = None
    help_text: str | None = None
    position: int | None = None
    is_active: bool | None = None
    created_at: dt.datetime | None = None


class _CustomFieldFieldsIn(InputSchema):
    choices: list[Annotated[str, Field(max_length=100)]] = Field(
        None, max_length=200, description="Required for choice and multi_choice fields."
    )
    required: bool = Field(None)
    min_value: Decimal | None = BOUND
    max_value: Decimal | None = BOUND
    max_length: int | None = Field(None, ge=1, le=10000, description="Text fields only.")
    help_text: str = Field(None, max_length=200)
    position: int = Field(None, ge=0, le=1_000_000)
    is_active: bool = Field(None, description="Inactive fields are hidden and not validated.")


class CustomFieldCreateIn(_CustomFieldFieldsIn):
    record_type: str = Field(max_length=40, description="e.g. contact or account.")
    key: str = Field(
        max_length=50,
        description="Lower-case letters, digits and _; the name in the API (`custom.<key>`), "
        "in `cf.<key>` filters and in CSV columns. Fixed once created.",
    )
    label: str = Field(min_length=1, max_length=100)
    kind: KindValue = Field(description="Fixed once created.")


class CustomFieldPatchIn(_CustomFieldFieldsIn):
    """Only the fields sent change; record_type, key and kind are fixed."""

    version: Version
    label: str = Field(None, min_length=1, max_length=100)


# Tokens ---------------------------------------------------------------------------------------


class TokenOut(OutputSchema):
    computed = {"is_active": lambda token: token.is_active}

    id: int
    user_id: int | None = None
    name: str | None = None
    prefix: str | None = Field(None, description="Shows which token this is; not a secret.")
    scope: str | None = None
    created_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None
    is_active: bool | None = None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. Shown this once; store it now.")


class TokenCreateIn(InputSchema):
    name: str = Field("API token", max_length=100)
    scope: ScopeValue = Field(TokenScope.READ.value, description="read, or write for changes.")
    expires_at: Instant | None = Field(None, description="Must be in the future.")
    user_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Another user's token (admins); defaults to you."
    )


class SecurityEventOut(OutputSchema):
    computed = {"actor_username": lambda row: row.actor.username if row.actor_id else None}

    id: int
    kind: str | None = Field(None, description="login, login_failed, locked_out, unlocked, ...")
    at: dt.datetime | None = None
    user_id: int | None = Field(None, description="The account concerned, when it exists.")
    username: str | None = Field(None, description="The user name as typed or stored.")
    actor_id: int | None = Field(None, description="Who acted, when someone else did.")
    actor_username: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    detail: dict[str, Any] | None = None
    request_id: str | None = None


class UnlockOut(Schema):
    cleared: int = Field(description="Failed-login counts removed (one per client address).")


class TwoFactorResetOut(Schema):
    devices_removed: int = Field(description="Authenticator apps and backup-code sets removed.")
    must_enrol: bool = Field(
        description="Whether a role of the user requires a second factor, so they must set up "
        "a new app at their next login before using anything."
    )
