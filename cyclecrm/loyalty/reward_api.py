"""REST endpoints for the rewards catalog, redemptions and the public statement a customer opens
from an e-mail. Thin handlers over `loyalty.rewards`, `loyalty.statement` and
`loyalty.reward_selectors`. A member's own statement is in `loyalty.member_api`."""

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from cyclecrm.api.lists import PageParams
from cyclecrm.api.schemas import MAX_ID, RecordId, cursor_page, error_responses
from cyclecrm.core.errors import NotFound
from cyclecrm.core.pagination import Page, orderings_with_reverse, paginate
from cyclecrm.loyalty import reward_selectors as selectors
from cyclecrm.loyalty import rewards as services
from cyclecrm.loyalty.reward_output import (
    public_statement_out,
    redemption_out,
    reward_out,
)
from cyclecrm.loyalty.reward_schemas import (
    PublicStatementOut,
    RedemptionCancelIn,
    RedemptionOut,
    RewardCreateIn,
    RewardOut,
    RewardPatchIn,
)
from cyclecrm.loyalty.statement import (
    LinkState,
    member_for_token,
    statement_for,
)

rewards_router = Router(tags=["Loyalty rewards"])
redemptions_router = Router(tags=["Loyalty rewards"])
public_statements_router = Router(tags=["Public"], auth=None)

RewardPage = cursor_page(RewardOut)
RedemptionPage = cursor_page(RedemptionOut)
REWARD_ORDERINGS = orderings_with_reverse({"points_cost": ("points_cost", "id"), "id": ("id",)})
REDEMPTION_ORDERINGS = orderings_with_reverse({"reserved_at": ("reserved_at", "id")})
RewardOrdering = Literal[tuple(REWARD_ORDERINGS)]
PUBLIC_ENTRIES = 50


class RewardFilters(Schema):
    program: int | None = Field(None, ge=1, le=MAX_ID, description="Only this program's.")
    available: bool | None = Field(
        None, description="true: redeemable today (active, in dates, in stock); false: not."
    )


class RedemptionFilters(Schema):
    status: Literal["reserved", "confirmed", "cancelled"] | None = None
    program: int | None = Field(None, ge=1, le=MAX_ID)
    member: int | None = Field(None, ge=1, le=MAX_ID)


def _page(
    queryset: QuerySet, page: PageParams, orderings: dict, ordering: str | None, default: str
) -> Page:
    return paginate(
        queryset,
        orderings=orderings,
        ordering=ordering,
        default_ordering=default,
        limit=page.limit,
        cursor=page.cursor,
    )


# Rewards ------------------------------------------------------------------------------------


@rewards_router.get(
    "",
    response={200: RewardPage, **error_responses(422)},
    operation_id="list_loyalty_rewards",
    summary="List rewards",
)
def list_loyalty_rewards(
    request: HttpRequest,
    page: Query[PageParams],
    filters: Query[RewardFilters],
    ordering: RewardOrdering | None = None,
) -> dict[str, Any]:
    rewards = selectors.reward_list(
        actor=request.auth, program_id=filters.program, available=filters.available
    )
    result = _page(rewards, page, REWARD_ORDERINGS, ordering, "points_cost")
    return {"items": [reward_out(r) for r in result.items], "next_cursor": result.next_cursor}


@rewards_router.post(
    "",
    response={201: RewardOut, **error_responses(403, 404, 422)},
    operation_id="create_loyalty_reward",
    summary="Add a reward to a program's catalog",
)
def create_loyalty_reward(request: HttpRequest, payload: RewardCreateIn) -> Status:
    data = payload.model_dump(exclude_unset=True)
    program = selectors.program_get(actor=request.auth, pk=data.pop("program_id"))
    reward = services.reward_create(actor=request.auth, program=program, data=data)
    return Status(201, reward_out(reward))


