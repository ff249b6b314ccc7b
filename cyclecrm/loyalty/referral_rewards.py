"""Referral conversion and the referrer's reward.

A pending referral converts once: when its lead converts (`lead.converted`) or when its referred
contact's order is paid or fulfilled (`order.paid`, `order.fulfilled`). Conversion re-checks the
self-referral rules against the contact the lead became (a lead that converts into the referrer
is refused then). The reward follows the referral's program (the first active program when the
referral was made; the first active one now if that one was deactivated):

- kind `points`: the referrer is enrolled and earns the program's `referral_converted` rule points
  through `points_for_action` with source key `referral:<id>` (idempotent, capped by the rule);
- kind `credit`: `referral_reward_credit` in the program currency is recorded on the referral and
  a note on the referrer's timeline tells staff to apply it.

Both are written in the conversion's transaction; `referral.converted` is emitted after commit."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from cyclecrm.catalog.pricing import money_label
from cyclecrm.contacts.models import Contact
from cyclecrm.core.events import Event, emit, subscribe
from cyclecrm.identity.system import system_actor
from cyclecrm.loyalty.earning import points_for_action
from cyclecrm.loyalty.membership import member_enroll
from cyclecrm.loyalty.models import (
    EarningAction,
    LoyaltyProgram,
    Referral,
    ReferralRewardKind,
    ReferralStatus,
)
from cyclecrm.loyalty.referrals import referral_program, refusal_for


def referral_convert(
    *, actor: Any, referral_id: int, contact: Contact | None = None
) -> Referral | None:
    """Convert the pending referral and grant the reward; None when it was not pending (already
    converted or refused) or turns out to be a self-referral (then it is refused)."""
    with transaction.atomic():
        # Only the referral row is locked (PostgreSQL refuses FOR UPDATE across the outer join
        # a nullable `program` would need); its referrer and program load after the lock.
        referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
        if referral is None or referral.status != ReferralStatus.PENDING:
            return None
        if contact is not None and _refused_at_conversion(referral, contact):
            return None
        referral.status = ReferralStatus.CONVERTED
        referral.converted_at = timezone.now()
        if contact is not None and referral.contact_id is None and not _referred(contact):
            referral.contact = contact
        _grant_reward(actor, referral)
        referral.save()
        emit(_converted_event(actor, referral))
    return referral


def _referred(contact: Contact) -> bool:
    return Referral.objects.filter(contact=contact).exists()


def _refused_at_conversion(referral: Referral, contact: Contact) -> bool:
    reason = refusal_for(
        referrer=referral.referrer, program=referral.program, email=contact.email, contact=contact
    )
    if not reason:
        return False
    referral.status = ReferralStatus.REFUSED
    referral.refusal_reason = reason
    referral.save(update_fields=["status", "refusal_reason"])
    return True


def _reward_program(referral: Referral) -> LoyaltyProgram | None:
    if referral.program is not None and referral.program.is_active:
        return referral.program
    return referral_program()


def _grant_reward(actor: Any, referral: Referral) -> None:
    program = _reward_program(referral)
    if program is None:
        return
    referral.program = program
    if program.referral_reward_kind == ReferralRewardKind.CREDIT:
        _grant_credit(actor, referral, program)
        return
    member_enroll(program=program, contact=referral.referrer, actor=actor)
    entries = points_for_action(
        contact_id=referral.referrer_id,
        action=EarningAction.REFERRAL_CONVERTED,
        source_key=f"referral:{referral.pk}",
        reason=f"Referral #{referral.pk} converted",
        actor=actor,
        referral=referral,
    )
    referral.reward_points = sum(entry.points for entry in entries)
    if entries:
        referral.rewarded_at = timezone.now()


def _grant_credit(actor: Any, referral: Referral, program: LoyaltyProgram) -> None:
    from cyclecrm.activities.interactions import interaction_log

    amount = program.referral_reward_credit
    if not amount or amount <= 0:
        return
    referral.reward_credit = amount
    referral.reward_currency = program.currency
    referral.rewarded_at = timezone.now()
    label = money_label(amount, program.currency)
    interaction_log(
        actor=system_actor(),
        data={
            "channel": "note",
            "contact": referral.referrer_id,
            "subject": f"Referral credit to apply: {label}",
            "body": (
                f"<p>Referral #{referral.pk} converted in the program {program.name}. "
                f"Apply a credit of {label} to this customer.</p>"
            ),
        },
    )


def _converted_event(actor: Any, referral: Referral) -> Event:
    return Event(
        "referral.converted",
        "contact",
        referral.referrer_id,
        getattr(actor, "pk", None),
        {
            "referral_id": referral.pk,
            "lead_id": referral.lead_id,
            "referred_contact_id": referral.contact_id,
            "program_id": referral.program_id,
            "reward_points": referral.reward_points,
            "reward_credit": str(referral.reward_credit),
            "reward_currency": referral.reward_currency,
        },
    )


# -- event handlers ----------------------------------------------------------------------------


def on_lead_converted(event: Event) -> None:
    referral = Referral.objects.filter(lead_id=event.object_id).only("pk").first()
    contact = Contact.objects.filter(pk=(event.data or {}).get("contact")).first()
    if referral is not None:
        referral_convert(actor=system_actor(), referral_id=referral.pk, contact=contact)


def on_order_paid(event: Event) -> None:
    from cyclecrm.catalog.models import Order

    contact_id = Order.objects.filter(pk=event.object_id).values_list("contact_id", flat=True)
    referral = (
        Referral.objects.filter(contact_id__in=contact_id, status=ReferralStatus.PENDING)
        .only("pk")
        .first()
    )
    if referral is not None:
        referral_convert(actor=system_actor(), referral_id=referral.pk)


def subscribe_handlers() -> None:
    subscribe("lead.converted", on_lead_converted)
    subscribe("order.paid", on_order_paid)
    subscribe("order.fulfilled", on_order_paid)
