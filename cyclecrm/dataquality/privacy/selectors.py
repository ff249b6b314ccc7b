"""Privacy reads, each starting from the permission gate (the contact selectors)."""

from typing import Any

from django.db.models import QuerySet

from cyclecrm.contacts.models import Contact
from cyclecrm.contacts.selectors import contact_get
from cyclecrm.core.errors import Forbidden
from cyclecrm.dataquality.models import ConsentRecord, RetentionPolicy, RetentionRun
from cyclecrm.dataquality.privacy.subject_access import (
    subject_access_document,
    subject_access_types,
)
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User


def consent_list(*, actor: User, contact: Contact) -> QuerySet[ConsentRecord]:
    """The contact's consent history, newest first (the caller fetched `contact` through a
    selector, so the actor may read it)."""
    return ConsentRecord.objects.filter(contact=contact).select_related("recorded_by")


def contact_export(*, actor: User, pk: Any) -> dict[str, Any]:
    """Everything held about the contact (404 unless the actor may export it).

    The document is complete by law, whoever owns the related rows, so it also needs the read
    right at level `all` on every record type it holds (403 naming the others): a user who may
    export the contact but not read, say, every case would otherwise read cases through it."""
    contact = contact_get(actor=actor, pk=pk, action=Action.EXPORT)
    short = [
        key for key in subject_access_types() if access.level(actor, key, Action.READ) != Level.ALL
    ]
    if short:
        raise Forbidden(
            "The subject access export holds every record of the contact; it needs the read "
            f"right on all records of: {', '.join(short)}."
        )
    return subject_access_document(contact)


def subject_access_unreadable(actor: User) -> list[str]:
    """The record types a subject access document can hold that the actor may not read all of
    (empty: the actor may take the export of any contact they may export)."""
    return [
        key for key in subject_access_types() if access.level(actor, key, Action.READ) != Level.ALL
    ]


def retention_policy_list(*, actor: User) -> QuerySet[RetentionPolicy]:
    if access.level(actor, "retention_policy", Action.READ) == Level.NONE:
        raise Forbidden()
    return RetentionPolicy.objects.order_by("record_type")


def retention_runs(*, actor: User, limit: int = 20) -> list[RetentionRun]:
    policies = retention_policy_list(actor=actor)
    runs = RetentionRun.objects.filter(policy__in=policies).select_related("policy", "ran_by")
    return list(runs[:limit])
