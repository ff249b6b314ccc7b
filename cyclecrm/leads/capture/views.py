"""Settings pages of capture forms: list, create, edit, (de)activate, and the detail page with
the public URL, the embed snippet, the JSON endpoint and the latest submissions."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import ValidationFailed, VersionConflict
from cyclecrm.core.pagination import paginate
from cyclecrm.identity import access
from cyclecrm.identity.forms import add_service_errors
from cyclecrm.identity.models import Action
from cyclecrm.identity.views.common import can_read, render_settings, require
from cyclecrm.leads.capture import selectors, services
from cyclecrm.leads.capture.embed import curl_example, embed_snippet
from cyclecrm.leads.capture.fields import field_label
from cyclecrm.leads.capture.forms import ALIASES, CaptureFormForm
from cyclecrm.leads.models import CaptureForm, FormSubmission, LeadSource, SubmissionStatus
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error, stale_version_message

TYPE = CaptureForm.record_type
NEW_FORM_INITIAL = {
    "show_fields": ["first_name", "last_name", "email", "company", "description"],
    "require_fields": ["email"],
    "source": LeadSource.WEB_FORM,
    "max_per_ip_per_hour": 10,
    "max_per_hour": 500,
    "is_active": True,
}


@crm_view
def capture_form_list(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user, TYPE))
    forms = selectors.capture_form_list(actor=request.user).order_by("-is_active", "name", "id")
    return render_settings(
        request,
        "leads/capture/form_list.html",
        {
            "forms": [(form, [field_label(name) for name in form.fields]) for form in forms],
            "can_create": selectors.can_manage(request.user, Action.CREATE),
        },
    )


@crm_view
def capture_form_create(request: HttpRequest) -> HttpResponse:
    require(selectors.can_manage(request.user, Action.CREATE))
    form = CaptureFormForm(request.POST or None, initial=NEW_FORM_INITIAL)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.capture_form_create(actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc, ALIASES)
        else:
            messages.success(request, f"Capture form “{created}” created.")
            return redirect("capture_form_detail", pk=created.pk)
    return render_settings(
        request, "leads/capture/form_edit.html", {"form": form, "creating": True}
    )


@crm_view
def capture_form_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(selectors.can_manage(request.user, Action.EDIT))
    subject = selectors.capture_form_get(actor=request.user, pk=pk)
    form = CaptureFormForm(request.POST or None, instance=subject)
    if request.method == "POST" and form.is_valid():
        try:
            services.capture_form_update(
                actor=request.user,
                form=subject,
                data=form.service_data(),
                version=posted_version(request),
            )
        except VersionConflict:
            stale_version_error(form, "capture form")
        except ValidationFailed as exc:
            add_service_errors(form, exc, ALIASES)
        else:
            messages.success(request, f"Capture form “{subject}” saved.")
            return redirect("capture_form_detail", pk=subject.pk)
    return render_settings(
        request,
        "leads/capture/form_edit.html",
        {"form": form, "creating": False, "subject": subject},
    )


@require_POST
@crm_view
def capture_form_active(request: HttpRequest, pk: int) -> HttpResponse:
    require(selectors.can_manage(request.user, Action.EDIT))
    subject = selectors.capture_form_get(actor=request.user, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.capture_form_update(
            actor=request.user,
            form=subject,
            data={"is_active": active},
            version=posted_version(request),
        )
    except (VersionConflict, ValidationFailed):
        stale_version_message(request, "capture form")
        return redirect("capture_form_detail", pk=subject.pk)
    state = "activated" if active else "deactivated: it answers 404 until reactivated"
    messages.success(request, f"Capture form “{subject}” {state}.")
    return redirect("capture_form_detail", pk=subject.pk)


def _lead_url(name: str, pk: int) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:  # the lead pages are not installed
        return ""


def _submissions(request: HttpRequest, form: CaptureForm) -> dict[str, Any]:
    """The latest submissions, newest first, a page at a time (keyset: `?cursor=`)."""
    status = request.GET.get("status") or None
    rows = selectors.submission_list(actor=request.user, form=form, status=status)
    page = paginate(
        rows,
        orderings=selectors.SUBMISSION_ORDERINGS,
        ordering="-at",
        default_ordering="-at",
        limit=settings.CYCLECRM["UI_PAGE_SIZE"],
        cursor=request.GET.get("cursor") or None,
    )
    counts = selectors.submission_counts(actor=request.user, form=form)
    return {
        "submissions": [_submission_row(request, row) for row in page.items],
        "next_cursor": page.next_cursor,
        "status_filter": status if status in SubmissionStatus.values else "",
        "status_choices": [
            (value, label, counts[value]) for value, label in SubmissionStatus.choices
        ],
        "paged": bool(request.GET.get("cursor")),
    }


def _submission_row(request: HttpRequest, row: FormSubmission) -> dict[str, Any]:
    values = (row.data or {}).get("values") or {}
    lead = row.lead
    visible = lead is not None and access.can(request.user, Action.READ, lead)
    name = " ".join(str(values.get(key, "")) for key in ("first_name", "last_name")).strip()
    return {
        "row": row,
        "who": name or values.get("company") or "",
        "email": values.get("email", ""),
        "lead": lead if visible else None,
        "lead_url": _lead_url("lead_detail", lead.pk) if visible else "",
        "utm": (row.data or {}).get("utm") or {},
        "consent": (row.data or {}).get("consent", False),
    }


@crm_view
def capture_form_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_read(request.user, TYPE))
    form = selectors.capture_form_get(actor=request.user, pk=pk)
    public_url = request.build_absolute_uri(reverse("capture_form_public", args=[form.public_key]))
    submit_url = request.build_absolute_uri(f"/api/v1/forms/{form.public_key}/submit")
    can_edit = selectors.can_manage(request.user, Action.EDIT)
    context = {
        "subject": form,
        "field_labels": [(field_label(name), name in form.required_fields) for name in form.fields],
        "public_url": public_url,
        "submit_url": submit_url,
        "snippet": embed_snippet(form, public_url),
        "curl": curl_example(submit_url, form),
        "can_edit": can_edit,
    }
    if can_edit:
        context |= _submissions(request, form)
    return render_settings(request, "leads/capture/form_detail.html", context)
