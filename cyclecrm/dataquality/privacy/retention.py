"""Retention policies: which rows of a record type are past their age, and what to do with them.

Each kind names its model, the date that ages a row, and how a row is anonymized. Contacts are
anonymized by the erasure routine (so related rows follow); other rows have their personal
columns blanked; `delete` removes the rows (cascading as the models define)."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone


@dataclass(frozen=True)
class RetentionKind:
    key: str
    label: str
    queryset: Callable[[dt.datetime], QuerySet]
    anonymize: Callable[[Any, QuerySet], int]


def _leads(cutoff: dt.datetime) -> QuerySet:
    from cyclecrm.leads.models import Lead

    return Lead.objects.filter(updated_at__lt=cutoff, converted_contact__isnull=True)


def _idle_contacts(cutoff: dt.datetime) -> QuerySet:
    from cyclecrm.contacts.models import Contact

    idle = Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=cutoff)
    return Contact.objects.filter(idle, updated_at__lt=cutoff).exclude(
        last_name__startswith="Erased contact"
    )


def _interactions(cutoff: dt.datetime) -> QuerySet:
    from cyclecrm.activities.models import Interaction

    return Interaction.objects.filter(occurred_at__lt=cutoff)


def _cases(cutoff: dt.datetime) -> QuerySet:
    from cyclecrm.support.models import Case

    return Case.objects.filter(closed_at__lt=cutoff)


def _submissions(cutoff: dt.datetime) -> QuerySet:
    from cyclecrm.leads.models import FormSubmission

    return FormSubmission.objects.filter(at__lt=cutoff)


LEAD_BLANK = {"first_name": "", "last_name": "", "email": "", "phone": "", "description": ""}


def _blank(fields: dict[str, Any]) -> Callable[[Any, QuerySet], int]:
    def anonymize(actor: Any, queryset: QuerySet) -> int:
        return queryset.update(**fields)

    return anonymize


def _erase_contacts(actor: Any, queryset: QuerySet) -> int:
    from cyclecrm.dataquality.privacy.erasure import erase_contact_data

    count = 0
    for contact in queryset.iterator():
        erase_contact_data(actor=actor, contact=contact)
        count += 1
    return count


RETENTION_KINDS: dict[str, RetentionKind] = {
    kind.key: kind
    for kind in (
        RetentionKind(
            "lead",
            "Leads not converted, unchanged for",
            _leads,
            _blank(LEAD_BLANK),
        ),
        RetentionKind(
            "contact", "Contacts without interaction for", _idle_contacts, _erase_contacts
        ),
        RetentionKind(
            "interaction",
            "Interactions older than",
            _interactions,
            _blank({"body": "", "from_address": "", "to_addresses": [], "cc_addresses": []}),
        ),
        RetentionKind("case", "Cases closed for", _cases, _blank({"description": ""})),
        RetentionKind(
            "form_submission",
            "Form submissions older than",
            _submissions,
            _blank({"data": {}, "ip_hash": ""}),
        ),
    )
}


def cutoff_for(max_age_days: int, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=max_age_days)
