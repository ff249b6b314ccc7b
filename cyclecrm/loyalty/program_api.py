"""REST endpoints for program configuration (programs, earning rules, tiers), a program's
members (list, enrol) and its figures. One member's statement, ledger and points are in
`loyalty.member_api`. Thin handlers over `loyalty.programs`, `loyalty.members` and
`loyalty.program_selectors`."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from cyclecrm.api.lists import PageParams, page_body
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import (
    MAX_ID,
    Instant,
    RecordId,
    cursor_page,
    error_responses,
    visible_record,
)
from cyclecrm.contacts.models import Contact
from cyclecrm.contacts.selectors import contact_get
from cyclecrm.core.errors import NotFound
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity.models import Action
from cyclecrm.loyalty import members, programs
from cyclecrm.loyalty import program_selectors as selectors
from cyclecrm.loyalty.figures import program_figures
from cyclecrm.loyalty.models import Member
from cyclecrm.loyalty.program_schemas import (
    EnrolIn,
    EnrolledOut,
    MemberOut,
    ProgramCreateIn,
    ProgramOut,
    ProgramPatchIn,
    RuleCreateIn,
    RuleOut,
    RulePatchIn,
    TierCreateIn,
    TierOut,
    TierPatchIn,
)
from cyclecrm.loyalty.reward_schemas import FiguresOut

programs_router = Router(tags=["Loyalty programs"])

ProgramPage = cursor_page(ProgramOut)
MemberPage = cursor_page(MemberOut)
PROGRAM_ORDERINGS = orderings_with_reverse({"id": ("id",), "name": ("name", "id")})
MEMBER_ORDERINGS = orderings_with_reverse(
    {"joined_at": ("joined_at", "id"), "balance": ("balance", "id")}
)
ProgramOrdering = Literal[tuple(PROGRAM_ORDERINGS)]
MemberOrdering = Literal[tuple(MEMBER_ORDERINGS)]
ChildId = Path(..., ge=1, le=MAX_ID, description="The rule's or tier's id.")


class FiguresPeriod(Schema):
    since: Instant | None = Field(None, description="Start (exclusive); default a year ago.")
    until: Instant | None = Field(None, description="End (inclusive); default now.")


def member_out(member: Member) -> dict[str, Any]:
    return {
        "id": member.pk,
        "program_id": member.program_id,
        "contact_id": member.contact_id,
        "contact_name": str(member.contact),
        "joined_at": member.joined_at,
        "tier_id": member.tier_id,
        "tier_name": member.tier.name if member.tier else None,
        "tier_since": member.tier_since,
        "balance": member.balance,
    }


@programs_router.get(
    "",
    response={200: ProgramPage, **error_responses(422)},
    operation_id="list_loyalty_programs",
    summary="List loyalty programs",
)
def list_loyalty_programs(
    request: HttpRequest, page: Query[PageParams], ordering: ProgramOrdering | None = None
) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.program_list(actor=request.auth),
        ProgramOut,
        page=page,
        orderings=PROGRAM_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


@programs_router.post(
    "",
    response={201: ProgramOut, **error_responses(403, 422)},
    operation_id="create_loyalty_program",
    summary="Create a loyalty program",
)
def create_loyalty_program(request: HttpRequest, payload: ProgramCreateIn) -> Status:
    data = payload.model_dump(exclude_unset=True)
    program = programs.program_create(actor=request.auth, data=data)
    return Status(201, visible_record(request.auth, program, ProgramOut))


@programs_router.get(
    "/{id}",
    response={200: ProgramOut, **error_responses(404, 422)},
    operation_id="get_loyalty_program",
    summary="Get one loyalty program",
)
def get_loyalty_program(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    program = selectors.program_get(actor=request.auth, pk=id)
    return visible_record(request.auth, program, ProgramOut)


@programs_router.patch(
    "/{id}",
    response={200: ProgramOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_loyalty_program",
    summary="Update a loyalty program",
)
def update_loyalty_program(
    request: HttpRequest, payload: ProgramPatchIn, id: int = RecordId
) -> dict[str, Any]:
    program = selectors.program_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    program = programs.program_update(
        actor=request.auth, program=program, data=data, version=version
    )
    return visible_record(request.auth, program, ProgramOut)


@programs_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_loyalty_program",
    summary="Delete a loyalty program without members",
    description="A program with members is refused (422): deactivate it instead.",
)
def delete_loyalty_program(request: HttpRequest, id: int = RecordId) -> Status:
    program = selectors.program_get(actor=request.auth, pk=id)
    programs.program_delete(actor=request.auth, program=program)
    return Status(204, None)


@programs_router.get(
    "/{id}/rules",
    response={200: list[RuleOut], **error_responses(404, 422)},
    operation_id="list_loyalty_rules",
    summary="The program's earning rules",
)
def list_loyalty_rules(request: HttpRequest, id: int = RecordId) -> list[Any]:
    return list(selectors.program_get(actor=request.auth, pk=id).rules.order_by("action", "id"))


@programs_router.post(
    "/{id}/rules",
    response={201: RuleOut, **error_responses(403, 404, 422)},
    operation_id="create_loyalty_rule",
    summary="Add an earning rule",
    description=(
        "`spend` rules need `points_per_unit` (and may name a product `category`); other actions "
        "need `points`. 422 names the field that does not fit the action."
    ),
)
def create_loyalty_rule(request: HttpRequest, payload: RuleCreateIn, id: int = RecordId) -> Status:
    program = selectors.program_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    return Status(201, programs.rule_create(actor=request.auth, program=program, data=data))


@programs_router.patch(
    "/{id}/rules/{rule_id}",
    response={200: RuleOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_loyalty_rule",
    summary="Change an earning rule",
)
def update_loyalty_rule(
    request: HttpRequest, payload: RulePatchIn, id: int = RecordId, rule_id: int = ChildId
) -> Any:
    program = selectors.program_get(actor=request.auth, pk=id)
    rule = selectors.rule_get(program=program, pk=rule_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return programs.rule_update(actor=request.auth, rule=rule, data=data, version=version)


@programs_router.delete(
    "/{id}/rules/{rule_id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_loyalty_rule",
    summary="Delete an earning rule",
    description="Points already earned by it stay; their rule link is cleared.",
)
def delete_loyalty_rule(request: HttpRequest, id: int = RecordId, rule_id: int = ChildId) -> Status:
    program = selectors.program_get(actor=request.auth, pk=id)
    rule = selectors.rule_get(program=program, pk=rule_id)
    programs.rule_delete(actor=request.auth, rule=rule)
    return Status(204, None)


@programs_router.get(
    "/{id}/tiers",
    response={200: list[TierOut], **error_responses(404, 422)},
    operation_id="list_loyalty_tiers",
    summary="The program's tiers, lowest rank first",
)
def list_loyalty_tiers(request: HttpRequest, id: int = RecordId) -> list[Any]:
    return list(selectors.program_get(actor=request.auth, pk=id).tiers.order_by("rank"))


@programs_router.post(
    "/{id}/tiers",
    response={201: TierOut, **error_responses(403, 404, 422)},
    operation_id="create_loyalty_tier",
    summary="Add a tier",
    description="Ranks and names are unique; thresholds must increase with rank (422 otherwise).",
)
def create_loyalty_tier(request: HttpRequest, payload: TierCreateIn, id: int = RecordId) -> Status:
    program = selectors.program_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    return Status(201, programs.tier_create(actor=request.auth, program=program, data=data))


@programs_router.patch(
    "/{id}/tiers/{tier_id}",
    response={200: TierOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_loyalty_tier",
    summary="Change a tier",
)
def update_loyalty_tier(
    request: HttpRequest, payload: TierPatchIn, id: int = RecordId, tier_id: int = ChildId
) -> Any:
    program = selectors.program_get(actor=request.auth, pk=id)
    tier = selectors.tier_get(program=program, pk=tier_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return programs.tier_update(actor=request.auth, tier=tier, data=data, version=version)


@programs_router.delete(
    "/{id}/tiers/{tier_id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_loyalty_tier",
    summary="Delete a tier",
    description="Its members have no tier until the next evaluation places them.",
)
def delete_loyalty_tier(request: HttpRequest, id: int = RecordId, tier_id: int = ChildId) -> Status:
    program = selectors.program_get(actor=request.auth, pk=id)
    tier = selectors.tier_get(program=program, pk=tier_id)
    programs.tier_delete(actor=request.auth, tier=tier)
    return Status(204, None)


class MemberFilters(PageParams):
    tier: str | None = Field(None, max_length=20, description="A tier id, or `none`.")
    min_balance: int | None = Field(None, ge=0, le=2**31)
    max_balance: int | None = Field(None, ge=0, le=2**31)


@programs_router.get(
    "/{id}/members",
    response={200: MemberPage, **error_responses(404, 422)},
    operation_id="list_loyalty_program_members",
    summary="List a program's members",
    description="Members whose contact you may read, by tier and balance.",
)
def list_loyalty_program_members(
    request: HttpRequest,
    filters: Query[MemberFilters],
    ordering: MemberOrdering | None = None,
    id: int = RecordId,
) -> dict[str, Any]:
    program = selectors.program_get(actor=request.auth, pk=id)
    rows = selectors.member_list(
        actor=request.auth,
        program=program,
        tier=filters.tier,
        min_balance=filters.min_balance,
        max_balance=filters.max_balance,
    )
    result = paginate(
        rows,
        orderings=MEMBER_ORDERINGS,
        ordering=ordering,
        default_ordering="-joined_at",
        limit=filters.limit,
        cursor=filters.cursor,
    )
    return {"items": [member_out(row) for row in result.items], "next_cursor": result.next_cursor}


@programs_router.post(
    "/{id}/enroll-customers",
    response={200: EnrolledOut, **error_responses(403, 404, 422)},
    operation_id="enroll_loyalty_customers",
    summary="Enrol every customer with a paid order",
    description="Members earn from their next order on; past orders are not credited.",
)
def enroll_loyalty_customers(request: HttpRequest, id: int = RecordId) -> dict[str, int]:
    program = selectors.program_get(actor=request.auth, pk=id, action=Action.READ)
    return {"enrolled": members.program_enroll_customers(actor=request.auth, program=program)}


@programs_router.post(
    "/{id}/members",
    response={200: MemberOut, 201: MemberOut, **error_responses(403, 404, 422)},
    operation_id="enroll_loyalty_member",
    summary="Enrol a contact in a program",
    description=(
        '`{"contact": id}`: 201 with the new member, 200 when the contact already is one. '
        "Needs edit rights on the contact or the program."
    ),
)
def enroll_loyalty_member(request: HttpRequest, payload: EnrolIn, id: int = RecordId) -> Status:
    program = selectors.program_get(actor=request.auth, pk=id)
    contact = _contact_for(request, payload.contact)
    known = selectors.member_find(program=program, contact=contact) is not None
    member = members.member_enroll_checked(actor=request.auth, program=program, contact=contact)
    return Status(200 if known else 201, member_out(member))


def _contact_for(request: HttpRequest, pk: int) -> Contact:
    try:
        return contact_get(actor=request.auth, pk=pk)
    except NotFound as exc:
        raise NotFound(exc.message, fields={"contact": [exc.message]}) from exc


@programs_router.get(
    "/{id}/figures",
    response={200: FiguresOut, **error_responses(403, 404, 422)},
    operation_id="get_loyalty_program_figures",
    summary="Program figures over a period",
    description="Needs the program's export right (the figures cover every member and order).",
)
def get_loyalty_program_figures(
    request: HttpRequest, period: Query[FiguresPeriod], id: int = RecordId
) -> dict[str, Any]:
    program = selectors.program_get(actor=request.auth, pk=id)
    figures = program_figures(
        actor=request.auth, program=program, since=period.since, until=period.until
    )
    computed = [name for name in FiguresOut.model_fields if name not in {"program_id", "currency"}]
    return {
        "program_id": program.pk,
        "currency": program.currency,
        **{name: getattr(figures, name) for name in computed},
    }


add_record_routes(
    programs_router,
    noun="loyalty_program",
    get_record=lambda *, actor, pk: selectors.program_get(actor=actor, pk=pk),
)
