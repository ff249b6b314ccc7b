"""Engagement fields of contacts, derived from their interactions (ADR 8).

Kept on the contact so segments, scoring and lists filter on plain indexed columns:
- `last_interaction_at`: the newest interaction that has happened (not a meeting still ahead);
- `interactions_30d`, `interactions_90d`: how many in the last 30 / 90 days;
- `engagement`: the same two windows per channel,
  `{"30d": {"call": 2, "email": 5, ...}, "90d": {...}}` (every channel present, zero included).

What counts: interactions linked to the contact (`contact`) on every channel but `note` (an
internal remark is no exchange with the customer), except e-mails whose delivery failed, and
only once they have occurred. The services refresh the contacts an interaction touches in the
same transaction; the nightly job (`activities.tasks.recompute_engagement`) recomputes every
contact whose windows may have moved, because counts age out without any write.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from cyclecrm.activities.models import Channel, DeliveryStatus, Interaction
from cyclecrm.contacts.models import Contact

WINDOWS = {"30d": 30, "90d": 90}
COUNTED_CHANNELS = tuple(channel for channel in Channel.values if channel != Channel.NOTE)
BATCH_SIZE = 500
ENGAGEMENT_FIELDS = ("last_interaction_at", "interactions_30d", "interactions_90d", "engagement")


def counted_q() -> Q:
    """The interactions that count as engagement (see the module doc)."""
    return Q(channel__in=COUNTED_CHANNELS) & ~Q(delivery_status=DeliveryStatus.FAILED)


def empty_engagement() -> dict[str, dict[str, int]]:
    return {window: dict.fromkeys(COUNTED_CHANNELS, 0) for window in WINDOWS}


def engagement_values(
    contact_ids: Iterable[int], *, now: dt.datetime | None = None
) -> dict[int, dict[str, Any]]:
    """The engagement fields of each contact, computed from its interactions (two queries)."""
    now = now or timezone.now()
    ids = sorted(set(contact_ids))
    values: dict[int, dict[str, Any]] = {
        pk: {
            "last_interaction_at": None,
            "interactions_30d": 0,
            "interactions_90d": 0,
            "engagement": empty_engagement(),
        }
        for pk in ids
    }
    if not ids:
        return values
    happened = Interaction.objects.filter(counted_q(), contact_id__in=ids, occurred_at__lte=now)
    for row in happened.values("contact_id").annotate(last=Max("occurred_at")):
        values[row["contact_id"]]["last_interaction_at"] = row["last"]
    oldest = now - dt.timedelta(days=max(WINDOWS.values()))
    per_channel = (
        happened.filter(occurred_at__gt=oldest)
        .values("contact_id", "channel")
        .annotate(
            **{
                f"n_{window}": Count("id", filter=Q(occurred_at__gt=now - dt.timedelta(days=days)))
                for window, days in WINDOWS.items()
            }
        )
    )
    for row in per_channel:
        entry = values[row["contact_id"]]
        for window in WINDOWS:
            entry["engagement"][window][row["channel"]] = row[f"n_{window}"]
    for entry in values.values():
        for window in WINDOWS:
            entry[f"interactions_{window}"] = sum(entry["engagement"][window].values())
    return values


def engagement_refresh(
    contact_ids: Iterable[int | None], *, now: dt.datetime | None = None
) -> None:
    """Recompute the engagement fields of these contacts (None ids are skipped). Writes only the
    derived columns: no history row, no version change, so nobody's open edit conflicts."""
    ids = {pk for pk in contact_ids if pk is not None}
    for pk, fields in engagement_values(ids, now=now).items():
        Contact.objects.filter(pk=pk).update(**fields)


def engagement_recompute_all(*, now: dt.datetime | None = None, everyone: bool = False) -> int:
    """Recompute every contact whose rolling windows may have changed since the last run: those
    with interactions in the widest window and those whose stored counts are not zero yet
    (`everyone`: every contact with an interaction, for data written in bulk without the
    services, such as the demo or an import). Idempotent; returns the number of contacts written."""
    now = now or timezone.now()
    interactions = Interaction.objects.filter(counted_q(), contact__isnull=False)
    if not everyone:
        oldest = now - dt.timedelta(days=max(WINDOWS.values()))
        interactions = interactions.filter(occurred_at__gt=oldest)
    recent = interactions.values_list("contact_id", flat=True)
    nonzero = Contact.objects.filter(interactions_90d__gt=0).values_list("pk", flat=True)
    ids = sorted(set(recent) | set(nonzero))
    written = 0
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        values = engagement_values(chunk, now=now)
        contacts = list(Contact.objects.filter(pk__in=chunk).only("pk", *ENGAGEMENT_FIELDS))
        changed = []
        for contact in contacts:
            fields = values[contact.pk]
            if any(getattr(contact, name) != fields[name] for name in ENGAGEMENT_FIELDS):
                for name, value in fields.items():
                    setattr(contact, name, value)
                changed.append(contact)
        Contact.objects.bulk_update(changed, ENGAGEMENT_FIELDS)
        written += len(changed)
    return written
