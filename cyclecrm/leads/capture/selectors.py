"""Reads for capture forms and their submissions, starting from the permission gate.

Capture forms have no owner: reading them takes a read level other than `none`, changing them
the `all` level. Submissions hold the personal data people typed in, so only those who may edit
the form (who manage it) see them.
"""

from typing import Any

from django.db.models import Count, QuerySet

from cyclecrm.core.errors import Forbidden, NotFound
from cyclecrm.core.pagination import orderings_with_reverse
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.leads.models import CaptureForm, FormSubmission, Lead, LeadStatus, SubmissionStatus

CAPTURE_FORM_ORDERINGS = orderings_with_reverse(
    {"name": ("name", "id"), "created_at": ("created_at", "id")}
)
SUBMISSION_ORDERINGS = orderings_with_reverse({"at": ("at", "id")})
OPEN_STATUSES = (LeadStatus.OPEN, LeadStatus.CONTACTED)


def can_manage(actor: User, action: str) -> bool:
    return access.level(actor, CaptureForm.record_type, action) == Level.ALL


def capture_form_list(*, actor: User, is_active: bool | None = None) -> QuerySet[CaptureForm]:
    queryset = access.restrict(CaptureForm.objects.all(), actor, Action.READ)
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    return queryset.select_related("created_by")


def capture_form_get(*, actor: User, pk: Any) -> CaptureForm:
    form = capture_form_list(actor=actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if form is None:
        raise NotFound("No capture form with this id.")
    return form


def capture_form_public(*, public_key: str) -> CaptureForm:
    """The active form behind a public URL; unknown and inactive keys are the same 404."""
    form = None
    if public_key and len(public_key) <= CaptureForm._meta.get_field("public_key").max_length:
        form = CaptureForm.objects.filter(public_key=public_key, is_active=True).first()
    if form is None:
        raise NotFound("No such form, or it no longer accepts submissions.")
    return form


def submission_list(
    *, actor: User, form: CaptureForm, status: str | None = None
) -> QuerySet[FormSubmission]:
    if not can_manage(actor, Action.EDIT):
        raise Forbidden("Only those who manage capture forms see their submissions.")
    queryset = FormSubmission.objects.filter(form=form)
    if status in SubmissionStatus.values:
        queryset = queryset.filter(status=status)
    return queryset.select_related("lead")


def submission_counts(*, actor: User, form: CaptureForm) -> dict[str, int]:
    """How many submissions the form received, per status."""
    counts = dict.fromkeys(SubmissionStatus.values, 0)
    rows = (
        submission_list(actor=actor, form=form)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    counts.update(dict(rows))
    return counts


def submission_by_nonce(nonce: str) -> FormSubmission | None:
    """The submission a confirmation link points to, locked for the confirming transaction."""
    return (
        FormSubmission.objects.select_for_update()
        .filter(confirmation_token=nonce)
        .exclude(status=SubmissionStatus.REJECTED)
        .first()
    )


def open_lead_by_email(*, actor: User, email: str) -> Lead | None:
    """The most recent lead with this (normalized) e-mail still being worked on: open or
    contacted, not converted. A new submission from the same person attaches to it."""
    if not email:
        return None
    leads = access.restrict(Lead.objects.all(), actor, Action.EDIT)
    return (
        leads.filter(email=email, status__in=OPEN_STATUSES, converted_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
