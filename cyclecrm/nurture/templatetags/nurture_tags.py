"""The sequences card of contact pages and the enroll form of segment pages."""

from typing import Any

from django import template

from cyclecrm.identity.access import level
from cyclecrm.identity.models import Action, Level
from cyclecrm.nurture import selectors
from cyclecrm.nurture.models import SequenceStatus

register = template.Library()


def _enrollable(user: Any) -> list[Any]:
    rows = selectors.sequence_list(actor=user, action=Action.EDIT).filter(
        status__in=(SequenceStatus.ACTIVE, SequenceStatus.PAUSED)
    )
    return list(rows.select_related(None).only("pk", "name").order_by("name", "id")[:100])


@register.simple_tag(takes_context=True)
def contact_sequences(context: template.Context, contact: Any) -> dict[str, Any] | None:
    """The contact's sequences with "step N of M" and the next run, and the sequences the viewer
    may enroll them into; None (nothing shown) when the viewer does not read sequences."""
    user = context["request"].user
    if contact is None or level(user, "sequence", Action.READ) == Level.NONE:
        return None
    return {
        "rows": selectors.contact_enrollments(actor=user, contact=contact),
        "enrollable": _enrollable(user),
    }


@register.simple_tag(takes_context=True)
def enrollable_sequences(context: template.Context) -> list[Any]:
    user = context["request"].user
    if level(user, "sequence", Action.EDIT) == Level.NONE:
        return []
    return _enrollable(user)
