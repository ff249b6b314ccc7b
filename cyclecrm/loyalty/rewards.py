"""The rewards catalog and the redemption lifecycle.

A reward belongs to one program and costs `points_cost` points; `stock` counts the units left
(None: unlimited) and `valid_from`/`valid_until` bound the days it can be redeemed.

A redemption is *reserved* (points debited, one unit of stock taken), then *confirmed* (handed
over) or *cancelled* (points refunded, stock put back):

- reserve: the member row is locked first, then stock is taken with one conditional UPDATE
  (`stock = stock - 1 WHERE stock > 0`, never read-modify-write), then the redemption row and its
  `redeem` ledger entry are written; any refusal rolls all of it back. Locking the member before
  anything references it keeps concurrent reservations of one member from deadlocking on
  PostgreSQL (an insert's foreign-key share lock would otherwise meet `FOR UPDATE`).
- cancel from *reserved*: anyone who may act for the member. Cancel from *confirmed*: only who may
  edit the program (a manager undoing a hand-over that failed), with a reason. *Cancelled* is final.
- Locks are always taken member first, then redemption, then reward, so cancel and reserve never
  wait on each other in opposite orders.
"""

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cyclecrm.core.errors import Conflict, FieldErrors, Forbidden, NotFound, ValidationFailed
from cyclecrm.core.events import Event, emit
from cyclecrm.core.records import claim_version
from cyclecrm.identity import access
from cyclecrm.identity.models import Action
from cyclecrm.loyalty import access as loyalty_access
from cyclecrm.loyalty.ledger import entry_post, insufficient_points
from cyclecrm.loyalty.membership import member_enroll
from cyclecrm.loyalty.models import (
    EntryKind,
    LoyaltyProgram,
    Member,
    Redemption,
    RedemptionStatus,
    Reward,
)

REWARD_FIELDS = (
    "name",
    "description",
    "points_cost",
    "stock",
    "valid_from",
    "valid_until",
    "is_active",
)
MAX_POINTS_COST = 10_000_000
NAME_REQUIRED = "Enter a name."
COST_POSITIVE = "A reward costs at least 1 point."
COST_TOO_HIGH = f"A reward costs at most {MAX_POINTS_COST:,} points."
STOCK_NEGATIVE = "Stock cannot be negative; leave it empty for unlimited."
DATES_ORDER = "The last valid day must not be before the first."
REWARD_INACTIVE = "This reward is switched off."
REWARD_NOT_YET = "This reward can be redeemed from {day}."
REWARD_ENDED = "This reward could be redeemed until {day}."
OTHER_PROGRAM = "This reward belongs to another program than the membership."
PROGRAM_INACTIVE = "The program is not active."
CANCEL_REASON_REQUIRED = "Give a reason to cancel a confirmed redemption."


class OutOfStock(Conflict):
    code = "out_of_stock"
    default_message = "This reward is out of stock."


class RedemptionStateConflict(Conflict):
    code = "invalid_status"
    default_message = "The redemption is not in a state that allows this."


# Catalog ------------------------------------------------------------------------------------


def reward_create(*, actor: Any, program: LoyaltyProgram, data: dict[str, Any]) -> Reward:
    loyalty_access.require_program(actor, Action.EDIT, program)
    values = {name: data[name] for name in REWARD_FIELDS if name in data}
    values.setdefault("is_active", True)
    reward = Reward(program=program, **values)
    _validate_reward(reward)
    reward.save()
    return reward


def reward_update(
    *, actor: Any, reward: Reward, data: dict[str, Any], version: int | None
) -> Reward:
    """Change catalog fields. Stock set here is the new number of units left; reservations
    already made keep their points and are not affected."""
    loyalty_access.require_program(actor, Action.EDIT, reward.program)
    changed = [name for name in REWARD_FIELDS if name in data]
    for name in changed:
        setattr(reward, name, data[name])
    _validate_reward(reward)
    with transaction.atomic():
        claim_version(reward, version)
        if changed:
            reward.save(update_fields=changed)
    return reward


