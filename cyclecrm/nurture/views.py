"""Sequence pages: list, detail (steps with statistics, reorder, status, enrollments by keyset
pages, enroll form), create/edit, the step form, and enrolling from contact and segment pages."""

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import CrmError, Forbidden, VersionConflict
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.leads.models import CaptureForm
from cyclecrm.nurture import enrollment as enrolling
from cyclecrm.nurture import selectors, services
from cyclecrm.nurture.forms import TYPE_FIELDS, EnrollForm, SequenceForm, StepForm
from cyclecrm.nurture.models import OPEN_STATES, Sequence
from cyclecrm.segments.selectors import segment_get, segment_list
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error

PER_PAGE = 50
LIST_ORDERINGS = orderings_with_reverse({"name": ("name", "id")})
ENROLLMENT_ORDERINGS = orderings_with_reverse({"enrolled_at": ("enrolled_at", "id")})
SEQUENCE_FIELDS = ["name", "description", "exit_on_reply", "exit_on_conversion",
                   "exit_on_unsubscribe", "enroll_form_id"]  # fmt: skip

# The form fields shown for each step type (a branch's condition has its own inputs).
STEP_GROUPS = [
    (kind, [*names.values(), *(["score", "rules"] if kind == "branch" else [])])
    for kind, names in TYPE_FIELDS.items()
]


def _errors_to_form(form: forms.Form, exc: CrmError, field_for: Any = None) -> None:
    for path, reasons in exc.fields.items():
        name = field_for(path) if field_for else path
        for reason in reasons:
            if name in form.fields:
                form.add_error(name, reason)
            else:
                form.add_error(None, f"{path}: {reason}")
    if not exc.fields:
        form.add_error(None, exc.message)


@crm_view
def sequence_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.sequence_list(actor=request.user).annotate(
        active_count=Count("enrollments", filter=Q(enrollments__state__in=OPEN_STATES)),
        step_count=Count("steps", distinct=True),
    )
    page = paginate(rows, orderings=LIST_ORDERINGS, ordering=None, default_ordering="name",
                    limit=PER_PAGE, cursor=request.GET.get("cursor") or None)  # fmt: skip
    can_create = access.level(request.user, Sequence.record_type, Action.CREATE) != Level.NONE
    return render(request, "nurture/sequence_list.html", {"page": page, "can_create": can_create})


@crm_view
def sequence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    sequence = selectors.sequence_get(actor=actor, pk=pk)
    page = paginate(
        selectors.enrollment_list(actor=actor, sequence=sequence),
        orderings=ENROLLMENT_ORDERINGS,
        ordering=None,
        default_ordering="-enrolled_at",
        limit=PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    segments = [
        (s.pk, s.name)
        for s in segment_list(actor=actor).select_related(None).only("pk", "name")[:200]
    ]
    context = {
        "sequence": sequence,
        "stats": selectors.sequence_stats(sequence=sequence),
        "page": page,
        "can_edit": access.can(actor, Action.EDIT, sequence),
        "enroll_form": EnrollForm(segments=segments),
        "transitions": sorted(services.TRANSITIONS.get(sequence.status, set())),
    }
    return render(request, "nurture/sequence_detail.html", context)


@crm_view
def sequence_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = request.user
    sequence = selectors.sequence_get(actor=actor, pk=pk, action=Action.EDIT) if pk else None
    if sequence is None and access.level(actor, "sequence", Action.CREATE) == Level.NONE:
        raise Forbidden("You may not create sequences.")
    initial = {name: getattr(sequence, name) for name in SEQUENCE_FIELDS} if sequence else {}
    choices = list(CaptureForm.objects.order_by("name").values_list("pk", "name")[:200])
    form = SequenceForm(request.POST or None, initial=initial, capture_forms=choices)
    if request.method == "POST" and form.is_valid():
        try:
            if sequence is None:
                sequence = services.sequence_create(actor=actor, data=form.cleaned_data)
            else:
                sequence = services.sequence_update(
                    actor=actor, sequence=sequence, data=form.cleaned_data
                )
        except CrmError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, "Sequence saved.")
            return redirect("sequence_detail", pk=sequence.pk)
    title = str(sequence) if sequence else "New sequence"
    return render(request, "nurture/sequence_form.html",
                  {"form": form, "sequence": sequence, "title": title})  # fmt: skip


@crm_view
@require_POST
def sequence_status(request: HttpRequest, pk: int) -> HttpResponse:
    sequence = selectors.sequence_get(actor=request.user, pk=pk, action=Action.EDIT)
    try:
        services.sequence_update(
            actor=request.user, sequence=sequence, data={"status": request.POST.get("status")}
        )
        messages.success(request, "Status changed.")
    except CrmError as exc:
        reasons = [f"{k}: {r}" for k, rs in exc.fields.items() for r in rs] or [exc.message]
        messages.error(request, " ".join(reasons))
    return redirect("sequence_detail", pk=sequence.pk)


