"""What marketing does with advocates: put them on a static list, tag them (to invite them to
case studies and communities), and log a social mention that feeds their score. Every write goes
through the owning app's service, so rights, history and engagement counts apply."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from cyclecrm.activities import interactions
from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.contacts.models import Contact
from cyclecrm.contacts.services import contact_update
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.segments import selectors as segment_selectors
from cyclecrm.segments.services import segment_members_add

MAX_SELECTED = 500
NOTHING_SELECTED = "Select at least one advocate."
TOO_MANY = f"Select at most {MAX_SELECTED} advocates at once."
NO_LIST = "Choose a static list."
BAD_TAG = "Give a tag of 1 to 64 characters."


@dataclass(frozen=True)
class TagResult:
    tagged: int
    already: int
    not_editable: int


def _selected(contact_ids: Iterable[int]) -> list[int]:
    ids = list(dict.fromkeys(int(pk) for pk in contact_ids))
    if not ids:
        raise ValidationFailed(fields={"contact_ids": [NOTHING_SELECTED]})
    if len(ids) > MAX_SELECTED:
        raise ValidationFailed(fields={"contact_ids": [TOO_MANY]})
    return ids


def advocates_add_to_list(*, actor: User, segment_id: Any, contact_ids: Iterable[int]) -> int:
    """Add the selected advocates to a static list the actor may edit; returns how many were new.
    The segments service refuses dynamic segments and contacts the actor may not read."""
    ids = _selected(contact_ids)
    if segment_id in (None, ""):
        raise ValidationFailed(fields={"segment": [NO_LIST]})
    segment = segment_selectors.segment_get(actor=actor, pk=segment_id, action=Action.EDIT)
    return segment_members_add(actor=actor, segment=segment, contact_ids=ids)


def advocates_tag(*, actor: User, contact_ids: Iterable[int], tag: str) -> TagResult:
    """Tag the selected advocates the actor may edit (one history entry each); contacts the actor
    may only read are counted, not tagged. One transaction: all tagged or none."""
    tag = (tag or "").strip()
    if not tag or len(tag) > 64:
        raise ValidationFailed(fields={"tag": [BAD_TAG]})
    ids = _selected(contact_ids)
    visible = access.restrict(Contact.objects.filter(pk__in=ids), actor)
    contacts = list(visible.prefetch_related("tags"))
    if len(contacts) != len(ids):
        missing = sorted(set(ids) - {contact.pk for contact in contacts})[0]
        raise ValidationFailed(
            fields={"contact_ids": [f"No contact you may see with id {missing}."]}
        )
    editable = set(
        access.restrict(Contact.objects.filter(pk__in=ids), actor, Action.EDIT).values_list(
            "pk", flat=True
        )
    )
    tagged = already = 0
    with transaction.atomic():
        for contact in contacts:
            names = sorted(item.name for item in contact.tags.all())
            if contact.pk not in editable:
                continue
            if tag in names:
                already += 1
                continue
            contact_update(
                actor=actor, contact=contact, data={}, version=contact.version, tags=[*names, tag]
            )
            tagged += 1
    return TagResult(tagged, already, len(contacts) - len(editable))


def advocate_mention_log(*, actor: User, contact: Contact, data: dict[str, Any]) -> Interaction:
    """Log that the contact mentioned us on social media: an inbound social interaction (the
    signal the advocacy score counts). `data` may hold subject, body and occurred_at."""
    allowed = {"subject", "body", "occurred_at"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationFailed(fields={name: ["Unknown field."] for name in unknown})
    fields = {
        **data,
        "channel": Channel.SOCIAL,
        "direction": Direction.INBOUND,
        "contact": contact.pk,
    }
    return interactions.interaction_log(actor=actor, data=fields)