def reward_delete(*, actor: Any, reward: Reward) -> bool:
    """Delete a reward never redeemed; one with redemptions is switched off instead (their
    history must keep pointing at it). Returns whether the row was deleted."""
    loyalty_access.require_program(actor, Action.EDIT, reward.program)
    if reward.redemptions.exists():
        Reward.objects.filter(pk=reward.pk).update(is_active=False)
        reward.is_active = False
        return False
    reward.delete()
    return True


def _validate_reward(reward: Reward) -> None:
    errors = FieldErrors()
    reward.name = (reward.name or "").strip()
    if not reward.name:
        errors.add("name", NAME_REQUIRED)
    elif len(reward.name) > 200:
        errors.add("name", "At most 200 characters.")
    if reward.points_cost is None or reward.points_cost < 1:
        errors.add("points_cost", COST_POSITIVE)
    elif reward.points_cost > MAX_POINTS_COST:
        errors.add("points_cost", COST_TOO_HIGH)
    if reward.stock is not None and reward.stock < 0:
        errors.add("stock", STOCK_NEGATIVE)
    if reward.valid_from and reward.valid_until and reward.valid_until < reward.valid_from:
        errors.add("valid_until", DATES_ORDER)
    if len(reward.description or "") > 5000:
        errors.add("description", "At most 5000 characters.")
    errors.raise_if_any()


def reward_unavailable_reason(reward: Reward, on: dt.date) -> str:
    """Why the reward cannot be redeemed on `on` ("" when it can, stock aside)."""
    if not reward.is_active:
        return REWARD_INACTIVE
    if reward.valid_from and on < reward.valid_from:
        return REWARD_NOT_YET.format(day=reward.valid_from.isoformat())
    if reward.valid_until and on > reward.valid_until:
        return REWARD_ENDED.format(day=reward.valid_until.isoformat())
    return ""


# Redemptions ----------------------------------------------------------------------------------


def redemption_reserve(*, actor: Any, member: Member, reward: Reward, note: str = "") -> Redemption:
    """Reserve `reward` for `member`: debit its points and take one unit of stock (see module
    doc). Raises 422 for an unavailable reward or `insufficient_points`, 409 `out_of_stock`."""
    loyalty_access.require_member_act(actor, member)
    _check_redeemable(member, reward)
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.balance < reward.points_cost:
            raise insufficient_points(balance=locked.balance, needed=reward.points_cost)
        _take_stock(reward)
        redemption = Redemption.objects.create(
            member=locked,
            reward=reward,
            points=reward.points_cost,
            note=note.strip()[:300],
            actor=_user(actor),
            reserved_at=timezone.now(),
        )
        entry_post(
            member=locked,
            kind=EntryKind.REDEEM,
            points=-reward.points_cost,
            reason=f"Redeemed: {reward.name}"[:300],
            actor=actor,
            source_key=f"redemption:{redemption.pk}",
            redemption=redemption,
        )
        _emit("redemption.reserved", redemption, actor)
    member.balance = locked.balance
    return redemption


def _check_redeemable(member: Member, reward: Reward) -> None:
    if reward.program_id != member.program_id:
        raise ValidationFailed(fields={"reward": [OTHER_PROGRAM]})
    if not member.program.is_active:
        raise ValidationFailed(fields={"member": [PROGRAM_INACTIVE]})
    reason = reward_unavailable_reason(reward, timezone.localdate())
    if reason:
        raise ValidationFailed(fields={"reward": [reason]})


def _take_stock(reward: Reward) -> None:
    """One unit off a limited stock, atomically in the database; 409 when none is left."""
    if reward.stock is None:
        return
    taken = Reward.objects.filter(pk=reward.pk, stock__gt=0).update(stock=F("stock") - 1)
    if not taken:
        raise OutOfStock(fields={"reward": [f"'{reward.name}' is out of stock."]})


