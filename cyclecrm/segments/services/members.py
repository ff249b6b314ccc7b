"""Static list membership: bulk, transactional, only contacts the actor may read, and only on
segments the actor may edit."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.segments import selectors
from cyclecrm.segments.models import Segment, SegmentMember

MAX_BATCH = 5000
NOT_STATIC = (
    "Only a static list has members to add or remove; a dynamic segment's follow its rules."
)


def _check_editable(actor: User, segment: Segment) -> None:
    if not segment.is_static:
        raise ValidationFailed(NOT_STATIC, fields={"kind": [NOT_STATIC]})
    if not access.can(actor, Action.EDIT, segment):
        raise Forbidden("You may not change this list.")


def _checked_ids(actor: User, segment: Segment, contact_ids: Iterable[int]) -> list[int]:
    _check_editable(actor, segment)
    ids = list(dict.fromkeys(int(pk) for pk in contact_ids))
    if len(ids) > MAX_BATCH:
        raise ValidationFailed(fields={"contact_ids": [f"At most {MAX_BATCH} contacts at once."]})
    visible = set(
        selectors.visible_contacts(actor=actor).filter(pk__in=ids).values_list("pk", flat=True)
    )
    missing = [pk for pk in ids if pk not in visible]
    if missing:
        raise ValidationFailed(
            fields={"contact_ids": [f"No contact you may see with id {missing[0]}."]}
        )
    return ids


def segment_members_add(*, actor: User, segment: Segment, contact_ids: Iterable[int]) -> int:
    """Add contacts to a static list; returns how many were not on it yet."""
    ids = _checked_ids(actor, segment, contact_ids)
    with transaction.atomic():
        present = set(
            SegmentMember.objects.filter(segment=segment, contact_id__in=ids).values_list(
                "contact_id", flat=True
            )
        )
        new = [
            SegmentMember(segment=segment, contact_id=pk, added_by=actor)
            for pk in ids
            if pk not in present
        ]
        SegmentMember.objects.bulk_create(new, ignore_conflicts=True)
        _recount(segment)
    return len(new)


def segment_members_add_matching(
    *, actor: User, segment: Segment, contacts: QuerySet[Contact]
) -> int:
    """Add every contact of a filtered list (all pages, not only the one shown) to a static list,
    in one transaction and in batches; returns how many were not on it yet.

    Only contacts the actor may read are added, whatever queryset the caller passes."""
    _check_editable(actor, segment)
    visible = selectors.visible_contacts(actor=actor).filter(pk__in=contacts.values("pk"))
    ids = visible.order_by("pk").values_list("pk", flat=True)
    with transaction.atomic():
        before = SegmentMember.objects.filter(segment=segment).count()
        batch: list[SegmentMember] = []
        for pk in ids.iterator(chunk_size=MAX_BATCH):
            batch.append(SegmentMember(segment=segment, contact_id=pk, added_by=actor))
            if len(batch) == MAX_BATCH:
                SegmentMember.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        SegmentMember.objects.bulk_create(batch, ignore_conflicts=True)
        _recount(segment)
        segment.refresh_from_db(fields=["member_count"])
    return segment.member_count - before


def segment_members_remove(*, actor: User, segment: Segment, contact_ids: Iterable[int]) -> int:
    """Remove contacts from a static list; returns how many were on it."""
    ids = _checked_ids(actor, segment, contact_ids)
    with transaction.atomic():
        removed, _ = SegmentMember.objects.filter(segment=segment, contact_id__in=ids).delete()
        _recount(segment)
    return removed


def _recount(segment: Segment) -> None:
    """A static list's true size is its row count: keep the stored count exact."""
    count = SegmentMember.objects.filter(segment=segment).count()
    Segment.objects.filter(pk=segment.pk).update(member_count=count, counted_at=timezone.now())
