"""Settings → Sales quotas (`quota_list`): list, add, edit and delete quotas. Thin: the rules
(who may set a quota for whom, no overlapping periods) are in analytics.services.quotas."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cyclecrm.analytics.models import Quota
from cyclecrm.analytics.selectors.quotas import quota_get, quota_list
from cyclecrm.analytics.services.quotas import quota_create, quota_delete, quota_update
from cyclecrm.core.errors import CrmError, VersionConflict
from cyclecrm.identity.access import level
from cyclecrm.identity.models import Action, Level, Team, User
from cyclecrm.identity.views.common import render_settings, require
from cyclecrm.pipeline.currency import base_currency
from cyclecrm.pipeline.forms import style
from cyclecrm.pipeline.views.settings_pipelines import add_errors
from cyclecrm.web import selectors as web_selectors
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error

PAGE_ROWS = 200


class QuotaForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(max_digits=16, decimal_places=2, min_value=0)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = web_selectors.user_choices(actor=actor)
        self.fields["team"].queryset = web_selectors.team_choices(actor=actor)
        self.fields["user"].help_text = "A user or a team, not both."

    def data_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "user_id": data["user"].pk if data["user"] else None,
            "team_id": data["team"].pk if data["team"] else None,
            "period_start": data["period_start"],
            "period_end": data["period_end"],
            "amount": str(data["amount"]),
        }


def _can_read(user: User) -> bool:
    return level(user, "quota", Action.READ) != Level.NONE


def _can_create(user: User) -> bool:
    return level(user, "quota", Action.CREATE) != Level.NONE


@crm_view
def quota_list_view(request: HttpRequest) -> HttpResponse:
    require(_can_read(request.user))
    manage = _can_create(request.user)
    form = style(QuotaForm(request.POST or None, actor=request.user))
    if request.method == "POST":
        require(manage)
        if form.is_valid():
            try:
                quota_create(actor=request.user, data=form.data_for_service())
            except CrmError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "Quota added.")
                return redirect("quota_list")
    quotas = quota_list(actor=request.user).order_by("-period_start", "-id")[:PAGE_ROWS]
    return render_settings(
        request,
        "analytics/quotas/list.html",
        {
            "quotas": quotas,
            "form": form,
            "can_manage": manage,
            "can_edit": level(request.user, "quota", Action.EDIT) != Level.NONE,
            "base_currency": base_currency(),
        },
        status=422 if form.errors else 200,
    )


def _initial(quota: Quota) -> dict[str, Any]:
    return {
        "user": quota.user_id,
        "team": quota.team_id,
        "period_start": quota.period_start,
        "period_end": quota.period_end,
        "amount": quota.amount,
    }


@crm_view
def quota_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quota = quota_get(actor=request.user, pk=pk, action=Action.EDIT)
    form = style(QuotaForm(request.POST or None, actor=request.user, initial=_initial(quota)))
    if request.method == "POST" and form.is_valid():
        try:
            quota_update(
                actor=request.user,
                quota=quota,
                data=form.data_for_service(),
                version=posted_version(request),
            )
        except VersionConflict:
            stale_version_error(form, "quota")
        except CrmError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, "Quota saved.")
            return redirect("quota_list")
    return render_settings(
        request,
        "analytics/quotas/edit.html",
        {"quota": quota, "form": form, "base_currency": base_currency()},
        status=422 if form.errors else 200,
    )


@require_POST
@crm_view
def quota_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    quota = quota_get(actor=request.user, pk=pk, action=Action.DELETE)
    quota_delete(actor=request.user, quota=quota)
    messages.success(request, "Quota deleted.")
    return redirect("quota_list")
