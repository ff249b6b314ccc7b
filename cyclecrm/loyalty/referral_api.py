"""REST endpoints of the referral program: referrals (keyset pages, status filter), one referral,
statistics, and personal codes (create on demand, read by contact). Thin handlers over
loyalty.referrals and loyalty.referral_selectors; visibility follows the referrer contact."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from cyclecrm.api.lists import PageParams
from cyclecrm.api.schemas import (
    MAX_ID,
    InputSchema,
    Instant,
    RecordId,
    cursor_page,
    error_responses,
)
from cyclecrm.core.errors import NotFound, ValidationFailed
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.loyalty import referral_selectors as selectors
from cyclecrm.loyalty.models import Referral, ReferralCode, ReferralStatus
from cyclecrm.loyalty.referrals import referral_code_ensure, referral_link, referral_record

referrals_router = Router(tags=["Referrals"])

REFERRAL_ORDERINGS = orderings_with_reverse({"created_at": ("created_at", "id")})
ReferralOrdering = Literal[tuple(REFERRAL_ORDERINGS)]


class ReferralOut(Schema):
    id: int
    referrer_id: int
    referrer_name: str
    code: str | None = Field(description="The code used, null if it was deleted since.")
    lead_id: int | None
    contact_id: int | None = Field(description="The referred contact (after conversion too).")
    program_id: int | None
    source: str = Field(description="form, api, import or manual.")
    status: str = Field(description="pending, converted or refused.")
    refusal_reason: str
    created_at: dt.datetime
    converted_at: dt.datetime | None
    rewarded_at: dt.datetime | None
    reward_points: int
    reward_credit: Decimal
    reward_currency: str


ReferralPage = cursor_page(ReferralOut)


class ReferralFilters(Schema):
    status: ReferralStatus | None = Field(None, description="Only referrals in this status.")
    referrer_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this referrer's.")


class ReferralCodeOut(Schema):
    contact_id: int
    code: str
    link: str = Field(description="The address to share: the referral form with `?ref=<code>`.")
    created_at: dt.datetime


class ReferralCodeCreateIn(InputSchema):
    contact_id: int = Field(ge=1, le=MAX_ID, description="The referrer contact.")


class ReferralCreateIn(InputSchema):
    referrer_id: int = Field(ge=1, le=MAX_ID, description="The contact who referred.")
    contact_id: int | None = Field(None, ge=1, le=MAX_ID, description="The referred contact ...")
    lead_id: int | None = Field(None, ge=1, le=MAX_ID, description="... or the referred lead.")


class ReferrerOut(Schema):
    contact_id: int
    name: str
    sent: int
    converted: int


class ReferralStatsOut(Schema):
    sent: int = Field(description="Referrals made, refused ones included.")
    converted: int
    refused: int
    pending: int
    conversion_rate: float | None = Field(
        description="converted / (sent - refused); null when nothing is eligible."
    )
    revenue: dict[str, Decimal] = Field(
        description="Paid and fulfilled orders of referred contacts since their referral, "
        "per currency."
    )
    top_referrers: list[ReferrerOut]


COMPUTED = {"referrer_name", "code"}


def referral_out(referral: Referral) -> dict[str, Any]:
    referrer = referral.referrer
    data = {name: getattr(referral, name) for name in ReferralOut.model_fields.keys() - COMPUTED}
    data["referrer_name"] = f"{referrer.first_name} {referrer.last_name}".strip()
    data["code"] = referral.code.code if referral.code else None
    return data


def code_out(code: ReferralCode) -> dict[str, Any]:
    return {
        "contact_id": code.contact_id,
        "code": code.code,
        "link": referral_link(code),
        "created_at": code.created_at,
    }


@referrals_router.get(
    "",
    response={200: ReferralPage, **error_responses(422)},
    operation_id="list_referrals",
    summary="List referrals",
    description="Referrals whose referrer contact you may read, newest first.",
)
def list_referrals(
    request: HttpRequest,
    page: Query[PageParams],
    filters: Query[ReferralFilters],
    ordering: ReferralOrdering | None = None,
) -> dict[str, Any]:
    queryset = selectors.referral_list(
        actor=request.auth, status=filters.status, referrer_id=filters.referrer_id
    )
    result = paginate(
        queryset,
        orderings=REFERRAL_ORDERINGS,
        ordering=ordering,
        default_ordering="-created_at",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": [referral_out(row) for row in result.items], "next_cursor": result.next_cursor}


@referrals_router.post(
    "",
    response={201: ReferralOut, **error_responses(403, 404, 409, 422)},
    operation_id="create_referral",
    summary="Record a referral by hand",
    description="Attributes an existing contact or lead to a referrer (source `manual`); "
    "self-referrals are stored refused. Needs edit rights on the referred record (and on the "
    "referrer when it has no code yet); 409 when the record already has a referral.",
)
def create_referral(request: HttpRequest, payload: ReferralCreateIn) -> Status:
    actor = request.auth
    if (payload.contact_id is None) == (payload.lead_id is None):
        raise ValidationFailed(fields={"contact_id": ["Send either contact_id or lead_id."]})
    referrer = selectors.visible_contact(actor=actor, pk=payload.referrer_id)
    contact = lead = None
    if payload.contact_id is not None:
        contact = selectors.visible_contact(actor=actor, pk=payload.contact_id)
    else:
        lead = selectors.visible_lead(actor=actor, pk=payload.lead_id)
    referral = referral_record(actor=actor, referrer=referrer, contact=contact, lead=lead)
    return Status(201, referral_out(selectors.referral_get(actor=actor, pk=referral.pk)))


@referrals_router.get(
    "/stats",
    response={200: ReferralStatsOut, **error_responses(422)},
    operation_id="get_referral_stats",
    summary="Referral statistics",
    description="Over the referrals you may see, made in [`since`, `until`) when given.",
)
def get_referral_stats(
    request: HttpRequest, since: Instant | None = None, until: Instant | None = None
) -> dict[str, Any]:
    stats = selectors.referral_stats(actor=request.auth, since=since, until=until)
    return {
        **{name: getattr(stats, name) for name in ReferralStatsOut.model_fields},
        "top_referrers": [row.__dict__ for row in stats.top_referrers],
    }


@referrals_router.post(
    "/codes",
    response={200: ReferralCodeOut, 201: ReferralCodeOut, **error_responses(403, 404, 422)},
    operation_id="create_referral_code",
    summary="Give a contact a referral code",
    description="Creates the contact's personal code (201), or returns the existing one (200). "
    "Needs edit rights on the contact.",
)
def create_referral_code(request: HttpRequest, payload: ReferralCodeCreateIn) -> Status:
    contact = selectors.visible_contact(actor=request.auth, pk=payload.contact_id)
    code, created = referral_code_ensure(actor=request.auth, contact=contact)
    return Status(201 if created else 200, code_out(code))


@referrals_router.get(
    "/codes/{contact_id}",
    response={200: ReferralCodeOut, **error_responses(404, 422)},
    operation_id="get_referral_code",
    summary="A contact's referral code",
    description="404 when the contact is not visible or has no code yet.",
)
def get_referral_code(request: HttpRequest, contact_id: int = RecordId) -> dict[str, Any]:
    code = selectors.referral_code_get(actor=request.auth, contact_id=contact_id)
    if code is None:
        raise NotFound("This contact has no referral code yet; POST /referrals/codes makes one.")
    return code_out(code)


@referrals_router.get(
    "/{id}",
    response={200: ReferralOut, **error_responses(404, 422)},
    operation_id="get_referral",
    summary="Get one referral",
)
def get_referral(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return referral_out(selectors.referral_get(actor=request.auth, pk=id))
