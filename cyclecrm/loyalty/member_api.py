"""REST endpoints for one contact's loyalty membership, keyed by the **contact id** under
/api/v1/loyalty/members/{contact_id}: the statement, the ledger, a manual adjustment, a
redemption (plain points or a reward) and the e-mailed statement link. A contact in several
programs picks one with `?program=<id>`; without it, the only (or the lowest-id active) program.
Thin handlers over `loyalty.members`, `loyalty.rewards` and `loyalty.statement`."""

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from cyclecrm.api.lists import PageParams
from cyclecrm.api.schemas import MAX_ID, cursor_page, error_responses
from cyclecrm.core.errors import NotFound
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.loyalty import members
from cyclecrm.loyalty import program_selectors as selectors
from cyclecrm.loyalty.models import Member, Reward
from cyclecrm.loyalty.program_schemas import AdjustIn, EntryOut, RedeemIn, RedeemOut
from cyclecrm.loyalty.reward_output import statement_out
from cyclecrm.loyalty.reward_schemas import StatementLinkOut, StatementOut
from cyclecrm.loyalty.reward_selectors import entry_list as statement_entries
from cyclecrm.loyalty.reward_selectors import reward_get
from cyclecrm.loyalty.statement import statement_for, statement_send

members_router = Router(tags=["Loyalty members"])

EntryPage = cursor_page(EntryOut)
ENTRY_ORDERINGS = orderings_with_reverse({"created_at": ("created_at", "id")})
STATEMENT_ENTRIES = 20
ContactId = Path(..., ge=1, le=MAX_ID, description="The contact's id.")


class ProgramChoice(Schema):
    program: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="The program, for a contact in several; default: the only (or the "
        "lowest-id active) program the contact belongs to.",
    )


class LedgerParams(PageParams, ProgramChoice):
    pass


def _member(request: HttpRequest, contact_id: int, choice: ProgramChoice) -> Member:
    return selectors.member_of_contact(
        actor=request.auth, contact_id=contact_id, program_id=choice.program
    )


@members_router.get(
    "/{contact_id}",
    response={200: StatementOut, **error_responses(404, 422)},
    operation_id="get_loyalty_member",
    summary="A contact's loyalty statement",
    description=(
        "Balance, tier, program, progress to the next tier, expiring points, recent "
        "redemptions and the latest entries. 404 when the contact is not a member."
    ),
)
def get_loyalty_member(
    request: HttpRequest, choice: Query[ProgramChoice], contact_id: int = ContactId
) -> dict[str, Any]:
    member = _member(request, contact_id, choice)
    result = paginate(
        statement_entries(member=member),
        orderings=ENTRY_ORDERINGS,
        ordering=None,
        default_ordering="-created_at",
        limit=STATEMENT_ENTRIES,
        cursor=None,
    )
    return statement_out(statement_for(member), result.items, result.next_cursor)


@members_router.get(
    "/{contact_id}/ledger",
    response={200: EntryPage, **error_responses(404, 422)},
    operation_id="list_loyalty_member_ledger",
    summary="A contact's points ledger, newest first",
)
def list_loyalty_member_ledger(
    request: HttpRequest, params: Query[LedgerParams], contact_id: int = ContactId
) -> dict[str, Any]:
    member = _member(request, contact_id, params)
    result = paginate(
        selectors.entry_list(member=member),
        orderings=ENTRY_ORDERINGS,
        ordering="-created_at",
        default_ordering="-created_at",
        limit=params.limit,
        cursor=params.cursor,
    )
    return {"items": result.items, "next_cursor": result.next_cursor}


@members_router.post(
    "/{contact_id}/adjust",
    response={201: EntryOut, **error_responses(403, 404, 422)},
    operation_id="adjust_loyalty_member_points",
    summary="Adjust a contact's points by hand",
    description=(
        "Needs edit rights on the program (admins and managers). A debit beyond the balance is "
        "a 422 `insufficient_points` naming the balance; the entry records the reason and you."
    ),
)
def adjust_loyalty_member_points(
    request: HttpRequest,
    payload: AdjustIn,
    choice: Query[ProgramChoice],
    contact_id: int = ContactId,
) -> Status:
    member = _member(request, contact_id, choice)
    entry = members.member_adjust(
        actor=request.auth, member=member, points=payload.points, reason=payload.reason
    )
    return Status(201, entry)


@members_router.post(
    "/{contact_id}/redeem",
    response={201: RedeemOut, **error_responses(403, 404, 409, 422)},
    operation_id="redeem_loyalty_member_points",
    summary="Redeem points or a reward for a contact",
    description=(
        'Either `{"points": n}` (a plain `redeem` entry, optional `reason`) or '
        '`{"reward": id}` (reserves one unit of the reward). Too low a balance: 422 '
        "`insufficient_points` naming the balance, and nothing is stored. No stock: 409 "
        "`out_of_stock`."
    ),
)
def redeem_loyalty_member_points(
    request: HttpRequest,
    payload: RedeemIn,
    choice: Query[ProgramChoice],
    contact_id: int = ContactId,
) -> Status:
    member = _member(request, contact_id, choice)
    reward = _reward_for(request, payload.reward) if payload.reward is not None else None
    entry, redemption = members.member_redeem(
        actor=request.auth,
        member=member,
        points=payload.points,
        reward=reward,
        reason=payload.reason,
    )
    body = {
        "balance": member.balance,
        "points": -entry.points,
        "entry_id": entry.pk,
        "redemption_id": redemption.pk if redemption else None,
    }
    return Status(201, body)


def _reward_for(request: HttpRequest, pk: int) -> Reward:
    try:
        return reward_get(actor=request.auth, pk=pk)
    except NotFound as exc:
        raise NotFound(exc.message, fields={"reward": [exc.message]}) from exc


@members_router.post(
    "/{contact_id}/statement-link",
    response={200: StatementLinkOut, **error_responses(403, 404, 422)},
    operation_id="send_loyalty_statement_link",
    summary="E-mail the contact a link to their statement",
    description="A new link replaces the previous one. 422 when the contact cannot be mailed.",
)
def send_loyalty_statement_link(
    request: HttpRequest, choice: Query[ProgramChoice], contact_id: int = ContactId
) -> dict[str, Any]:
    member = _member(request, contact_id, choice)
    email = statement_send(actor=request.auth, member=member)
    return {"email_id": email.pk, "expires_at": member.statement_expires_at}
