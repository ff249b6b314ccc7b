"""Consent evidence: one append-only `ConsentRecord` per change of a contact's consent.

The contact's `consent_*` flags stay the current state; every service that changes them
(`contacts.services`, so the contact form and API, unsubscribes and lead conversion) calls
`consent_changes_record` in the same transaction, so no change goes unrecorded."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from cyclecrm.dataquality.models import ConsentRecord


def consent_record_write(
    *,
    actor: Any,
    contact_id: int,
    purpose: str,
    granted: bool,
    source: str,
    text_shown: str = "",
    recorded_at: dt.datetime | None = None,
) -> ConsentRecord:
    """Append one consent record; `actor` None or the system actor leaves `recorded_by` empty."""
    return ConsentRecord.objects.create(
        contact_id=contact_id,
        purpose=purpose,
        granted=granted,
        source=(source or "manual")[:100],
        text_shown=text_shown or "",
        recorded_at=recorded_at or timezone.now(),
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )


def consent_changes_record(
    *,
    actor: Any,
    contact: Any,
    channels: Iterable[str],
    text_shown: str = "",
    recorded_at: dt.datetime | None = None,
) -> None:
    """Record the current flag of each channel whose consent just changed on `contact`."""
    for channel in channels:
        consent_record_write(
            actor=actor,
            contact_id=contact.pk,
            purpose=channel,
            granted=bool(getattr(contact, f"consent_{channel}")),
            source=getattr(contact, f"consent_{channel}_source", ""),
            text_shown=text_shown,
            recorded_at=recorded_at,
        )
