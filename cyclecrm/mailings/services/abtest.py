"""A/B tests of a mailing (docs/ab-testing.md, "E-mail campaigns"): variants and settings, the
seeded split of the audience at send start, the evaluation after the waiting period, and
sending the chosen variant to the held-back rest through the same at-most-once pipeline."""

import copy
import datetime as dt
import string
from typing import Any

from django.db import transaction
from django.template import TemplateSyntaxError
from django.utils import timezone

from cyclecrm.analytics import experiments
from cyclecrm.core.errors import FieldErrors, ValidationFailed
from cyclecrm.core.richtext import sanitize_email_html
from cyclecrm.identity.models import User
from cyclecrm.identity.system import system_actor
from cyclecrm.integrations.templating import check_template
from cyclecrm.mailings.models import (
    AbMetric,
    AbState,
    Mailing,
    MailingRecipient,
    MailingStatus,
    MailingVariant,
    RecipientState,
)

AB_FIELDS = {
    "ab_test_share", "ab_metric", "ab_wait_hours", "ab_auto_winner", "ab_seed", "ab_alpha",
    "ab_min_sample", "ab_min_effect",
}  # fmt: skip
VARIANT_FIELDS = ("subject", "from_name", "html_body")
VARIANT_MAX_LENGTH = {"subject": 300, "from_name": 200, "html_body": 200000}
LABELS = string.ascii_uppercase[:10]
MAX_WAIT_HOURS = 24 * 30
CHOOSABLE = (AbState.WAITING, AbState.AWAITING_CHOICE)
NOT_CHOOSABLE = "A winner can be sent once the test groups were sent and before it was sent."


def check_settings(data: dict[str, Any], errors: FieldErrors) -> None:
    """Range checks of the A/B settings present in `data` (422 naming the field)."""
    share = data.get("ab_test_share")
    if share is not None and not 1 <= int(share) <= 100:
        errors.add("ab_test_share", "Between 1 and 100 percent.")
    metric = data.get("ab_metric")
    if metric is not None and metric not in AbMetric.values:
        errors.add("ab_metric", f"One of {', '.join(AbMetric.values)}.")
    wait = data.get("ab_wait_hours")
    if wait is not None and not 0 <= int(wait) <= MAX_WAIT_HOURS:
        errors.add("ab_wait_hours", f"Between 0 and {MAX_WAIT_HOURS} hours.")
    alpha = data.get("ab_alpha")
    if alpha is not None and not 0 < float(alpha) <= 0.2:
        errors.add("ab_alpha", "Above 0 and at most 0.2.")
    sample = data.get("ab_min_sample")
    if sample is not None and int(sample) < 1:
        errors.add("ab_min_sample", "At least 1.")
    effect = data.get("ab_min_effect")
    if effect is not None and not 0 < float(effect) < 1:
        errors.add("ab_min_effect", "Above 0 and below 1.")
    if "ab_seed" in data:
        data["ab_seed"] = str(data["ab_seed"] or "").strip()[:64]


def clean_variants(raw: Any, errors: FieldErrors) -> list[dict[str, str]]:
    """Variants in label order (A, B, …; A is the control): none, or two to ten; each field
    is optional (falls back to the mailing's) and templates must compile."""
    variants = list(raw or [])
    if len(variants) == 1:
        errors.add("variants", "Give at least two variants, or none.")
    if len(variants) > len(LABELS):
        errors.add("variants", f"At most {len(LABELS)} variants.")
    cleaned = []
    for index, item in enumerate(variants[: len(LABELS)]):
        row = {name: str((item or {}).get(name) or "") for name in VARIANT_FIELDS}
        row["subject"] = " ".join(row["subject"].split())
        row["from_name"] = row["from_name"].strip()
        for name, limit in VARIANT_MAX_LENGTH.items():
            if len(row[name]) > limit:
                errors.add(f"variants[{index}].{name}", f"At most {limit} characters.")
        row["html_body"] = sanitize_email_html(row["html_body"]) if row["html_body"] else ""
        for name in ("subject", "html_body"):
            try:
                check_template(row[name])
            except TemplateSyntaxError as exc:
                errors.add(f"variants[{index}].{name}", f"Template error: {exc}")
        if not any(row.values()):
            errors.add(f"variants[{index}]", "Set a subject, a sender name or a body.")
        cleaned.append(row)
    return cleaned


