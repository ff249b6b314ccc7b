"""Settings: lead scoring rules and grade bands (everyone reads them; admins change them)."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import Duplicate, ValidationFailed, VersionConflict
from cyclecrm.core.pagination import paginate
from cyclecrm.identity.forms import add_service_errors
from cyclecrm.identity.models import Action
from cyclecrm.identity.views.common import can_manage, can_read, render_settings, require
from cyclecrm.leads import selectors, services
from cyclecrm.leads.forms import GradeForm, ScoringRuleForm
from cyclecrm.leads.models import ScoringCategory, ScoringOperator
from cyclecrm.leads.services.scoring import OPERATORS, field_spec
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error

TYPE = "scoring_rule"
PAGE = 100


@crm_view
def scoring_rule_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    require(can_read(actor, TYPE))
    try:
        rules = paginate(
            selectors.scoring_rule_list(actor=actor),
            orderings=selectors.SCORING_RULE_ORDERINGS,
            ordering="category",
            default_ordering="category",
            limit=PAGE,
            cursor=request.GET.get("cursor") or None,
        )
    except ValidationFailed:
        return redirect("scoring_rule_list")
    grades = selectors.grade_list(actor=actor).order_by("-min_score", "id")[:PAGE]
    categories = dict(ScoringCategory.choices)
    return render_settings(
        request,
        "leads/scoring_rule_list.html",
        {
            "rules": [(rule, _value_text(rule.value)) for rule in rules.items],
            "next_cursor": rules.next_cursor,
            "categories": categories,
            "grades": list(grades),
            "can_create": can_manage(actor, TYPE, Action.CREATE),
            "can_edit": can_manage(actor, TYPE, Action.EDIT),
            "can_delete": can_manage(actor, TYPE, Action.DELETE),
        },
    )


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def _rule_form_page(
    request: HttpRequest, form: ScoringRuleForm, subject: Any = None
) -> HttpResponse:
    labels = dict(ScoringOperator.choices)
    operators = {
        name: ", ".join(labels[op] for op in OPERATORS[field_spec(name)[1]])
        for name in ScoringRuleForm.field_names
    }
    return render_settings(
        request,
        "leads/scoring_rule_form.html",
        {"form": form, "subject": subject, "operators": operators},
        status=422 if form.errors else 200,
    )


@crm_view
def scoring_rule_create(request: HttpRequest) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.CREATE))
    form = ScoringRuleForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.scoring_rule_create(actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Rule “{rule.name}” created; lead scores are updated.")
            return redirect("scoring_rule_list")
    return _rule_form_page(request, form)


@crm_view
def scoring_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.EDIT))
    rule = selectors.scoring_rule_get(actor=request.user, pk=pk)
    form = ScoringRuleForm(request.POST or None, initial=ScoringRuleForm.initial_for(rule))
    if request.method == "POST" and form.is_valid():
        try:
            services.scoring_rule_update(
                actor=request.user,
                rule=rule,
                data=form.service_data(),
                version=posted_version(request),
            )
        except VersionConflict:
            stale_version_error(form, "scoring rule")
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Rule “{rule.name}” saved; lead scores are updated.")
            return redirect("scoring_rule_list")
    return _rule_form_page(request, form, rule)


@require_POST
@crm_view
def scoring_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.DELETE))
    rule = selectors.scoring_rule_get(actor=request.user, pk=pk)
    services.scoring_rule_delete(actor=request.user, rule=rule)
    messages.success(request, f"Rule “{rule.name}” deleted; lead scores are updated.")
    return redirect("scoring_rule_list")


@require_POST
@crm_view
def scoring_rescore(request: HttpRequest) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.EDIT))
    changed = services.leads_rescore(actor=request.user)
    messages.success(request, f"Scores recomputed: {changed} lead{'s' * (changed != 1)} changed.")
    return redirect("scoring_rule_list")


# -- grades -----------------------------------------------------------------------------------


def _grade_page(request: HttpRequest, form: GradeForm, subject: Any = None) -> HttpResponse:
    return render_settings(
        request,
        "leads/grade_form.html",
        {"form": form, "subject": subject},
        status=422 if form.errors else 200,
    )


@crm_view
def lead_grade_create(request: HttpRequest) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.CREATE))
    form = GradeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grade = services.lead_grade_create(actor=request.user, data=form.cleaned_data)
        except (ValidationFailed, Duplicate) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Grade {grade.letter} created; lead grades are updated.")
            return redirect("scoring_rule_list")
    return _grade_page(request, form)


@crm_view
def lead_grade_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.EDIT))
    grade = selectors.grade_get(actor=request.user, pk=pk)
    form = GradeForm(request.POST or None, initial=GradeForm.initial_for(grade))
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_grade_update(
                actor=request.user,
                grade=grade,
                data=form.cleaned_data,
                version=posted_version(request),
            )
        except VersionConflict:
            stale_version_error(form, "grade")
        except (ValidationFailed, Duplicate) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Grade {grade.letter} saved; lead grades are updated.")
            return redirect("scoring_rule_list")
    return _grade_page(request, form, grade)


@require_POST
@crm_view
def lead_grade_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.DELETE))
    grade = selectors.grade_get(actor=request.user, pk=pk)
    services.lead_grade_delete(actor=request.user, grade=grade)
    messages.success(request, f"Grade {grade.letter} deleted; lead grades are updated.")
    return redirect("scoring_rule_list")
