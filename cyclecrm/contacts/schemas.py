"""API input and output shapes for accounts and contacts.

Inputs reject unknown fields and mirror the model's length limits, so an oversized value is a 422
naming the field before any work is done; normalization (e-mail, phone, country) and the rules
stay in the services. Country inputs accept names ("Germany") and are therefore longer than the
stored two-letter code. Outputs declare every field nullable except `id` and `version`: a field
hidden from the reader by a role's field rule is sent as null.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, VERSION_DOC, InputSchema, OutputSchema, tag_names
from cyclecrm.contacts.models import Gender, LifecycleStage

FORCE_DOC = (
    "Save even when the record looks like an existing one (without it: 409 `likely_duplicate` "
    "with `error.candidates`). Also accepted as the query parameter `?force=true`."
)

COUNTRY_INPUT_MAX = 100
TagName = Annotated[str, Field(max_length=64)]
GenderValue = Literal[tuple([*Gender.values, ""])]
StageValue = Literal[tuple(LifecycleStage.values)]

TAGS_DOC = "Tag names; replaces the record's tags. Unknown names are created."
PHONE_DOC = "Stored as E.164; a number without a country code is read in the default region."
CUSTOM_DOC = "Custom field values by key; a partial update merges, null clears a key."


def _text(max_length: int, description: str | None = None) -> Any:
    return Field(None, max_length=max_length, description=description)


def _id(description: str | None = None) -> Any:
    return Field(None, ge=1, le=MAX_ID, description=description)


class RecordIn(InputSchema):
    """Fields every business record takes."""

    owner_id: int | None = _id("Defaults to you on create; must be an owner you may assign.")
    team_id: int | None = _id("Defaults to the owner's first team on create.")
    external_id: str | None = _text(100, "Id in a source system; unique per record type.")
    tags: list[TagName] | None = Field(None, max_length=100, description=TAGS_DOC)
    custom: dict[str, Any] | None = Field(None, description=CUSTOM_DOC)


class RecordOut(OutputSchema):
    computed = {"tags": tag_names}

    id: int
    version: int
    owner_id: int | None = None
    team_id: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    created_by_id: int | None = None
    updated_by_id: int | None = None
    external_id: str | None = None
    tags: list[str] | None = None
    custom: dict[str, Any] | None = None


class AccountFieldsIn(RecordIn):
    domain: str | None = _text(253, "Host name; scheme, www. and path are stripped.")
    industry: str | None = _text(100)
    employees: int | None = Field(None, ge=0, le=2_147_483_647)
    annual_revenue: Decimal | None = Field(None, max_digits=18, decimal_places=2)
    currency: str | None = _text(3, "ISO-4217 code.")
    phone: str | None = _text(32, PHONE_DOC)
    website: str | None = _text(300)
    description: str | None = _text(10000)
    billing_street: str | None = _text(200)
    billing_city: str | None = _text(100)
    billing_region: str | None = _text(100)
    billing_postal_code: str | None = _text(20)
    billing_country: str | None = _text(COUNTRY_INPUT_MAX, "ISO-3166 code or English name.")
    shipping_street: str | None = _text(200)
    shipping_city: str | None = _text(100)
    shipping_region: str | None = _text(100)
    shipping_postal_code: str | None = _text(20)
    shipping_country: str | None = _text(COUNTRY_INPUT_MAX, "ISO-3166 code or English name.")
    parent_id: int | None = _id("Parent account (must be visible to you).")


class AccountCreateIn(AccountFieldsIn):
    name: str = Field(min_length=1, max_length=200)
    force: bool = Field(False, description=FORCE_DOC)


class AccountPatchIn(AccountFieldsIn):
    """Only the fields sent change."""

    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)
    name: str | None = Field(None, min_length=1, max_length=200)
    force: bool = Field(False, description=FORCE_DOC)


class AccountOut(RecordOut):
    name: str | None = None
    domain: str | None = None
    industry: str | None = None
    employees: int | None = None
    annual_revenue: Decimal | None = None
    currency: str | None = None
    phone: str | None = None
    website: str | None = None
    description: str | None = None
    billing_street: str | None = None
    billing_city: str | None = None
    billing_region: str | None = None
    billing_postal_code: str | None = None
    billing_country: str | None = None
    shipping_street: str | None = None
    shipping_city: str | None = None
    shipping_region: str | None = None
    shipping_postal_code: str | None = None
    shipping_country: str | None = None
    parent_id: int | None = None


class ContactFieldsIn(RecordIn):
    first_name: str | None = _text(100)
    email: str | None = _text(254, "Validated and stored lower-case.")
    other_emails: list[Annotated[str, Field(max_length=254)]] | None = Field(None, max_length=20)
    phone: str | None = _text(32, PHONE_DOC)
    mobile: str | None = _text(32, "Stored as E.164.")
    title: str | None = _text(150)
    account_id: int | None = _id("The contact's account (must be visible to you).")
    birth_date: dt.date | None = None
    gender: GenderValue | None = None
    street: str | None = _text(200)
    city: str | None = _text(100)
    region: str | None = _text(100)
    postal_code: str | None = _text(20)
    country: str | None = _text(COUNTRY_INPUT_MAX, "ISO-3166 code or English name.")
    language: str | None = _text(10, "Language code such as en or pt-br.")
    lifecycle_stage: StageValue | None = None
    consent_email: bool | None = None
    consent_email_source: str | None = _text(100)
    consent_phone: bool | None = None
    consent_phone_source: str | None = _text(100)
    consent_sms: bool | None = None
    consent_sms_source: str | None = _text(100)
    do_not_contact: bool | None = None
    interests: list[Annotated[str, Field(max_length=100)]] | None = Field(None, max_length=100)
    values: list[Annotated[str, Field(max_length=100)]] | None = Field(None, max_length=100)
    attributes: dict[str, Any] | None = None
    notes: str | None = _text(10000)


class ContactCreateIn(ContactFieldsIn):
    last_name: str = Field(min_length=1, max_length=100)
    force: bool = Field(False, description=FORCE_DOC)
    referral_code: str | None = Field(
        None,
        max_length=40,
        description=(
            "A personal referral code (see /api/v1/referrals/codes): attributes the new record "
            "to its contact. Unknown: 422 on this field."
        ),
    )


class ContactPatchIn(ContactFieldsIn):
    """Only the fields sent change."""

    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    force: bool = Field(False, description=FORCE_DOC)


class ContactOut(RecordOut):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    other_emails: list[str] | None = None
    phone: str | None = None
    mobile: str | None = None
    title: str | None = None
    account_id: int | None = None
    birth_date: dt.date | None = None
    gender: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    language: str | None = None
    lifecycle_stage: str | None = None
    consent_email: bool | None = None
    consent_email_at: dt.datetime | None = None
    consent_email_source: str | None = None
    consent_phone: bool | None = None
    consent_phone_at: dt.datetime | None = None
    consent_phone_source: str | None = None
    consent_sms: bool | None = None
    consent_sms_at: dt.datetime | None = None
    consent_sms_source: str | None = None
    do_not_contact: bool | None = None
    interests: list[str] | None = None
    values: list[str] | None = None
    attributes: dict[str, Any] | None = None
    notes: str | None = None
    referral_code: str | None = Field(None, description="Read-only: the code it arrived with.")
    last_interaction_at: dt.datetime | None = Field(
        None, description="Read-only: the newest interaction that has happened (ADR 9)."
    )
    interactions_30d: int | None = Field(None, description="Read-only: interactions, 30 days.")
    interactions_90d: int | None = Field(None, description="Read-only: interactions, 90 days.")
    engagement: dict[str, dict[str, int]] | None = Field(
        None, description='Read-only: per channel, `{"30d": {"call": 2, ...}, "90d": {...}}`.'
    )


_RECORD_COLUMNS = ("owner_id", "team_id", "tags", "created_at", "updated_at")
ACCOUNT_EXPORT_COLUMNS = (
    "id", "external_id", "name", "domain", "industry", "employees", "annual_revenue", "currency",
    "phone", "website", "billing_street", "billing_city", "billing_region", "billing_postal_code",
    "billing_country", "shipping_street", "shipping_city", "shipping_region",
    "shipping_postal_code", "shipping_country", "parent_id", *_RECORD_COLUMNS,
)  # fmt: skip
CONTACT_EXPORT_COLUMNS = (
    "id", "external_id", "first_name", "last_name", "email", "other_emails", "phone", "mobile",
    "title", "account_id", "birth_date", "gender", "street", "city", "region", "postal_code",
    "country", "language", "lifecycle_stage", "consent_email", "consent_email_at",
    "consent_phone", "consent_phone_at", "consent_sms", "consent_sms_at", "do_not_contact",
    "interests", "values", *_RECORD_COLUMNS,
)  # fmt: skip
