"""Settings: exchange rates (`exchange_rate_list`) and onboarding templates
(`onboarding_template_list`)."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import CrmError, VersionConflict
from cyclecrm.identity.access import level
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.identity.views.common import render_settings, require
from cyclecrm.pipeline import selectors, services
from cyclecrm.pipeline.currency import base_currency
from cyclecrm.pipeline.forms import ExchangeRateForm, OnboardingTemplateForm, StepForm, style
from cyclecrm.pipeline.models import OnboardingTemplate
from cyclecrm.pipeline.views.settings_pipelines import add_errors, can_manage, can_read
from cyclecrm.web import selectors as web_selectors
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error

# -- exchange rates ---------------------------------------------------------------------------


def _rate_data(form: ExchangeRateForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["rate"] = str(data["rate"])
    return data


@crm_view
def exchange_rate_list(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user))
    manage = can_manage(request.user)
    form = style(ExchangeRateForm(request.POST or None))
    if request.method == "POST":
        require(manage)
        if form.is_valid():
            try:
                rate = services.exchange_rate_create(actor=request.user, data=_rate_data(form))
            except CrmError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"{rate.currency} rate from {rate.valid_from} added.")
                return redirect("exchange_rate_list")
    currency = request.GET.get("currency", "").strip()[:3]
    rates = list(selectors.exchange_rate_list(actor=request.user, currency=currency or None)[:500])
    return render_settings(
        request,
        "pipeline/settings/rate_list.html",
        {
            "rates": rates,
            "form": form,
            "can_manage": manage,
            "base_currency": base_currency(),
            "currency": currency.upper(),
        },
        status=422 if form.errors else 200,
    )


@crm_view
def exchange_rate_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user))
    rate = selectors.exchange_rate_get(actor=request.user, pk=pk)
    initial = {"currency": rate.currency, "valid_from": rate.valid_from, "rate": rate.rate}
    form = style(ExchangeRateForm(request.POST or None, initial=initial))
    if request.method == "POST" and form.is_valid():
        try:
            services.exchange_rate_update(
                actor=request.user,
                rate=rate,
                data=_rate_data(form),
                version=posted_version(request),
            )
        except VersionConflict:
            stale_version_error(form, "exchange rate")
        except CrmError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "Exchange rate saved.")
            return redirect("exchange_rate_list")
    return render_settings(
        request,
        "pipeline/settings/rate_edit.html",
        {"rate": rate, "form": form, "base_currency": base_currency()},
        status=422 if form.errors else 200,
    )


@require_POST
@crm_view
def exchange_rate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user))
    rate = selectors.exchange_rate_get(actor=request.user, pk=pk)
    services.exchange_rate_delete(actor=request.user, rate=rate)
    messages.success(request, f"{rate.currency} rate from {rate.valid_from} deleted.")
    return redirect("exchange_rate_list")


# -- onboarding templates ---------------------------------------------------------------------


def _can_read_templates(user: User) -> bool:
    return level(user, OnboardingTemplate.record_type, Action.READ) != Level.NONE


def _can_manage_templates(user: User) -> bool:
    return level(user, OnboardingTemplate.record_type, Action.EDIT) == Level.ALL


def _step_specs(template: OnboardingTemplate) -> list[dict[str, Any]]:
    return [
        {
            "title": step.title,
            "due_offset_days": step.due_offset_days,
            "default_assignee_id": step.default_assignee_id,
        }
        for step in template.steps.all()
    ]


@crm_view
def onboarding_template_list(request: HttpRequest) -> HttpResponse:
    require(_can_read_templates(request.user))
    manage = _can_manage_templates(request.user)
    form = style(OnboardingTemplateForm(request.POST or None))
    if request.method == "POST":
        require(manage)
        if form.is_valid():
            try:
                template = services.onboarding_template_create(
                    actor=request.user, data=form.cleaned_data
                )
            except CrmError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"Template {template.name} created; add its steps.")
                return redirect("onboarding_template_edit", pk=template.pk)
    templates = list(selectors.onboarding_template_list(actor=request.user))
    return render_settings(
        request,
        "pipeline/settings/template_list.html",
        {"templates": templates, "form": form, "can_manage": manage},
        status=422 if form.errors else 200,
    )


def _users(actor: User) -> Any:
    return web_selectors.user_choices(actor=actor)


@crm_view
def onboarding_template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(_can_read_templates(request.user))
    manage = _can_manage_templates(request.user)
    template = selectors.onboarding_template_get(actor=request.user, pk=pk)
    initial = {"name": template.name, "is_default": template.is_default}
    form = style(OnboardingTemplateForm(request.POST or None, initial=initial))
    if request.method == "POST":
        require(manage)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if not data["is_default"]:
                data.pop("is_default")
            try:
                services.onboarding_template_update(
                    actor=request.user,
                    template=template,
                    data=data,
                    version=posted_version(request),
                )
            except VersionConflict:
                stale_version_error(form, "onboarding template")
            except CrmError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"Template {template.name} saved.")
                return redirect("onboarding_template_edit", pk=template.pk)
    return _template_page(request, template, form, style(StepForm(users=_users(request.user))))


def _template_page(
    request: HttpRequest, template: OnboardingTemplate, form: Any, step_form: Any
) -> HttpResponse:
    return render_settings(
        request,
        "pipeline/settings/template_edit.html",
        {
            "template": template,
            "form": form,
            "step_form": step_form,
            "steps": list(template.steps.all()),
            "can_manage": _can_manage_templates(request.user),
        },
        status=422 if form.errors or step_form.errors else 200,
    )


@require_POST
@crm_view
def onboarding_template_steps(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the steps: `action` add (with the step form's fields), delete, up or down (with
    `index`). The service replaces the whole ordered list."""
    require(_can_manage_templates(request.user))
    template = selectors.onboarding_template_get(actor=request.user, pk=pk)
    steps = _step_specs(template)
    action = request.POST.get("action", "")
    raw_index = request.POST.get("index", "")
    index = int(raw_index) if raw_index.isdigit() and int(raw_index) < len(steps) else None
    step_form = style(
        StepForm(request.POST if action == "add" else None, users=_users(request.user))
    )
    if action == "add":
        if not step_form.is_valid():
            form = style(OnboardingTemplateForm(initial={"name": template.name}))
            return _template_page(request, template, form, step_form)
        assignee = step_form.cleaned_data["default_assignee"]
        steps.append(
            {
                "title": step_form.cleaned_data["title"],
                "due_offset_days": step_form.cleaned_data["due_offset_days"],
                "default_assignee_id": assignee.pk if assignee else None,
            }
        )
    elif index is not None and action == "delete":
        steps.pop(index)
    elif index is not None and action in ("up", "down"):
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(steps):
            steps[index], steps[other] = steps[other], steps[index]
    try:
        services.onboarding_template_update(
            actor=request.user,
            template=template,
            data={"steps": steps},
            version=posted_version(request),
        )
    except CrmError as exc:
        messages.error(request, exc.message)
    return redirect("onboarding_template_edit", pk=template.pk)


@require_POST
@crm_view
def onboarding_template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(_can_manage_templates(request.user))
    template = selectors.onboarding_template_get(actor=request.user, pk=pk)
    services.onboarding_template_delete(actor=request.user, template=template)
    messages.success(request, f"Template {template.name} deleted.")
    return redirect("onboarding_template_list")
