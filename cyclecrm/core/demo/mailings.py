"""Demo step for e-mail campaigns: one mailing to the trade fair list, sent through the real
services (mail discarded by Django's dummy backend), with opens, clicks, a bounce and an
unsubscribe recorded the way the tracking endpoints record them; and a finished A/B test of two
subjects whose small groups left the choice to a click (variant B was then sent to the rest)."""

from typing import Any

from cyclecrm.core.demo.context import DemoContext
from cyclecrm.mailings import tokens
from cyclecrm.mailings.models import MailingRecipient, RecipientState
from cyclecrm.mailings.services.abtest import mailings_evaluate_ab_tests, send_variant_to_rest
from cyclecrm.mailings.services.audience import mailing_start
from cyclecrm.mailings.services.mailings import mailing_create
from cyclecrm.mailings.services.sending import mailing_send_batch
from cyclecrm.mailings.services.tracking import (
    bounce_record,
    recipient_unsubscribe,
    track_click,
    track_open,
)
from cyclecrm.segments.models import Segment

HTML = (
    "<p>Hello {{ contact.first_name }},</p>"
    "<p>Meet us at the autumn trade fair{% if contact.city %} — a short trip from "
    "{{ contact.city }}{% endif %}: stand B12, hall 3.</p>"
    '<p><a href="https://example.com/trade-fair">Book a meeting slot</a></p>'
    '<p>Regards,<br>{{ sender.first_name }}</p><p><a href="{{ unsubscribe_url }}">'
    "Unsubscribe</a></p>"
)
DISCARD = "django.core.mail.backends.dummy.EmailBackend"


def build_mailings(context: DemoContext) -> None:
    owner = context.users.get("marketer") or context.users.get("admin")
    audience = Segment.objects.filter(name="Trade fair invitees").first()
    if owner is None or audience is None:
        return
    mailing = mailing_create(
        actor=owner,
        data={
            "name": "Autumn trade fair invitation",
            "subject": "{{ contact.first_name }}, meet us at the trade fair",
            "from_name": "Cycle CRM Events",
            "html_body": HTML,
            "segment_id": audience.pk,
            "rate_per_minute": 500,
        },
    )
    mailing_start(actor=owner, mailing=mailing)
    mailing_send_batch(mailing_id=mailing.pk, backend=DISCARD)
    sent = list(mailing.recipients.filter(state=RecipientState.SENT).order_by("id"))
    _engage(context, sent)
    _ab_test(context, owner, audience)
    context.counts["mailings"] = 2


def _ab_test(context: DemoContext, owner: Any, audience: Segment) -> None:
    mailing = mailing_create(
        actor=owner,
        data={
            "name": "Trade fair reminder (A/B test)",
            "subject": "Reminder: the trade fair",
            "from_name": "Cycle CRM Events",
            "html_body": HTML,
            "segment_id": audience.pk,
            "rate_per_minute": 500,
            "variants": [
                {"subject": "Reminder: stand B12, hall 3"},
                {"subject": "{{ contact.first_name }}, your meeting slot is waiting"},
            ],
            "ab_test_share": 60,
            "ab_wait_hours": 0,
            "ab_seed": "demo",
        },
    )
    mailing_start(actor=owner, mailing=mailing)
    mailing_send_batch(mailing_id=mailing.pk, backend=DISCARD)
    rng = context.rng("mailings-ab")
    for recipient in mailing.recipients.filter(state=RecipientState.SENT).order_by("id"):
        if rng.random() < (0.6 if recipient.variant == "B" else 0.3):
            track_open(signed=tokens.sign("open", recipient.token))
    mailings_evaluate_ab_tests()  # too few messages: no automatic winner, the reason is kept
    send_variant_to_rest(actor=owner, mailing=mailing, variant="B")
    mailing_send_batch(mailing_id=mailing.pk, backend=DISCARD)


def _engage(context: DemoContext, sent: list[MailingRecipient]) -> None:
    rng = context.rng("mailings")
    for recipient in sent:
        if rng.random() < 0.5:
            track_open(signed=tokens.sign("open", recipient.token))
    link = sent[0].mailing.links.first() if sent else None
    for recipient in sent[: max(len(sent) // 4, 1)]:
        if link is not None:
            track_click(signed=tokens.sign("click", f"{recipient.token}.{link.pk}"))
    if len(sent) >= 3:
        bounce_record(recipient=sent[-1], kind="hard", detail="Status: 5.1.1 (demo)")
        recipient_unsubscribe(recipient=sent[-2], how="one-click")
