"""Reads for the referral program, scoped through `loyalty.access`: a referral (and a code) is
visible with its referrer contact.

Statistics count what the reader may see: referrals sent (every referral made, refused included),
converted, refused, the conversion rate (converted / sent without the refused ones), revenue from
referred customers (their paid and fulfilled orders placed since they were referred, per
currency) and the top referrers ranked by conversions, then by referrals sent."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import NotFound
from cyclecrm.identity import access
from cyclecrm.loyalty.access import restrict_to_contacts
from cyclecrm.loyalty.models import Referral, ReferralCode, ReferralStatus

TOP_REFERRERS = 10


def referral_list(
    *, actor: Any, status: str | None = None, referrer_id: int | None = None
) -> QuerySet[Referral]:
    queryset = Referral.objects.select_related("referrer", "lead", "contact", "code", "program")
    if status:
        queryset = queryset.filter(status=status)
    if referrer_id:
        queryset = queryset.filter(referrer_id=referrer_id)
    return restrict_to_contacts(queryset, actor, prefix="referrer")


def referral_get(*, actor: Any, pk: Any) -> Referral:
    referral = None
    if str(pk).isdigit():
        referral = referral_list(actor=actor).filter(pk=pk).first()
    if referral is None:
        raise NotFound("No referral with this id.")
    return referral


def visible_contact(*, actor: Any, pk: Any) -> Contact:
    contact = None
    if str(pk).isdigit():
        contact = access.restrict(Contact.objects.all(), actor).filter(pk=pk).first()
    if contact is None:
        raise NotFound("No contact with this id.")
    return contact


def visible_lead(*, actor: Any, pk: Any) -> Any:
    from cyclecrm.leads.models import Lead

    lead = None
    if str(pk).isdigit():
        lead = access.restrict(Lead.objects.all(), actor).filter(pk=pk).first()
    if lead is None:
        raise NotFound("No lead with this id.")
    return lead


def referral_code_get(*, actor: Any, contact_id: Any) -> ReferralCode | None:
    """The code of a contact the actor may read (404 otherwise); None when it has none yet."""
    contact = visible_contact(actor=actor, pk=contact_id)
    return ReferralCode.objects.filter(contact=contact).first()


@dataclass(frozen=True)
class ReferrerRow:
    contact_id: int
    name: str
    sent: int
    converted: int


@dataclass(frozen=True)
class ReferralStats:
    sent: int = 0
    converted: int = 0
    refused: int = 0
    pending: int = 0
    conversion_rate: float | None = None
    revenue: dict[str, Decimal] = field(default_factory=dict)
    top_referrers: list[ReferrerRow] = field(default_factory=list)


def referral_stats(
    *, actor: Any, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> ReferralStats:
    """Figures over the referrals made in [since, until) that the actor may see."""
    referrals = referral_list(actor=actor)
    if since:
        referrals = referrals.filter(created_at__gte=since)
    if until:
        referrals = referrals.filter(created_at__lt=until)
    counts = referral_counts(referrals)
    eligible = counts["sent"] - counts["refused"]
    return ReferralStats(
        **counts,
        pending=eligible - counts["converted"],
        conversion_rate=round(counts["converted"] / eligible, 4) if eligible else None,
        revenue=_revenue(referrals),
        top_referrers=_top_referrers(referrals),
    )


def referral_counts(referrals: QuerySet[Referral]) -> dict[str, int]:
    """Referrals sent, converted and refused, in one aggregate. The conversion rate is converted
    ÷ (sent - refused), here and in the referral conversion KPI."""
    return referrals.order_by().aggregate(
        sent=Count("id"),
        converted=Count("id", filter=Q(status=ReferralStatus.CONVERTED)),
        refused=Count("id", filter=Q(status=ReferralStatus.REFUSED)),
    )


def _revenue(referrals: QuerySet[Referral]) -> dict[str, Decimal]:
    from cyclecrm.catalog.models import Order, OrderStatus

    rows = (
        Order.objects.filter(
            contact__referred_by__in=referrals.exclude(status=ReferralStatus.REFUSED).values("pk"),
            status__in=[OrderStatus.PAID, OrderStatus.FULFILLED],
            ordered_at__gte=F("contact__referred_by__created_at"),
        )
        .order_by()
        .values("currency")
        .annotate(total=Sum("total"))
    )
    return {row["currency"]: row["total"] for row in sorted(rows, key=lambda r: r["currency"])}


def _top_referrers(referrals: QuerySet[Referral], limit: int = TOP_REFERRERS) -> list[ReferrerRow]:
    rows = (
        referrals.order_by()
        .values("referrer_id", "referrer__first_name", "referrer__last_name")
        .annotate(
            sent=Count("id"),
            converted=Count("id", filter=Q(status=ReferralStatus.CONVERTED)),
        )
        .order_by("-converted", "-sent", "referrer_id")[:limit]
    )
    return [
        ReferrerRow(
            contact_id=row["referrer_id"],
            name=" ".join(
                part for part in (row["referrer__first_name"], row["referrer__last_name"]) if part
            ),
            sent=row["sent"],
            converted=row["converted"],
        )
        for row in rows
    ]


def contact_referral_summary(*, actor: Any, contact: Contact) -> dict[str, Any]:
    """What the contact page shows: the code, the referrals the contact made (counts and the
    newest ones) and the referral that brought the contact in, if any and visible."""
    made = referral_list(actor=actor, referrer_id=contact.pk)
    counts = made.order_by().aggregate(
        sent=Count("id"), converted=Count("id", filter=Q(status=ReferralStatus.CONVERTED))
    )
    referred_by = referral_list(actor=actor).filter(contact=contact).first()
    return {
        "code": ReferralCode.objects.filter(contact=contact).first(),
        "counts": counts,
        "recent": list(made[:5]),
        "referred_by": referred_by,
    }