@rewards_router.get(
    "/{id}",
    response={200: RewardOut, **error_responses(404, 422)},
    operation_id="get_loyalty_reward",
    summary="Get one reward",
)
def get_loyalty_reward(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return reward_out(selectors.reward_get(actor=request.auth, pk=id))


@rewards_router.patch(
    "/{id}",
    response={200: RewardOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_loyalty_reward",
    summary="Update a reward",
)
def update_loyalty_reward(
    request: HttpRequest, payload: RewardPatchIn, id: int = RecordId
) -> dict[str, Any]:
    reward = selectors.reward_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return reward_out(
        services.reward_update(actor=request.auth, reward=reward, data=data, version=version)
    )


@rewards_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_loyalty_reward",
    summary="Delete a reward",
    description="A reward that was ever redeemed is switched off instead of deleted.",
)
def delete_loyalty_reward(request: HttpRequest, id: int = RecordId) -> Status:
    reward = selectors.reward_get(actor=request.auth, pk=id)
    services.reward_delete(actor=request.auth, reward=reward)
    return Status(204, None)


# Redemptions --------------------------------------------------------------------------------


@redemptions_router.get(
    "",
    response={200: RedemptionPage, **error_responses(422)},
    operation_id="list_loyalty_redemptions",
    summary="List redemptions",
    description="Newest first; only members whose contact you may read.",
)
def list_loyalty_redemptions(
    request: HttpRequest, page: Query[PageParams], filters: Query[RedemptionFilters]
) -> dict[str, Any]:
    redemptions = selectors.redemption_list(
        actor=request.auth,
        status=filters.status,
        program_id=filters.program,
        member_id=filters.member,
    )
    result = _page(redemptions, page, REDEMPTION_ORDERINGS, None, "-reserved_at")
    return {
        "items": [redemption_out(r) for r in result.items],
        "next_cursor": result.next_cursor,
    }


@redemptions_router.get(
    "/{id}",
    response={200: RedemptionOut, **error_responses(404, 422)},
    operation_id="get_loyalty_redemption",
    summary="Get one redemption",
)
def get_loyalty_redemption(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return redemption_out(selectors.redemption_get(actor=request.auth, pk=id))


@redemptions_router.post(
    "/{id}/confirm",
    response={200: RedemptionOut, **error_responses(403, 404, 409, 422)},
    operation_id="confirm_loyalty_redemption",
    summary="Confirm a reserved redemption (the reward was handed over)",
)
def confirm_loyalty_redemption(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    redemption = selectors.redemption_get(actor=request.auth, pk=id)
    return redemption_out(services.redemption_confirm(actor=request.auth, redemption=redemption))


@redemptions_router.post(
    "/{id}/cancel",
    response={200: RedemptionOut, **error_responses(403, 404, 409, 422)},
    operation_id="cancel_loyalty_redemption",
    summary="Cancel a redemption and refund its points",
    description=(
        "A reserved redemption: whoever may act for the member. A confirmed one: only who may "
        "edit the program, with a `reason`. A cancelled one: 409."
    ),
)
def cancel_loyalty_redemption(
    request: HttpRequest, payload: RedemptionCancelIn, id: int = RecordId
) -> dict[str, Any]:
    redemption = selectors.redemption_get(actor=request.auth, pk=id)
    cancelled = services.redemption_cancel(
        actor=request.auth, redemption=redemption, reason=payload.reason
    )
    return redemption_out(cancelled)


# The public statement ----------------------------------------------------------------------


@public_statements_router.get(
    "/{token}",
    response={200: PublicStatementOut, **error_responses(404)},
    operation_id="get_public_loyalty_statement",
    summary="A member's statement by its e-mailed link (public)",
    description="No authentication: the token is the credential. Unknown or expired: 404.",
)
def get_public_loyalty_statement(request: HttpRequest, token: str) -> dict[str, Any]:
    member, state = member_for_token(token[:100])
    if member is None or state != LinkState.OPEN:
        message = "This statement link has expired." if state == LinkState.EXPIRED else None
        raise NotFound(message or "No statement for this link.")
    entries = list(selectors.entry_list(member=member)[:PUBLIC_ENTRIES])
    return public_statement_out(statement_for(member), entries)
