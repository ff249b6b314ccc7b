"""What recipients do with a tracked one-to-one or sequence e-mail: opens and clicks.

Follows the mailings' rules (`mailings/services/tracking.py`):
- the tracking row keeps the counts and the first times; a conditional UPDATE sets a first
  time only once, so two concurrent opens count once;
- the first open and the first click are logged as interactions on the contact's (or lead's)
  timeline through `interaction_log`, so the contact's engagement fields follow (ADR 0009);
  later ones only count;
- a click implies an open (images are often blocked);
- the first open / click emits `email.opened` / `email.clicked` (object: the e-mail
  interaction, data `{"at": iso time}`), which nurture branches and statistics listen to.
"""

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cyclecrm.activities.interactions import interaction_log
from cyclecrm.activities.models import Channel, DeliveryStatus, Direction, Interaction
from cyclecrm.core.events import Event, emit
from cyclecrm.identity.system import system_actor
from cyclecrm.integrations import tracking
from cyclecrm.integrations.models import EmailTracking


def _row(interaction_id: int | None) -> EmailTracking | None:
    if interaction_id is None:
        return None
    return (
        EmailTracking.objects.select_related("interaction")
        .filter(interaction_id=interaction_id, interaction__delivery_status=DeliveryStatus.SENT)
        .first()
    )


def _first(row: EmailTracking, field: str, counter: str, now: dt.datetime) -> bool:
    """Count one more and set the first time if unset; True when this was the first."""
    rows = EmailTracking.objects.filter(pk=row.pk)
    rows.update(**{counter: F(counter) + 1})
    return bool(rows.filter(**{f"{field}__isnull": True}).update(**{field: now}))


def _note(email: Interaction, verb: str, detail: str) -> Interaction | None:
    """The timeline entry of a first open or click, on the person the e-mail went to."""
    if email.contact_id is None and email.lead_id is None:
        return None
    subject = email.subject or "(no subject)"
    return interaction_log(
        actor=system_actor(),
        data={
            "channel": Channel.EMAIL,
            "direction": Direction.INBOUND,
            "subject": f"{verb}: {subject}"[:300],
            "body": f"{verb} the e-mail “{subject}”." + (f" {detail}" if detail else ""),
            "contact": email.contact_id,
            "lead": email.lead_id,
            "owner_id": email.owner_id,
        },
    )


def _record(row: EmailTracking, kind: str, now: dt.datetime, detail: str = "") -> None:
    verb = {"open": "Opened", "click": "Clicked"}[kind]
    field, counter = f"first_{kind}ed_at", f"{kind}_count"
    if not _first(row, field, counter, now):
        return
    note = _note(row.interaction, verb, detail)
    if note is not None:
        EmailTracking.objects.filter(pk=row.pk).update(**{f"{kind}_note": note})
    name = "email.opened" if kind == "open" else "email.clicked"
    emit(Event(name, "interaction", row.interaction_id, None, {"at": now.isoformat()}))


def email_track_open(*, signed: str) -> bool:
    """An open pixel was loaded; False when the token is not ours (the view answers 404)."""
    row = _row(tracking.parse_open(signed))
    if row is None:
        return False
    with transaction.atomic():
        _record(row, "open", timezone.now())
    return True


def email_track_click(*, signed: str) -> str | None:
    """A tracked link was followed: the URL to redirect to, or None for a bad token or a link
    the e-mail does not have."""
    parsed = tracking.parse_click(signed)
    row = _row(parsed[0]) if parsed else None
    if row is None or parsed is None or not 0 <= parsed[1] < len(row.links):
        return None
    url = str(row.links[parsed[1]])
    now = timezone.now()
    with transaction.atomic():
        if row.first_opened_at is None:
            _record(row, "open", now)
        _record(row, "click", now, f"Link: {url}")
    return url
