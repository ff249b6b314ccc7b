"""Admin settings pages: SLA policies and each queue's business hours. Everyone who may read
them sees them; the services refuse changes to anyone without the `all` level."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cyclecrm.core.errors import CrmError, Forbidden, VersionConflict
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, Team
from cyclecrm.support import selectors, services
from cyclecrm.support.models import BusinessCalendar, CasePriority, SlaPolicy
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error

WEEKDAYS = (
    (0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"),
    (5, "Saturday"), (6, "Sunday"),
)  # fmt: skip


class SlaPolicyForm(forms.Form):
    name = forms.CharField(max_length=100)
    team = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label="Queue", help_text="Empty: default"
    )
    priority = forms.ChoiceField(choices=CasePriority.choices)
    first_response_minutes = forms.IntegerField(min_value=1, label="First response (minutes)")
    resolution_minutes = forms.IntegerField(min_value=1, label="Resolution (minutes)")
    escalate_to_priority = forms.ChoiceField(
        choices=[("", "— keep —"), *CasePriority.choices],
        required=False,
        label="On breach raise to",
    )
    notify_manager = forms.BooleanField(required=False, label="Notify the queue manager")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "— default (all queues) —")] + [
            (team.pk, team.name) for team in Team.objects.order_by("name")
        ]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["team_id"] = data.pop("team")
        return data


class CalendarForm(forms.Form):
    timezone = forms.CharField(max_length=64, initial="UTC", help_text="e.g. Europe/Berlin")
    working_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), label="Opens")
    end_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), label="Closes")
    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One date per line, YYYY-MM-DD.",
    )

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["holidays"] = [line.strip() for line in data["holidays"].split() if line.strip()]
        return data


def _require_read(request: HttpRequest) -> None:
    if access.level(request.user, SlaPolicy.record_type, Action.READ) == Level.NONE:
        raise Forbidden("You may not see support settings.")


def _add_errors(form: forms.Form, exc: CrmError) -> None:
    for name, reasons in exc.fields.items():
        target = name.removesuffix("_id")
        for reason in reasons:
            form.add_error(target if target in form.fields else None, reason)
    if not exc.fields:
        form.add_error(None, exc.message)


@crm_view
def support_settings(request: HttpRequest) -> HttpResponse:
    _require_read(request)
    actor = request.user
    calendars = {cal.team_id: cal for cal in selectors.business_calendar_list(actor=actor)}
    return render(
        request,
        "support/settings.html",
        {
            "policies": list(selectors.sla_policy_list(actor=actor).order_by("team__name", "id")),
            "queues": [
                {"team": team, "calendar": calendars.get(team.pk)}
                for team in Team.objects.order_by("name")
            ],
            "can_change": access.level(actor, SlaPolicy.record_type, Action.EDIT) == Level.ALL,
        },
    )


@crm_view
def sla_policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_read(request)
    policy = selectors.sla_policy_get(actor=request.user, pk=pk) if pk else None
    initial = {"is_active": True, "notify_manager": True}
    if policy is not None:
        initial = {
            name: getattr(policy, name) for name in SlaPolicyForm.base_fields if name != "team"
        } | {"team": policy.team_id}
    form = SlaPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if policy is None:
                services.sla_policy_create(actor=request.user, data=form.service_data())
            else:
                services.sla_policy_update(
                    actor=request.user,
                    policy=policy,
                    data=form.service_data(),
                    version=posted_version(request),
                )
        except VersionConflict:
            stale_version_error(form, "SLA policy")
        except CrmError as exc:
            if isinstance(exc, Forbidden):
                raise
            _add_errors(form, exc)
        else:
            messages.success(request, "SLA policy saved.")
            return redirect("support_settings")
    return render(
        request,
        "support/settings_form.html",
        {
            "form": form,
            "title": str(policy) if policy else "New SLA policy",
            "policy": policy,
            "versioned": policy,
        },
    )


@crm_view
def sla_policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    policy = selectors.sla_policy_get(actor=request.user, pk=pk)
    if request.method == "POST":
        services.sla_policy_delete(actor=request.user, policy=policy)
        messages.success(request, "SLA policy deleted.")
    return redirect("support_settings")


@crm_view
def business_calendar_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    _require_read(request)
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Forbidden("No such queue.")
    stored = BusinessCalendar.objects.filter(team=team).first() or BusinessCalendar(team=team)
    initial = {
        "timezone": stored.timezone,
        "working_days": stored.working_days,
        "start_time": stored.start_time,
        "end_time": stored.end_time,
        "holidays": "\n".join(stored.holidays or []),
    }
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.business_calendar_set(
                actor=request.user,
                team=team,
                data=form.service_data(),
                version=posted_version(request),
            )
        except VersionConflict:
            stale_version_error(form, "business calendar")
        except CrmError as exc:
            if isinstance(exc, Forbidden):
                raise
            _add_errors(form, exc)
        else:
            messages.success(request, f"Business hours of {team} saved.")
            return redirect("support_settings")
    return render(
        request,
        "support/settings_form.html",
        {"form": form, "title": f"Business hours · {team}", "versioned": stored},
    )
