"""Domain events that end or start enrollments, delivered after commit (core/events.py).

- `interaction.created` (an inbound e-mail): exits on reply at once, not only at the next step;
- `contact.updated` to do-not-contact: exits on unsubscribe;
- `lead.converted`, `opportunity.won`: exits on conversion;
- `form.submitted`: enrolls the lead (or the contact with its address) into every
  active sequence whose enrollment form it is;
- `email.opened`, `email.clicked` (`object_id` = the e-mail interaction; sent by the e-mail
  tracking, integrations/services/tracking.py): marks the step run that sent it, for branches
  and statistics.
"""

from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.utils import timezone

from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.contacts.models import Contact
from cyclecrm.core.events import Event
from cyclecrm.identity.system import system_actor
from cyclecrm.integrations.selectors import is_tracking_note
from cyclecrm.leads.models import Lead
from cyclecrm.mailings.selectors import is_campaign_tracking_note
from cyclecrm.nurture.enrollment import enroll_unchecked, exit_enrollment
from cyclecrm.nurture.models import (
    Enrollment,
    EnrollmentSource,
    EnrollmentState,
    ExitReason,
    Sequence,
    SequenceStatus,
    StepRun,
)


def _open(flag: str, person: Q) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(
        person,
        state__in=(EnrollmentState.ACTIVE, EnrollmentState.PAUSED),
        **{f"sequence__{flag}": True},
    ).select_related("sequence")


def _exit_all(rows: QuerySet[Enrollment], reason: str) -> None:
    for enrollment in rows:
        exit_enrollment(enrollment, reason)


def on_interaction_created(event: Event) -> None:
    row = (
        Interaction.objects.filter(
            pk=event.object_id, channel=Channel.EMAIL, direction=Direction.INBOUND
        )
        .exclude(is_tracking_note())
        .exclude(is_campaign_tracking_note())
        .first()
    )
    if row is None or (row.contact_id is None and row.lead_id is None):
        return
    person = Q(contact_id=row.contact_id) if row.contact_id else Q(lead_id=row.lead_id)
    _exit_all(_open("exit_on_reply", person), ExitReason.REPLIED)


def on_contact_updated(event: Event) -> None:
    if "do_not_contact" not in event.data.get("changed", []):
        return
    if Contact.objects.filter(pk=event.object_id, do_not_contact=True).exists():
        rows = _open("exit_on_unsubscribe", Q(contact_id=event.object_id))
        _exit_all(rows, ExitReason.UNSUBSCRIBED)


def on_lead_converted(event: Event) -> None:
    person = Q(lead_id=event.object_id)
    if event.data.get("contact"):
        person |= Q(contact_id=event.data["contact"])
    _exit_all(_open("exit_on_conversion", person), ExitReason.CONVERTED)


def on_opportunity_won(event: Event) -> None:
    from cyclecrm.pipeline.models import Opportunity

    contact_id = (
        Opportunity.objects.filter(pk=event.object_id).values_list("contact_id", flat=True).first()
    )
    if contact_id:
        _exit_all(_open("exit_on_conversion", Q(contact_id=contact_id)), ExitReason.CONVERTED)


def on_form_submitted(event: Event) -> None:
    lead = Lead.objects.filter(pk=event.data.get("lead")).first()
    if lead is None:
        return
    sequences = Sequence.objects.filter(
        enroll_form_id=event.data.get("form"),
        status__in=(SequenceStatus.ACTIVE, SequenceStatus.PAUSED),
    )
    contact = (
        Contact.objects.filter(email=lead.email).order_by("id").first() if lead.email else None
    )
    for sequence in sequences:
        contacts, leads = ([contact.pk], []) if contact else ([], [lead.pk])
        enroll_unchecked(sequence, contacts, leads, EnrollmentSource.FORM, system_actor())


def _engagement(field: str) -> Callable[[Event], None]:
    def handler(event: Event) -> None:
        at = event.data.get("at") or timezone.now()
        StepRun.objects.filter(interaction_id=event.object_id, **{f"{field}__isnull": True}).update(
            **{field: at}
        )
        if field == "clicked_at":  # a click implies the mail was opened
            StepRun.objects.filter(interaction_id=event.object_id, opened_at__isnull=True).update(
                opened_at=at
            )

    return handler


HANDLERS: dict[str, Callable[[Event], None]] = {
    "interaction.created": on_interaction_created,
    "contact.updated": on_contact_updated,
    "lead.converted": on_lead_converted,
    "opportunity.won": on_opportunity_won,
    "form.submitted": on_form_submitted,
    "email.opened": _engagement("opened_at"),
    "email.clicked": _engagement("clicked_at"),
}