@crm_view
def step_edit(request: HttpRequest, pk: int, step_id: int | None = None) -> HttpResponse:
    sequence = selectors.sequence_get(actor=request.user, pk=pk, action=Action.EDIT)
    step = selectors.step_get(sequence=sequence, pk=step_id) if step_id else None
    initial = StepForm.initial_for(step.type, step.config) if step else {}
    form = StepForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {"type": form.cleaned_data["type"], "config": form.config()}
        try:
            if step is None:
                services.step_add(actor=request.user, sequence=sequence, data=data)
            else:
                services.step_update(
                    actor=request.user, step=step, data=data, version=posted_version(request)
                )
        except VersionConflict:
            stale_version_error(form, "step")
        except CrmError as exc:
            _errors_to_form(form, exc, form.field_for)
        else:
            messages.success(request, "Step saved.")
            return redirect("sequence_detail", pk=sequence.pk)
    context = {"form": form, "sequence": sequence, "step": step, "groups": STEP_GROUPS}
    return render(request, "nurture/step_form.html", context)


@crm_view
@require_POST
def step_change(request: HttpRequest, pk: int, step_id: int) -> HttpResponse:
    """Move a step up or down, or delete it."""
    sequence = selectors.sequence_get(actor=request.user, pk=pk, action=Action.EDIT)
    step = selectors.step_get(sequence=sequence, pk=step_id)
    action = request.POST.get("action")
    try:
        if action == "delete":
            services.step_delete(actor=request.user, step=step)
        else:
            ids = list(sequence.steps.order_by("position").values_list("pk", flat=True))
            index = ids.index(step.pk)
            other = index - 1 if action == "up" else index + 1
            if 0 <= other < len(ids):
                ids[index], ids[other] = ids[other], ids[index]
                services.step_reorder(actor=request.user, sequence=sequence, step_ids=ids)
    except CrmError as exc:
        messages.error(request, exc.message)
    return redirect("sequence_detail", pk=sequence.pk)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@crm_view
@require_POST
def sequence_enroll_picked(request: HttpRequest) -> HttpResponse:
    """The Enroll forms of contact and segment pages, which pick the sequence in a select."""
    return _enroll(request, request.POST.get("sequence_id") or 0)


@crm_view
@require_POST
def sequence_enroll(request: HttpRequest, pk: int) -> HttpResponse:
    """Enroll contacts by id or a segment from the sequence page."""
    return _enroll(request, pk)


def _enroll(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = request.user
    sequence = selectors.sequence_get(actor=actor, pk=pk)
    segments = [
        (s.pk, s.name)
        for s in segment_list(actor=actor).select_related(None).only("pk", "name")[:200]
    ]
    form = EnrollForm(request.POST, segments=segments)
    try:
        if not form.is_valid():
            raise CrmError(" ".join(e for es in form.errors.values() for e in es))
        if form.cleaned_data["segment_id"]:
            segment = segment_get(actor=actor, pk=form.cleaned_data["segment_id"])
            result = enrolling.enroll_segment(actor=actor, sequence=sequence, segment=segment)
        else:
            result = enrolling.enroll(sequence=sequence, contacts=form.cleaned_data["contact_ids"],
                                      source="hand", actor=actor)  # fmt: skip
        messages.success(request, f"{result.enrolled} enrolled, {result.skipped} already in.")
    except CrmError as exc:
        reasons = [r for rs in exc.fields.values() for r in rs] or [exc.message]
        messages.error(request, " ".join(reasons))
    return _back(request, reverse("sequence_detail", args=[sequence.pk]))


@crm_view
@require_POST
def enrollment_change(request: HttpRequest, pk: int, enrollment_id: int) -> HttpResponse:
    sequence = selectors.sequence_get(actor=request.user, pk=pk)
    row = selectors.enrollment_get(actor=request.user, sequence=sequence, pk=enrollment_id)
    service = {
        "pause": enrolling.enrollment_pause,
        "resume": enrolling.enrollment_resume,
        "exit": enrolling.enrollment_exit,
    }.get(request.POST.get("action", ""))
    try:
        if service is None:
            raise CrmError("Unknown action.")
        service(actor=request.user, enrollment=row)
    except CrmError as exc:
        messages.error(
            request, " ".join(r for rs in exc.fields.values() for r in rs) or exc.message
        )
    return _back(request, reverse("sequence_detail", args=[sequence.pk]))
