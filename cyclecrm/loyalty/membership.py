"""Enrolment: a contact becomes a member of a program once (get or create)."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.loyalty.models import LoyaltyProgram, Member


def member_enroll(*, program: LoyaltyProgram, contact: Contact, actor: Any = None) -> Member:
    """The contact's membership of `program`, created on first call. Permission checks are the
    caller's (services check `loyalty.access` before calling; jobs act as the system)."""
    if not program.is_active:
        raise ValidationFailed(
            fields={"program": [f"The program '{program.name}' is not active; nobody can join it."]}
        )
    existing = Member.objects.filter(program=program, contact=contact).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Member.objects.create(program=program, contact=contact, joined_at=timezone.now())
    except IntegrityError:
        return Member.objects.get(program=program, contact=contact)


def active_programs() -> list[LoyaltyProgram]:
    return list(LoyaltyProgram.objects.filter(is_active=True).order_by("id"))
