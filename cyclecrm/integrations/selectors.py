"""Reads for the e-mail configuration, scoped by the one permission gate."""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from cyclecrm.core.errors import NotFound
from cyclecrm.core.pagination import orderings_with_reverse
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.integrations.models import EmailTemplate, EmailTracking, Mailbox

NAME_ORDERINGS = orderings_with_reverse({"name": ("name", "id"), "id": ("id",)})


def mailbox_list(*, actor: User) -> QuerySet[Mailbox]:
    return access.restrict(Mailbox.objects.select_related("owner"), actor)


def mailbox_get(*, actor: User, pk: Any) -> Mailbox:
    found = mailbox_list(actor=actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise NotFound("No mailbox with this id.")
    return found


def email_template_list(*, actor: User, active_only: bool = False) -> QuerySet[EmailTemplate]:
    queryset = access.restrict(EmailTemplate.objects.all(), actor)
    return queryset.filter(is_active=True) if active_only else queryset


def email_template_get(*, actor: User, pk: Any) -> EmailTemplate:
    found = email_template_list(actor=actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise NotFound("No e-mail template with this id.")
    return found


def is_tracking_note() -> Exists:
    """For an interaction queryset: whether the row is the "Opened" / "Clicked" entry of a
    tracked e-mail, which is inbound but no reply (`exclude(is_tracking_note())`)."""
    return Exists(
        EmailTracking.objects.filter(Q(open_note=OuterRef("pk")) | Q(click_note=OuterRef("pk")))
    )