def redemption_confirm(*, actor: Any, redemption: Redemption) -> Redemption:
    """The reward was handed over: reserved → confirmed."""
    loyalty_access.require_member_act(actor, redemption.member)
    with transaction.atomic():
        locked = Redemption.objects.select_for_update().get(pk=redemption.pk)
        if locked.status != RedemptionStatus.RESERVED:
            raise RedemptionStateConflict(
                f"Only a reserved redemption can be confirmed; this one is {locked.status}."
            )
        locked.status = RedemptionStatus.CONFIRMED
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["status", "confirmed_at"])
        _emit("redemption.confirmed", locked, actor)
    _copy_state(locked, redemption)
    return redemption


def redemption_cancel(*, actor: Any, redemption: Redemption, reason: str = "") -> Redemption:
    """Cancel, refund the points and put the unit back in stock (see module doc for who may
    cancel from which state)."""
    member = redemption.member
    loyalty_access.require_member_act(actor, member)
    with transaction.atomic():
        Member.objects.select_for_update().get(pk=member.pk)
        locked = (
            Redemption.objects.select_for_update().select_related("reward").get(pk=redemption.pk)
        )
        _check_cancellable(actor, locked, reason)
        locked.status = RedemptionStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        if reason.strip():
            locked.note = reason.strip()[:300]
        locked.save(update_fields=["status", "cancelled_at", "note"])
        entry_post(
            member=member,
            kind=EntryKind.REFUND,
            points=locked.points,
            reason=f"Refund: {locked.reward.name}"[:300],
            actor=actor,
            source_key=f"redemption:{locked.pk}:refund",
            redemption=locked,
        )
        if locked.reward.stock is not None:
            Reward.objects.filter(pk=locked.reward_id, stock__isnull=False).update(
                stock=F("stock") + 1
            )
        _emit("redemption.cancelled", locked, actor)
    _copy_state(locked, redemption)
    return redemption


def _check_cancellable(actor: Any, redemption: Redemption, reason: str) -> None:
    if redemption.status == RedemptionStatus.CANCELLED:
        raise RedemptionStateConflict("This redemption is already cancelled.")
    if redemption.status == RedemptionStatus.CONFIRMED:
        if not _can_edit_program(actor, redemption.member.program):
            raise Forbidden(
                "A confirmed redemption is final; only who may edit the program can cancel it."
            )
        if not reason.strip():
            raise ValidationFailed(fields={"reason": [CANCEL_REASON_REQUIRED]})


def _can_edit_program(actor: Any, program: LoyaltyProgram) -> bool:
    return access.can(actor, Action.EDIT, program)


def _copy_state(source: Redemption, target: Redemption) -> None:
    for name in ("status", "confirmed_at", "cancelled_at", "note"):
        setattr(target, name, getattr(source, name))


def _emit(name: str, redemption: Redemption, actor: Any) -> None:
    """`redemption.<verb>` on the member's contact (after commit), for automation and webhooks."""
    member = redemption.member
    emit(
        Event(
            name=name,
            record_type="contact",
            object_id=member.contact_id,
            actor_id=getattr(_user(actor), "pk", None),
            data={
                "redemption_id": redemption.pk,
                "member_id": member.pk,
                "program_id": member.program_id,
                "reward_id": redemption.reward_id,
                "points": redemption.points,
                "status": redemption.status,
            },
        )
    )


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


# Enrolment from the contact panel --------------------------------------------------------------


def member_join(*, actor: Any, program: LoyaltyProgram, contact: Any) -> Member:
    """Enrol a contact on behalf of a user: it needs edit rights on the contact or the program
    (the same rule as acting for a member); enrolling twice returns the membership."""
    if not access.can(actor, Action.READ, contact):
        raise NotFound("No contact with this id.")
    if not (access.can(actor, Action.EDIT, contact) or _can_edit_program(actor, program)):
        raise Forbidden("Enrolling needs edit rights on the contact or the program.")
    return member_enroll(program=program, contact=contact, actor=actor)
