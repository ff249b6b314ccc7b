"""Reads for mailings: lists through the one visibility gate, recipients, and the statistics."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from cyclecrm.analytics import experiments
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.mailings.models import Mailing, MailingRecipient, RecipientState


def mailing_list(*, actor: User, action: str = Action.READ) -> QuerySet[Mailing]:
    return (
        access.restrict(Mailing.objects.all(), actor, action)
        .select_related("owner", "segment", "campaign")
        .prefetch_related("variants")
    )


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


def engagement_counts() -> dict[str, Count]:
    """The recipient counts every e-mail rate derives from, for `aggregate`/`annotate` (one
    definition: the mailing page and the e-mail KPIs). Opens and clicks are unique per
    recipient; a bounce counts only for a message that was sent."""
    return {
        "sent": Count("id", filter=Q(sent_at__isnull=False)),
        "bounced": Count("id", filter=Q(state=RecipientState.BOUNCED, sent_at__isnull=False)),
        "opened": Count("id", filter=Q(first_opened_at__isnull=False)),
        "clicked": Count("id", filter=Q(first_clicked_at__isnull=False)),
        "unsubscribed": Count("id", filter=Q(unsubscribed_at__isnull=False)),
    }


def delivered_count(counts: dict[str, int]) -> int:
    """Delivered messages: sent minus bounced."""
    return max(counts["sent"] - counts["bounced"], 0)


def mailing_stats(*, mailing: Mailing) -> dict[str, Any]:
    """Counts in one aggregate query over the recipients, then the rates (`None` when the
    base is zero). Opens and clicks are unique per recipient; delivered = sent - bounced."""
    states = RecipientState
    counts = MailingRecipient.objects.filter(mailing=mailing).aggregate(
        recipients=Count("id"),
        pending=Count("id", filter=Q(state__in=(states.PENDING, states.SENDING))),
        suppressed=Count("id", filter=Q(state=states.SUPPRESSED)),
        failed=Count("id", filter=Q(state=states.FAILED)),
        **engagement_counts(),
        conversions=Count("id", filter=conversion_q()),
    )
    delivered = delivered_count(counts)
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


_COUNT_KEYS = ("recipients", "sent", "delivered", "opened", "clicked", "conversions")
_METRIC_COUNT = {"open": "opened", "click": "clicked", "conversion": "conversions"}


def _variant_counts(mailing: Mailing) -> dict[str, dict[str, int]]:
    """Per-variant counts of the test groups (held-back rows excluded), one grouped query."""
    states = RecipientState
    rows = (
        MailingRecipient.objects.filter(mailing=mailing, held_back=False, variant__isnull=False)
        .values("variant")
        .annotate(
            recipients=Count("id"),
            sent=Count("id", filter=Q(sent_at__isnull=False)),
            bounced=Count("id", filter=Q(state=states.BOUNCED, sent_at__isnull=False)),
            opened=Count("id", filter=Q(first_opened_at__isnull=False)),
            clicked=Count("id", filter=Q(first_clicked_at__isnull=False)),
            conversions=Count("id", filter=conversion_q()),
        )
        .order_by()
    )
    return {row.pop("variant"): row for row in rows}


def _ab_inputs(
    mailing: Mailing,
) -> tuple[list[experiments.Variant], dict[str, dict[str, int]]]:
    counts = _variant_counts(mailing)
    metric = _METRIC_COUNT[mailing.ab_metric]
    variants = []
    for variant in mailing.variants.order_by("label"):
        row = counts.get(variant.label) or dict.fromkeys(
            ("recipients", "sent", "bounced", "opened", "clicked", "conversions"), 0
        )
        row["delivered"] = max(row["sent"] - row["bounced"], 0)
        row["successes"] = min(row[metric], row["delivered"])
        counts[variant.label] = row
        variants.append(experiments.Variant(variant.label, row["successes"], row["delivered"]))
    return variants, counts


def ab_decision(*, mailing: Mailing) -> experiments.Decision:
    """`experiments.decide` on the mailing's metric: trials are the delivered messages of each
    test group, successes its unique opens, clicks or conversions; A is the control."""
    variants, _ = _ab_inputs(mailing)
    return _decide(mailing, variants)


def _decide(mailing: Mailing, variants: list[experiments.Variant]) -> experiments.Decision:
    return experiments.decide(
        variants,
        alpha=mailing.ab_alpha,
        min_sample=mailing.ab_min_sample,
        minimum_effect=mailing.ab_min_effect,
    )


def ab_results(*, mailing: Mailing) -> dict[str, Any] | None:
    """The results page's figures, or None when the mailing has no A/B test."""
    if mailing.variants.count() < 2:
        return None
    variants, counts = _ab_inputs(mailing)
    decision = _decide(mailing, variants)
    held = MailingRecipient.objects.filter(mailing=mailing, held_back=True).count()
    rows = []
    for variant, result in zip(mailing.variants.order_by("label"), decision.variants, strict=True):
        comparison = result.comparison
        rows.append(
            {
                "label": variant.label,
                "subject": variant.subject or mailing.subject,
                "from_name": variant.from_name or mailing.from_name,
                **{key: counts[variant.label][key] for key in _COUNT_KEYS},
                "rate": result.rate,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
                "probability_best": result.probability_best,
                "difference": comparison.difference if comparison else None,
                "difference_ci_low": comparison.ci_low if comparison else None,
                "difference_ci_high": comparison.ci_high if comparison else None,
                "p_value": comparison.p_value if comparison else None,
            }
        )
    return {
        "metric": mailing.ab_metric,
        "state": mailing.ab_state,
        "test_share": mailing.ab_test_share,
        "evaluate_at": mailing.ab_evaluate_at,
        "auto_winner": mailing.ab_auto_winner,
        "held_back": held,
        "sent_winner": mailing.ab_winner or None,
        "alpha": decision.alpha,
        "corrected_alpha": decision.corrected_alpha,
        "required_per_variant": decision.required_per_variant,
        "verdict": decision.verdict,
        "winner": decision.winner,
        "reason": decision.reason,
        "recorded_reason": mailing.ab_reason,
        "variants": rows,
    }


def is_campaign_tracking_note() -> Exists:
    """For an interaction queryset: whether the row is the "Opened" / "Clicked" entry of a
    campaign e-mail, which is inbound but no reply (`exclude(is_campaign_tracking_note())`)."""
    return Exists(
        MailingRecipient.objects.filter(Q(open_note=OuterRef("pk")) | Q(click_note=OuterRef("pk")))
    )
