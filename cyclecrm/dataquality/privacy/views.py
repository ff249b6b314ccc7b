"""Privacy pages: the contact card's actions (record consent, CSV, JSON export, erase with a
confirmation step) and the retention policies settings page."""

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cyclecrm.api.lists import csv_response
from cyclecrm.contacts.selectors import contact_get
from cyclecrm.core.errors import CrmError, Forbidden, NotFound
from cyclecrm.dataquality.models import RetentionPolicy
from cyclecrm.dataquality.privacy import selectors, services
from cyclecrm.dataquality.privacy.consent_csv import consent_csv_lines
from cyclecrm.dataquality.privacy.forms import ConsentForm, RetentionPolicyForm
from cyclecrm.dataquality.privacy.retention import RETENTION_KINDS
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.web.errors import crm_view


def _contact_url(pk: int) -> str:
    return reverse("contact_detail", args=[pk]) + "#privacy"


@crm_view
@require_POST
def consent_record(request: HttpRequest, pk: int) -> HttpResponse:
    contact = contact_get(actor=request.user, pk=pk)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Consent not recorded: " + form.errors.as_text())
        return redirect(_contact_url(contact.pk))
    try:
        services.consent_record_create(actor=request.user, contact=contact, **form.cleaned_data)
        messages.success(request, "Consent recorded.")
    except CrmError as exc:
        messages.error(request, exc.message)
    return redirect(_contact_url(contact.pk))


@crm_view
def consent_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    contact = contact_get(actor=request.user, pk=pk, action=Action.EXPORT)
    rows = selectors.consent_list(actor=request.user, contact=contact)
    return csv_response(consent_csv_lines(rows), f"consents-{contact.pk}")


@crm_view
def contact_export(request: HttpRequest, pk: int) -> HttpResponse:
    body = selectors.contact_export(actor=request.user, pk=pk)
    response = HttpResponse(
        json.dumps(body, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="contact-{pk}-data.json"'
    return response


@crm_view
def contact_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation page; POST with the contact's id typed again: erase."""
    contact = contact_get(actor=request.user, pk=pk)
    if not services.can_erase(request.user):
        raise Forbidden(services.ERASE_FORBIDDEN)
    if request.method == "POST":
        if request.POST.get("confirm") != str(contact.pk):
            messages.error(request, "Type the contact's number to confirm.")
        else:
            services.contact_erase(actor=request.user, contact=contact)
            messages.success(request, "The contact's personal data was erased.")
            return redirect(_contact_url(contact.pk))
    return render(request, "dataquality/privacy/erase_confirm.html", {"contact": contact})


def _policy_for(request: HttpRequest, pk: int) -> RetentionPolicy:
    policy = selectors.retention_policy_list(actor=request.user).filter(pk=pk).first()
    if policy is None:
        raise NotFound("No retention policy with this id.")
    return policy


@crm_view
def retention_settings(request: HttpRequest) -> HttpResponse:
    """Policies, a form to add one (with a dry-run count), and the latest runs."""
    policies = selectors.retention_policy_list(actor=request.user)
    form = RetentionPolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.retention_policy_save(actor=request.user, data=form.cleaned_data)
            messages.success(request, "Retention policy saved.")
            return redirect("retention_settings")
        except CrmError as exc:
            for name, reasons in exc.fields.items():
                form.add_error(name if name in form.fields else None, " ".join(reasons))
    context = {
        "policies": policies,
        "form": form,
        "runs": selectors.retention_runs(actor=request.user),
        "can_edit": access.level(request.user, "retention_policy", Action.EDIT) != Level.NONE,
    }
    return render(request, "dataquality/privacy/retention.html", context)


@crm_view
def retention_count(request: HttpRequest) -> HttpResponse:
    """htmx: how many records the policy being typed would handle now."""
    record_type = request.GET.get("record_type", "")
    days = request.GET.get("max_age_days", "")
    matched = None
    if record_type in RETENTION_KINDS and days.isdigit() and int(days) >= 1:
        matched = services.retention_dry_count(
            actor=request.user, record_type=record_type, max_age_days=int(days)
        )
    return render(request, "dataquality/privacy/_retention_count.html", {"matched": matched})


@crm_view
@require_POST
def retention_run(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy_for(request, pk)
    try:
        run = services.retention_policy_run(actor=request.user, policy=policy)
        messages.success(request, f"{run.handled} of {run.matched} records handled.")
    except CrmError as exc:
        messages.error(request, exc.message)
    return redirect("retention_settings")


@crm_view
@require_POST
def retention_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.retention_policy_delete(actor=request.user, policy=_policy_for(request, pk))
    messages.success(request, "Retention policy deleted.")
    return redirect("retention_settings")
