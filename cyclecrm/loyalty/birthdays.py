"""Birthday points: a daily job awards the `birthday` rule to members whose birthday is today,
once a year (source key `birthday:<year>`). A 29 February birthday is celebrated on 28 February
in other years."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from cyclecrm.loyalty.earning import points_for_action
from cyclecrm.loyalty.models import EarningAction, Member


def _birthday_q(today: dt.date) -> Q:
    condition = Q(contact__birth_date__month=today.month, contact__birth_date__day=today.day)
    is_leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    if today.month == 2 and today.day == 28 and not is_leap:
        condition |= Q(contact__birth_date__month=2, contact__birth_date__day=29)
    return condition


def birthday_points(today: dt.date | None = None) -> int:
    """Award today's birthday points; returns the number of entries posted."""
    today = today or timezone.localdate()
    contact_ids = (
        Member.objects.filter(_birthday_q(today), program__is_active=True)
        .values_list("contact_id", flat=True)
        .distinct()
    )
    posted = 0
    for contact_id in sorted(set(contact_ids)):
        posted += len(
            points_for_action(
                contact_id=contact_id,
                action=EarningAction.BIRTHDAY,
                source_key=f"birthday:{today.year}",
                reason=f"Happy birthday {today.year}",
            )
        )
    return posted