def replace_variants(mailing: Mailing, variants: list[dict[str, str]]) -> None:
    """Store `variants` as the mailing's (inside the caller's transaction); a prefetched list
    on `mailing` is dropped so the response shows the new ones."""
    getattr(mailing, "_prefetched_objects_cache", {}).pop("variants", None)
    MailingVariant.objects.filter(mailing=mailing).delete()
    MailingVariant.objects.bulk_create(
        MailingVariant(mailing=mailing, label=label, **row)
        for label, row in zip(LABELS, variants, strict=False)
    )


def variant_labels(mailing: Mailing) -> list[str]:
    return list(mailing.variants.order_by("label").values_list("label", flat=True))


def split_recipients(mailing: Mailing, recipients: list[MailingRecipient]) -> bool:
    """Deal the eligible (pending) recipients to the variants with the seeded split; the rest
    are held back. Unsaved rows, changed in place. Returns whether the mailing is a test."""
    labels = variant_labels(mailing)
    if len(labels) < 2:
        return False
    eligible = [row for row in recipients if row.state == RecipientState.PENDING]
    seed = mailing.ab_seed or str(mailing.pk)
    mapping = experiments.assign(
        [row.contact_id for row in eligible], labels, mailing.ab_test_share / 100, seed
    )
    for row in eligible:
        row.variant = mapping[row.contact_id]
        if row.variant is None:
            row.held_back = True
            row.state = RecipientState.HELD
    return True


def variant_view(mailing: Mailing, variant: MailingVariant | None) -> Mailing:
    """The mailing as one variant's recipients get it: the variant's non-blank fields win."""
    if variant is None:
        return mailing
    view = copy.copy(mailing)
    for name in VARIANT_FIELDS:
        if getattr(variant, name):
            setattr(view, name, getattr(variant, name))
    return view


def test_groups_sent(mailing: Mailing, *, now: dt.datetime | None = None) -> None:
    """Called when no recipient is pending: a test that was sending its groups now waits."""
    now = now or timezone.now()
    Mailing.objects.filter(pk=mailing.pk, ab_state=AbState.TESTING).update(
        ab_state=AbState.WAITING, ab_evaluate_at=now + dt.timedelta(hours=mailing.ab_wait_hours)
    )


def send_variant_to_rest(*, actor: User, mailing: Mailing, variant: str) -> Mailing:
    """Send `variant` to the held-back recipients, once: the held rows become pending with the
    variant's label under the mailing's row lock, and the usual batches send them. The caller
    checked the actor may edit the mailing."""
    from cyclecrm.mailings.services.mailings import set_status
    from cyclecrm.mailings.services.sending import enqueue_send

    with transaction.atomic():
        mailing = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if mailing.ab_state not in CHOOSABLE:
            raise ValidationFailed(fields={"status": [NOT_CHOOSABLE]})
        if variant not in variant_labels(mailing):
            raise ValidationFailed(fields={"variant": ["No variant with this label."]})
        held = MailingRecipient.objects.filter(mailing=mailing, state=RecipientState.HELD)
        count = held.update(state=RecipientState.PENDING, variant=variant)
        Mailing.objects.filter(pk=mailing.pk).update(
            ab_state=AbState.WINNER_SENT, ab_winner=variant
        )
        mailing.refresh_from_db()
        if count and mailing.status == MailingStatus.SENT:
            mailing = set_status(actor, mailing, MailingStatus.SENDING)
            enqueue_send(mailing.pk)
    mailing.refresh_from_db()
    return mailing


def mailings_evaluate_ab_tests(*, now: dt.datetime | None = None) -> list[int]:
    """Tests whose waiting period is over: a declared winner goes to the rest when the mailing
    says so; otherwise (no winner, or manual choice) the test waits for a click, with the
    reason kept. Returns the evaluated mailing ids."""
    from cyclecrm.mailings.selectors import ab_decision

    now = now or timezone.now()
    due = Mailing.objects.filter(ab_state=AbState.WAITING, ab_evaluate_at__lte=now)
    done = []
    for mailing in due.order_by("id"):
        decision = ab_decision(mailing=mailing)
        if decision.verdict == "winner" and mailing.ab_auto_winner:
            try:
                send_variant_to_rest(actor=system_actor(), mailing=mailing, variant=decision.winner)
            except ValidationFailed:
                continue  # a person chose a variant meanwhile: theirs stands
            Mailing.objects.filter(pk=mailing.pk).update(ab_reason=decision.reason[:500])
        else:
            reason = decision.reason
            if decision.verdict == "winner":
                reason = f"{reason} Automatic sending is off: send the winner by a click."
            Mailing.objects.filter(pk=mailing.pk, ab_state=AbState.WAITING).update(
                ab_state=AbState.AWAITING_CHOICE, ab_reason=reason[:500]
            )
        done.append(mailing.pk)
    return done
