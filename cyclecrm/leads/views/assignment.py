"""Settings: lead assignment rules, in the order they are tried, and the tester that says who a
lead would go to without changing anything."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import ValidationFailed, VersionConflict
from cyclecrm.core.pagination import paginate
from cyclecrm.identity.forms import add_service_errors
from cyclecrm.identity.models import Action, User
from cyclecrm.identity.system import SYSTEM_USERNAME
from cyclecrm.identity.views.common import can_manage, can_read, render_settings, require
from cyclecrm.leads import selectors, services
from cyclecrm.leads.forms import AssignmentRuleForm, AssignmentTestForm
from cyclecrm.leads.models import AssignmentKind, AssignmentRule, LeadSource
from cyclecrm.web import selectors as web_selectors
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error

TYPE = "assignment_rule"
PAGE = 100
ALIASES = {"assignee_ids": "assignees", "team_id": "team"}


@crm_view
def assignment_rule_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    require(can_read(actor, TYPE))
    try:
        page = paginate(
            selectors.assignment_rule_list(actor=actor),
            orderings=selectors.ASSIGNMENT_RULE_ORDERINGS,
            ordering="position",
            default_ordering="position",
            limit=PAGE,
            cursor=request.GET.get("cursor") or None,
        )
    except ValidationFailed:
        return redirect("assignment_rule_list")
    return render_settings(
        request,
        "leads/assignment_rule_list.html",
        {
            "rules": [(rule, _matches(rule)) for rule in page.items],
            "next_cursor": page.next_cursor,
            "tester": AssignmentTestForm(),
            "can_create": can_manage(actor, TYPE, Action.CREATE),
            "can_edit": can_manage(actor, TYPE, Action.EDIT),
            "can_delete": can_manage(actor, TYPE, Action.DELETE),
        },
    )


def _matches(rule: AssignmentRule) -> str:
    """What a rule matches, in words."""
    if rule.kind == AssignmentKind.ROUND_ROBIN:
        return "every lead"
    if rule.kind == AssignmentKind.SOURCE:
        labels = dict(LeadSource.choices)
        return "source " + ", ".join(labels.get(s, s) for s in rule.sources)
    parts = []
    if rule.countries:
        parts.append("country " + ", ".join(rule.countries))
    if rule.regions:
        parts.append("region " + ", ".join(rule.regions))
    return " and ".join(parts)


def _form(request: HttpRequest, **kwargs: Any) -> AssignmentRuleForm:
    actor = request.user
    users = web_selectors.user_choices(actor=actor).exclude(username=SYSTEM_USERNAME)
    return AssignmentRuleForm(
        request.POST or None,
        users=list(users.order_by("id")),
        teams=list(web_selectors.team_choices(actor=actor)),
        **kwargs,
    )


def _form_page(request: HttpRequest, form: AssignmentRuleForm, subject: Any = None) -> HttpResponse:
    return render_settings(
        request,
        "leads/assignment_rule_form.html",
        {"form": form, "subject": subject},
        status=422 if form.errors else 200,
    )


@crm_view
def assignment_rule_create(request: HttpRequest) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.CREATE))
    form = _form(request, initial={"is_active": True, "position": 0})
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.assignment_rule_create(actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc, aliases=ALIASES)
        else:
            messages.success(request, f"Assignment rule “{rule.name}” created.")
            return redirect("assignment_rule_list")
    return _form_page(request, form)


@crm_view
def assignment_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.EDIT))
    rule = selectors.assignment_rule_get(actor=request.user, pk=pk)
    form = _form(request, initial=AssignmentRuleForm.initial_for(rule))
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_rule_update(
                actor=request.user,
                rule=rule,
                data=form.service_data(),
                version=posted_version(request),
            )
        except VersionConflict:
            stale_version_error(form, "assignment rule")
        except ValidationFailed as exc:
            add_service_errors(form, exc, aliases=ALIASES)
        else:
            messages.success(request, f"Assignment rule “{rule.name}” saved.")
            return redirect("assignment_rule_list")
    return _form_page(request, form, rule)


@require_POST
@crm_view
def assignment_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, TYPE, Action.DELETE))
    rule = selectors.assignment_rule_get(actor=request.user, pk=pk)
    services.assignment_rule_delete(actor=request.user, rule=rule)
    messages.success(request, f"Assignment rule “{rule.name}” deleted.")
    return redirect("assignment_rule_list")


@crm_view
def assignment_rule_test(request: HttpRequest) -> HttpResponse:
    """The tester's answer (a fragment for htmx, else the settings page with the answer)."""
    require(can_read(request.user, TYPE))
    form = AssignmentTestForm(request.POST or request.GET or None)
    choice, tested, status = None, False, 200
    if form.is_bound and form.is_valid():
        try:
            choice = services.assignment_test(actor=request.user, **form.cleaned_data)
            tested = True
        except ValidationFailed as exc:
            add_service_errors(form, exc)
            status = 422
    elif form.is_bound:
        status = 422
    context = {"tester": form, "choice": choice, "tested": tested}
    if request.headers.get("HX-Request") == "true":
        return render(request, "leads/_assignment_test.html", context, status=status)
    return _list_with(request, context, status)


def _list_with(request: HttpRequest, extra: dict[str, Any], status: int) -> HttpResponse:
    actor: User = request.user
    rules = selectors.assignment_rule_list(actor=actor).order_by("position", "id")[:PAGE]
    context = {
        "rules": [(rule, _matches(rule)) for rule in rules],
        "can_create": can_manage(actor, TYPE, Action.CREATE),
        "can_edit": can_manage(actor, TYPE, Action.EDIT),
        "can_delete": can_manage(actor, TYPE, Action.DELETE),
        **extra,
    }
    return render_settings(request, "leads/assignment_rule_list.html", context, status=status)
