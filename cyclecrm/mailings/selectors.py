"""Reads for mailings: lists through the one visibility gate, recipients, and the statistics."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.mailings.models import Mailing, MailingRecipient, RecipientState


def mailing_list(*, actor: User, action: str = Action.READ) -> QuerySet[Mailing]:
    return access.restrict(Mailing.objects.all(), actor, action).select_related("owner", "segment")


def mailing_get(*, actor: User, pk: Any, action: str = Action.READ) -> Mailing:
    mailing = None
    if str(pk).isdigit():
        mailing = mailing_list(actor=actor, action=action).filter(pk=pk).first()
    if mailing is None:
        raise NotFound("No mailing with this id.")
    return mailing


def recipient_list(*, mailing: Mailing) -> QuerySet[MailingRecipient]:
    """The mailing's recipients (whoever may read the mailing sees who it went to)."""
    return MailingRecipient.objects.filter(mailing=mailing).select_related("contact")


def preview_contact(*, actor: User, pk: Any) -> Contact:
    contact = None
    if str(pk).isdigit():
        contact = access.restrict(Contact.objects.filter(pk=pk), actor).first()
    if contact is None:
        raise NotFound("No contact with this id.", fields={"contact_id": ["Not found."]})
    return contact


def conversion_q() -> Q:
    """A recipient converted: after the message was sent, their contact got an opportunity in a
    won stage, or a lead was converted into them. One place to extend (campaign attribution
    will add its own condition here)."""
    from cyclecrm.leads.models import Lead
    from cyclecrm.pipeline.models import Opportunity, StageKind

    won = Opportunity.objects.filter(
        contact_id=OuterRef("contact_id"),
        stage__kind=StageKind.WON,
        closed_at__gte=OuterRef("sent_at"),
    )
    converted = Lead.objects.filter(
        converted_contact_id=OuterRef("contact_id"), converted_at__gte=OuterRef("sent_at")
    )
    return Q(sent_at__isnull=False) & (Q(Exists(won)) | Q(Exists(converted)))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def mailing_stats(*, mailing: Mailing) -> dict[str, Any]:
    """Counts in one aggregate query over the recipients, then the rates (`None` when the
    base is zero). Opens and clicks are unique per recipient; delivered = sent - bounced."""
    states = RecipientState
    counts = MailingRecipient.objects.filter(mailing=mailing).aggregate(
        recipients=Count("id"),
        pending=Count("id", filter=Q(state__in=(states.PENDING, states.SENDING))),
        suppressed=Count("id", filter=Q(state=states.SUPPRESSED)),
        failed=Count("id", filter=Q(state=states.FAILED)),
        sent=Count("id", filter=Q(sent_at__isnull=False)),
        bounced=Count("id", filter=Q(state=states.BOUNCED, sent_at__isnull=False)),
        opened=Count("id", filter=Q(first_opened_at__isnull=False)),
        clicked=Count("id", filter=Q(first_clicked_at__isnull=False)),
        unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)),
        conversions=Count("id", filter=conversion_q()),
    )
    delivered = max(counts["sent"] - counts["bounced"], 0)
    return {
        **counts,
        "delivered": delivered,
        "open_rate": _rate(counts["opened"], delivered),
        "click_rate": _rate(counts["clicked"], delivered),
        "click_to_open": _rate(counts["clicked"], counts["opened"]),
        "unsubscribe_rate": _rate(counts["unsubscribed"], delivered),
        "conversion_rate": _rate(counts["conversions"], delivered),
        "suppressed_by_reason": dict(mailing.suppressed or {}),
    }
