"""Settings: sales costs (`sales_cost_list`), the sales spend in the acquisition cost."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cyclecrm.analytics import sales_cost_selectors as selectors
from cyclecrm.analytics import sales_cost_services as services
from cyclecrm.analytics.models import SalesCost, SalesCostCategory
from cyclecrm.core.errors import CrmError, VersionConflict
from cyclecrm.identity.models import Action, Team
from cyclecrm.identity.views.common import can_manage, render_settings, require
from cyclecrm.pipeline.currency import base_currency
from cyclecrm.pipeline.forms import style
from cyclecrm.pipeline.views.settings_pipelines import add_errors
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error

PAGE = 200


class SalesCostForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    category = forms.ChoiceField(choices=SalesCostCategory.choices, initial="other")
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False)
    note = forms.CharField(max_length=200, required=False)


def _data(form: SalesCostForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    team = data.pop("team")
    return {**data, "amount": str(data["amount"]), "team_id": team.pk if team else None}


def _can_manage(request: HttpRequest) -> bool:
    return can_manage(request.user, SalesCost.record_type, Action.CREATE)


@crm_view
def sales_cost_list(request: HttpRequest) -> HttpResponse:
    require(selectors.can_read_sales_costs(request.user))
    manage = _can_manage(request)
    form = style(SalesCostForm(request.POST or None))
    if request.method == "POST":
        require(manage)
        if form.is_valid():
            try:
                cost = services.sales_cost_create(actor=request.user, data=_data(form))
            except CrmError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, f"Sales cost of {cost.amount:.2f} added.")
                return redirect("sales_cost_list")
    costs = list(selectors.sales_cost_list(actor=request.user)[:PAGE])
    return render_settings(
        request,
        "analytics/settings/sales_cost_list.html",
        {"costs": costs, "form": form, "can_manage": manage, "base_currency": base_currency()},
        status=422 if form.errors else 200,
    )


@crm_view
def sales_cost_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(_can_manage(request))
    cost = selectors.sales_cost_get(actor=request.user, pk=pk)
    initial = {
        "date": cost.date,
        "amount": cost.amount,
        "category": cost.category,
        "team": cost.team_id,
        "note": cost.note,
    }
    form = style(SalesCostForm(request.POST or None, initial=initial))
    if request.method == "POST" and form.is_valid():
        try:
            services.sales_cost_update(
                actor=request.user, cost=cost, data=_data(form), version=posted_version(request)
            )
        except VersionConflict:
            stale_version_error(form, "sales cost")
        except CrmError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "Sales cost saved.")
            return redirect("sales_cost_list")
    return render_settings(
        request,
        "analytics/settings/sales_cost_edit.html",
        {"cost": cost, "form": form, "base_currency": base_currency()},
        status=422 if form.errors else 200,
    )


@require_POST
@crm_view
def sales_cost_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(_can_manage(request))
    cost = selectors.sales_cost_get(actor=request.user, pk=pk)
    services.sales_cost_delete(actor=request.user, cost=cost)
    messages.success(request, f"Sales cost of {cost.date:%Y-%m-%d} deleted.")
    return redirect("sales_cost_list")
