"""Campaign members: contacts or leads added in bulk (by id, or everyone in a segment the actor
may read), removed in bulk, and moved along sent -> responded -> converted."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from cyclecrm.campaigns.models import Campaign, CampaignMember, MemberStatus
from cyclecrm.campaigns.services.campaigns import require_edit
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import FieldErrors, ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.leads.models import Lead

MAX_BATCH = 5000
# The timestamp each status sets (the earlier ones are filled when skipped).
STATUS_STAMPS = {
    MemberStatus.SENT: ("sent_at",),
    MemberStatus.RESPONDED: ("sent_at", "responded_at"),
    MemberStatus.CONVERTED: ("sent_at", "responded_at", "converted_at"),
}


def _visible_ids(
    actor: User, model: type[Model], ids: Iterable[int], field: str, errors: FieldErrors
) -> list[int]:
    wanted = list(dict.fromkeys(int(pk) for pk in ids))
    if len(wanted) > MAX_BATCH:
        errors.add(field, f"At most {MAX_BATCH} at once.")
        return []
    visible_rows = access.restrict(model.objects.all(), actor).filter(pk__in=wanted)
    visible = set(visible_rows.values_list("pk", flat=True))
    missing = [pk for pk in wanted if pk not in visible]
    if missing:
        errors.add(field, f"No {model._meta.verbose_name} you may see with id {missing[0]}.")
    return wanted


def _segment_contact_ids(actor: User, segment_id: int, errors: FieldErrors) -> list[int]:
    from cyclecrm.segments import selectors as segment_selectors

    segment = segment_selectors.segment_list(actor=actor).filter(pk=segment_id).first()
    if segment is None:
        errors.add("segment_id", "No segment you may see with this id.")
        return []
    members = segment_selectors.segment_members(actor=actor, segment=segment)
    ids = list(members.order_by("id").values_list("id", flat=True)[: MAX_BATCH + 1])
    if len(ids) > MAX_BATCH:
        errors.add("segment_id", f"The segment has more than {MAX_BATCH} members.")
    return ids


def members_add(
    *,
    actor: User,
    campaign: Campaign,
    contact_ids: Iterable[int] = (),
    lead_ids: Iterable[int] = (),
    segment_id: int | None = None,
    status: str = MemberStatus.SENT,
) -> int:
    """Add contacts and leads (and a segment's contacts); people already members are left as
    they are. All or nothing: one unknown id refuses the whole batch. Returns how many joined."""
    require_edit(actor, campaign)
    errors = FieldErrors()
    contacts = _visible_ids(actor, Contact, contact_ids, "contact_ids", errors)
    leads = _visible_ids(actor, Lead, lead_ids, "lead_ids", errors)
    if segment_id is not None:
        contacts += _segment_contact_ids(actor, segment_id, errors)
    if status not in MemberStatus.values:
        errors.add("status", f"Use one of {', '.join(MemberStatus.values)}.")
    errors.raise_if_any()
    if not contacts and not leads:
        raise ValidationFailed(fields={"contact_ids": ["Give contacts, leads or a segment."]})
    now = timezone.now()
    stamps = dict.fromkeys(STATUS_STAMPS[status], now)
    with transaction.atomic():
        present_contacts = set(_members(campaign).values_list("contact_id", flat=True))
        present_leads = set(_members(campaign).values_list("lead_id", flat=True))
        fields = {"campaign": campaign, "added_by": actor, "status": status, **stamps}
        new = [
            CampaignMember(contact_id=pk, **fields)
            for pk in dict.fromkeys(contacts)
            if pk not in present_contacts
        ] + [CampaignMember(lead_id=pk, **fields) for pk in leads if pk not in present_leads]
        CampaignMember.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


def _members(campaign: Campaign) -> QuerySet[CampaignMember]:
    return CampaignMember.objects.filter(campaign=campaign)


def members_remove(*, actor: User, campaign: Campaign, member_ids: Iterable[int]) -> int:
    """Remove members by their membership id; returns how many were removed."""
    require_edit(actor, campaign)
    ids = list(dict.fromkeys(int(pk) for pk in member_ids))
    if len(ids) > MAX_BATCH:
        raise ValidationFailed(fields={"member_ids": [f"At most {MAX_BATCH} at once."]})
    with transaction.atomic():
        removed, _ = _members(campaign).filter(pk__in=ids).delete()
    return removed


def member_status_set(
    *, actor: User, campaign: Campaign, member_ids: Iterable[int], status: str
) -> int:
    """Move members to `status`, stamping its time (and the earlier steps' when empty);
    returns how many changed."""
    require_edit(actor, campaign)
    if status not in MemberStatus.values:
        raise ValidationFailed(fields={"status": [f"Use one of {', '.join(MemberStatus.values)}."]})
    ids = list(dict.fromkeys(int(pk) for pk in member_ids))
    if not ids or len(ids) > MAX_BATCH:
        raise ValidationFailed(fields={"member_ids": [f"Give 1 to {MAX_BATCH} member ids."]})
    now = timezone.now()
    with transaction.atomic():
        rows = list(_members(campaign).filter(pk__in=ids).select_for_update())
        if len(rows) != len(ids):
            found = {row.pk for row in rows}
            missing = next(pk for pk in ids if pk not in found)
            raise ValidationFailed(
                fields={"member_ids": [f"No member with id {missing} on this campaign."]}
            )
        changed = [row for row in rows if _restamp(row, status, now)]
        CampaignMember.objects.bulk_update(
            changed, ["status", "sent_at", "responded_at", "converted_at"]
        )
    return len(changed)


def _restamp(member: CampaignMember, status: str, now: Any) -> bool:
    if member.status == status:
        return False
    member.status = status
    stamped = STATUS_STAMPS[MemberStatus(status)]
    for name in ("responded_at", "converted_at"):
        if name not in stamped:
            setattr(member, name, None)
        elif getattr(member, name) is None:
            setattr(member, name, now)
    return True


def members_from_mailing(*, campaign: Campaign, contact_ids: Iterable[int], at: Any) -> int:
    """Contacts a mailing of the campaign was sent to join it with status sent; members keep
    their status. Called by the sending job (no actor: whoever linked the mailing to the
    campaign needed the right to edit it). Idempotent; returns how many joined."""
    ids = list(dict.fromkeys(contact_ids))
    if not ids:
        return 0
    with transaction.atomic():
        present = set(
            _members(campaign).filter(contact_id__in=ids).values_list("contact_id", flat=True)
        )
        new = [
            CampaignMember(campaign=campaign, contact_id=pk, status=MemberStatus.SENT, sent_at=at)
            for pk in ids
            if pk not in present
        ]
        CampaignMember.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


def member_responded(*, campaign: Campaign, contact_id: int, at: Any) -> None:
    """A contact responded (e.g. clicked a tracked link): a member with status sent moves to
    responded; a converted member stays converted; a non-member joins as responded."""
    with transaction.atomic():
        moved = (
            _members(campaign)
            .filter(contact_id=contact_id, status=MemberStatus.SENT)
            .update(status=MemberStatus.RESPONDED, responded_at=at)
        )
        if not moved and not _members(campaign).filter(contact_id=contact_id).exists():
            CampaignMember.objects.bulk_create(
                [
                    CampaignMember(
                        campaign=campaign,
                        contact_id=contact_id,
                        status=MemberStatus.RESPONDED,
                        sent_at=at,
                        responded_at=at,
                    )
                ],
                ignore_conflicts=True,
            )
