"""The member statement (balance, tier, progress to the next tier, points expiring soon, recent
redemptions; the ledger is paged separately) and the tokenized link a customer opens from an
e-mail.

Statement links reuse the survey token scheme (`feedback.tokens`): 256 random bits, only the
SHA-256 stored on `Member.statement_token_hash`, valid until `statement_expires_at`
(`program.statement_link_valid_days` after it was made). Making a new link replaces the old one,
so a forwarded or leaked link is revoked by sending a fresh one.

"Expiring soon" is the points of earn entries whose expiry falls in the next
`EXPIRING_SOON_DAYS` days, capped at the balance: an upper bound, since points already spent may
have come from those entries."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from cyclecrm.activities.models import Interaction
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.feedback.tokens import token_hash, token_new, token_well_formed
from cyclecrm.integrations.services.outbound import email_send
from cyclecrm.loyalty import access as loyalty_access
from cyclecrm.loyalty.models import EntryKind, Member, Redemption, Tier
from cyclecrm.loyalty.tiers import next_tier, tier_for, tier_measure

EXPIRING_SOON_DAYS = 30
RECENT_REDEMPTIONS = 10
NO_EMAIL = "The contact has no e-mail address."
DO_NOT_CONTACT = "The contact asked not to be contacted."


@dataclass
class Statement:
    member: Member
    balance: int
    tier: Tier | None
    tier_measure: Decimal
    next_tier: Tier | None
    to_next_tier: Decimal | None
    progress_percent: int
    expiring_soon: int
    expiring_before: dt.datetime
    redemptions: list[Redemption] = field(default_factory=list)

    @property
    def measure_unit(self) -> str:
        program = self.member.program
        return program.currency if program.tier_basis == "spend" else "points"


def statement_for(member: Member, at: dt.datetime | None = None) -> Statement:
    """The member's statement at `at` (the caller has checked the member is visible)."""
    at = at or timezone.now()
    tiers = list(member.program.tiers.all())
    measure = tier_measure(member, at)
    upcoming = next_tier(tiers, measure)
    current = tier_for(tiers, measure)
    before = at + dt.timedelta(days=EXPIRING_SOON_DAYS)
    return Statement(
        member=member,
        balance=member.balance,
        tier=member.tier or current,
        tier_measure=measure,
        next_tier=upcoming,
        to_next_tier=(upcoming.threshold - measure) if upcoming else None,
        progress_percent=_progress(current, upcoming, measure),
        expiring_soon=_expiring(member, at, before),
        expiring_before=before,
        redemptions=_recent_redemptions(member),
    )


def _recent_redemptions(member: Member) -> list[Redemption]:
    rows = list(
        member.redemptions.select_related("reward").order_by("-reserved_at", "-id")[
            :RECENT_REDEMPTIONS
        ]
    )
    for row in rows:
        row.member = member
    return rows


def _progress(current: Tier | None, upcoming: Tier | None, measure: Decimal) -> int:
    """How far from the current tier's threshold (or zero) to the next one, in percent."""
    if upcoming is None:
        return 100
    floor = current.threshold if current else Decimal(0)
    span = upcoming.threshold - floor
    if span <= 0:
        return 0
    return max(0, min(100, int((measure - floor) * 100 / span)))


def _expiring(member: Member, at: dt.datetime, before: dt.datetime) -> int:
    soon = member.entries.filter(
        kind=EntryKind.EARN, expires_at__gt=at, expires_at__lte=before
    ).aggregate(total=Sum("points"))["total"]
    return min(member.balance, soon or 0)


# Public link ----------------------------------------------------------------------------------


def statement_link(token: str) -> str:
    return settings.CYCLECRM["BASE_URL"] + reverse("loyalty_statement_public", args=[token])


def statement_token_create(*, actor: Any, member: Member) -> tuple[str, dt.datetime]:
    """A new statement link token for the member (replacing any earlier one) and its expiry."""
    loyalty_access.require_member_act(actor, member)
    return _new_token(member)


def _new_token(member: Member) -> tuple[str, dt.datetime]:
    token, digest = token_new()
    expires_at = timezone.now() + dt.timedelta(days=member.program.statement_link_valid_days)
    Member.objects.filter(pk=member.pk).update(
        statement_token_hash=digest, statement_expires_at=expires_at
    )
    member.statement_token_hash, member.statement_expires_at = digest, expires_at
    return token, expires_at


def statement_send(*, actor: Any, member: Member) -> Interaction:
    """E-mail the contact a fresh statement link through the outbound e-mail service (logged on
    the contact's timeline, sent by the background job)."""
    loyalty_access.require_member_act(actor, member)
    contact = member.contact
    if contact.do_not_contact:
        raise ValidationFailed(fields={"contact": [DO_NOT_CONTACT]})
    if not contact.email:
        raise ValidationFailed(fields={"contact": [NO_EMAIL]})
    with transaction.atomic():
        token, expires_at = _new_token(member)
        return email_send(
            actor=actor,
            data={
                "contact": contact.pk,
                "subject": f"Your {member.program.name} points statement",
                "body": _body(member, statement_link(token), expires_at),
            },
        )


def _body(member: Member, link: str, expires_at: dt.datetime) -> str:
    name = member.contact.first_name
    greeting = f"Hello {escape(name)}," if name else "Hello,"
    return (
        f"<p>{greeting}</p>"
        f"<p>You have {member.balance:,} points in {escape(member.program.name)}.</p>"
        f'<p>See your statement: <a href="{escape(link)}">{escape(link)}</a></p>'
        f"<p>The link works until {expires_at:%Y-%m-%d}.</p>"
    )


class LinkState:
    OPEN = "open"
    UNKNOWN = "unknown"
    EXPIRED = "expired"


def member_for_token(token: str) -> tuple[Member | None, str]:
    """The member a statement token opens, and the link's state. Malformed, unknown and
    replaced tokens are all `unknown`."""
    if not token_well_formed(token):
        return None, LinkState.UNKNOWN
    member = (
        Member.objects.select_related("program", "contact", "tier")
        .filter(statement_token_hash=token_hash(token))
        .first()
    )
    if member is None:
        return None, LinkState.UNKNOWN
    expired = member.statement_expires_at is None or member.statement_expires_at <= timezone.now()
    if expired or not member.program.is_active:
        return member, LinkState.EXPIRED
    return member, LinkState.OPEN
