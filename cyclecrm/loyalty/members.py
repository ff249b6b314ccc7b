"""Member writes a user does: enrolling a contact (checked), enrolling every customer of a
program, adjusting points by hand with a reason, and redeeming plain points."""

from django.db import transaction

from cyclecrm.catalog.models import Order
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import FieldErrors, Forbidden, NotFound, ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.loyalty.access import require_member_act, require_points_adjust, require_program
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.membership import member_enroll
from cyclecrm.loyalty.models import (
    EntryKind,
    LoyaltyProgram,
    Member,
    PointsEntry,
    Redemption,
    Reward,
)
from cyclecrm.loyalty.rewards import redemption_reserve
from cyclecrm.loyalty.spend import WAS_PAID

MAX_ADJUST = 1_000_000
ENROL_BATCH = 500
REDEEM_REASON = "Points redeemed"


def member_enroll_checked(*, actor: User, program: LoyaltyProgram, contact: Contact) -> Member:
    """Enrol `contact` in `program` for `actor`: the program must be readable, the contact
    readable (404 otherwise), and the actor needs edit rights on the contact or the program."""
    require_program(actor, Action.READ, program)
    if not access.can(actor, Action.READ, contact):
        raise NotFound("No contact with this id.")
    if not (access.can(actor, Action.EDIT, contact) or access.can(actor, Action.EDIT, program)):
        raise Forbidden("Enrolling a contact needs edit rights on the contact or the program.")
    return member_enroll(program=program, contact=contact, actor=actor)


def member_adjust(*, actor: User, member: Member, points: int, reason: str) -> PointsEntry:
    """A manual correction, positive or negative; a debit beyond the balance is a 422.

    Added points never expire (they are not earnings); see docs/loyalty-earning.md."""
    require_points_adjust(actor, member)
    errors = FieldErrors()
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        errors.add("points", "A whole number of points other than 0.")
    elif abs(points) > MAX_ADJUST:
        errors.add("points", f"At most {MAX_ADJUST} points at once.")
    if not str(reason or "").strip():
        errors.add("reason", "Say why the points are adjusted.")
    errors.raise_if_any()
    entry = entry_post(
        member=member, kind=EntryKind.ADJUST, points=points, reason=str(reason), actor=actor
    )
    assert entry is not None  # no source key: always posted
    return entry


def member_redeem(
    *,
    actor: User,
    member: Member,
    points: int | None = None,
    reward: Reward | None = None,
    reason: str = "",
) -> tuple[PointsEntry, Redemption | None]:
    """Redeem either plain `points` or one `reward` (reserved through `redemption_reserve`);
    returns the `redeem` entry and the redemption. Nothing is stored when it is refused."""
    if (points is None) == (reward is None):
        message = "Give either `points` or `reward`."
        raise ValidationFailed(message, fields={"points": [message], "reward": [message]})
    if reward is None:
        assert points is not None
        return member_redeem_points(actor=actor, member=member, points=points, reason=reason), None
    redemption = redemption_reserve(actor=actor, member=member, reward=reward, note=reason)
    return redemption.entries.get(kind=EntryKind.REDEEM), redemption


def member_redeem_points(
    *, actor: User, member: Member, points: int, reason: str = ""
) -> PointsEntry:
    """A plain redemption of `points` (no reward): one `redeem` entry, by whoever may act for the
    member. Too low a balance is a 422 naming it and posts nothing."""
    require_member_act(actor, member)
    errors = FieldErrors()
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        errors.add("points", "A whole number of points above 0.")
    elif points > MAX_ADJUST:
        errors.add("points", f"At most {MAX_ADJUST} points at once.")
    if not member.program.is_active:
        errors.add("program", "The program is not active; points cannot be redeemed.")
    errors.raise_if_any()
    entry = entry_post(
        member=member,
        kind=EntryKind.REDEEM,
        points=-points,
        reason=str(reason or "").strip() or REDEEM_REASON,
        actor=actor,
    )
    assert entry is not None  # no source key: always posted
    return entry


def program_enroll_customers(*, actor: User, program: LoyaltyProgram) -> int:
    """Enrol every contact with a paid order who is not a member yet; returns how many joined.

    Needs the edit right on the program; members join today and earn from their next order
    (past orders are not credited)."""
    require_program(actor, Action.EDIT, program)
    if not program.is_active:
        errors = FieldErrors()
        errors.add("program", "The program is not active; nobody can join it.")
        errors.raise_if_any()
    customers = (
        Order.objects.filter(status__in=WAS_PAID, contact__isnull=False)
        .exclude(contact__loyalty_memberships__program=program)
        .values_list("contact_id", flat=True)
        .distinct()
    )
    ids = sorted(set(customers))
    before = program.members.count()
    for start in range(0, len(ids), ENROL_BATCH):
        batch = ids[start : start + ENROL_BATCH]
        with transaction.atomic():
            rows = [Member(program=program, contact_id=pk) for pk in batch]
            Member.objects.bulk_create(rows, ignore_conflicts=True)
    return program.members.count() - before
