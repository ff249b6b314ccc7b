"""Web pages for interactions: the timeline panel record pages include, the log forms (call,
meeting, note) it opens, an interaction's detail page and a meeting's .ics download.

The panel (`activities/_timeline.html`) loads its content with htmx from `timeline_panel`; the
channel buttons reload it filtered, "Load more" appends the next keyset page, and a successful
log form answers with the `timeline-changed` event, which reloads the panel.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from cyclecrm.activities import interactions, timeline
from cyclecrm.activities.forms import MinuteDateTimeField
from cyclecrm.activities.interaction_api import ics_response
from cyclecrm.activities.models import CallOutcome, Channel, Direction, Interaction
from cyclecrm.contacts import selectors as contact_selectors
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.leads import selectors as lead_selectors
from cyclecrm.leads.models import Lead
from cyclecrm.pipeline import selectors as pipeline_selectors
from cyclecrm.pipeline.models import Opportunity
from cyclecrm.web.errors import crm_view, is_htmx

CHANNEL_ICONS = {
    Channel.EMAIL: "envelope",
    Channel.CALL: "telephone",
    Channel.MEETING: "calendar-event",
    Channel.CHAT: "chat-dots",
    Channel.SOCIAL: "share",
    Channel.SMS: "phone",
    Channel.NOTE: "sticky",
}
# What the panel offers to log by hand; the other channels arrive through integrations.
LOGGABLE = (Channel.CALL, Channel.MEETING, Channel.NOTE)
TIMELINE_CHANGED = "timeline-changed"


def _case_get(*, actor: Any, pk: Any) -> Any:
    from cyclecrm.support.selectors import case_get

    return case_get(actor=actor, pk=pk)


RECORD_GETTERS: dict[str, Callable[..., Any]] = {
    "contact": contact_selectors.contact_get,
    "account": contact_selectors.account_get,
    "lead": lead_selectors.lead_get,
    "opportunity": pipeline_selectors.opportunity_get,
    "case": _case_get,
}
LINK_MODELS = {"contact": Contact, "account": Account, "lead": Lead, "opportunity": Opportunity}


def _record(request: HttpRequest, kind: str, pk: int) -> Any:
    getter = RECORD_GETTERS.get(kind)
    if getter is None:
        raise Http404("No timeline for this kind of record.")
    return getter(actor=request.user, pk=pk)


def _can_read(actor: Any) -> bool:
    return access.level(actor, Interaction.record_type, Action.READ) != Level.NONE


def _can_log(actor: Any) -> bool:
    return access.level(actor, Interaction.record_type, Action.CREATE) != Level.NONE


# -- presentation -----------------------------------------------------------------------------


def timeline_rows(actor: Any, items: list[Interaction]) -> list[dict[str, Any]]:
    """What the panel shows of each interaction: linked records are named only when the reader
    may see them (one query per kind for the whole page), hidden fields are left out."""
    hidden = access.access_for(actor).hidden_fields(Interaction.record_type)
    visible = {
        name: timeline.visible_ids(actor, model, {getattr(row, f"{name}_id") for row in items})
        for name, model in LINK_MODELS.items()
    }
    rows = []
    for row in items:
        links = [
            (name, getattr(row, name))
            for name in LINK_MODELS
            if getattr(row, f"{name}_id") in visible[name]
        ]
        rows.append(
            {
                "object": row,
                "icon": CHANNEL_ICONS.get(row.channel, "circle"),
                "subject": "" if "subject" in hidden else row.subject,
                "body": "" if "body" in hidden else row.body,
                "links": links,
                "minutes": (row.duration_seconds + 59) // 60 if row.duration_seconds else None,
            }
        )
    return rows


# -- the panel ----------------------------------------------------------------------------------


@crm_view
def timeline_panel(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    actor = request.user
    record = _record(request, kind, pk)
    if not _can_read(actor):
        raise Http404("You may not read interactions.")
    channel = request.GET.get("channel", "")
    channels = [channel] if channel in Channel.values else None
    cursor = request.GET.get("cursor") or None
    try:
        page = timeline.timeline_page(actor=actor, record=record, channels=channels, cursor=cursor)
    except ValidationFailed:
        page = timeline.timeline_page(actor=actor, record=record, channels=channels)
        cursor = None
    url = reverse("timeline_panel", args=[kind, pk])
    context = {
        "kind": kind,
        "record": record,
        "rows": timeline_rows(actor, page.items),
        "next_cursor": page.next_cursor,
        "channel": channel if channels else "",
        "channels": [(value, label, CHANNEL_ICONS[value]) for value, label in Channel.choices],
        "panel_url": url,
        "more_only": bool(cursor),
    }
    template = "activities/_timeline_items.html" if cursor else "activities/_timeline_body.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# -- logging ----------------------------------------------------------------------------------


class InteractionLogForm(forms.Form):
    """Logging by hand from a record page; the channel comes from the button used."""

    subject = forms.CharField(max_length=300, required=False)
    body = forms.CharField(
        label="Notes", required=False, max_length=100000, widget=forms.Textarea(attrs={"rows": 3})
    )
    occurred_at = MinuteDateTimeField(label="When", required=False)
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.OUTBOUND)
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=0, max_value=10080, required=False
    )
    outcome = forms.ChoiceField(choices=[("", "—"), *CallOutcome.choices], required=False)
    starts_at = MinuteDateTimeField(label="Starts", required=False)
    ends_at = MinuteDateTimeField(label="Ends", required=False)
    location = forms.CharField(max_length=300, required=False)

    CHANNEL_FIELDS = {
        Channel.CALL: (
            "direction",
            "occurred_at",
            "duration_minutes",
            "outcome",
            "subject",
            "body",
        ),
        Channel.MEETING: ("subject", "starts_at", "ends_at", "location", "body"),
        Channel.NOTE: ("body", "occurred_at"),
    }

    def __init__(self, *args: Any, channel: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel
        keep = self.CHANNEL_FIELDS[channel]
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.order_fields(keep)
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            css = "form-select form-select-sm" if select else "form-control form-control-sm"
            field.widget.attrs["class"] = css
        if channel == Channel.MEETING:
            self.fields["starts_at"].required = True
        if channel == Channel.NOTE:
            self.fields["body"].required = True
            self.fields["body"].label = "Note"

    def service_data(self) -> dict[str, Any]:
        data = {"channel": self.channel}
        for name, value in self.cleaned_data.items():
            if name == "duration_minutes":
                if value is not None:
                    data["duration_seconds"] = value * 60
            elif value not in (None, ""):
                data[name] = value
        return data


def _link_data(kind: str, record: Any) -> dict[str, Any]:
    data = {kind: record.pk}
    if kind == "opportunity" and getattr(record, "contact_id", None):
        data["contact"] = record.contact_id
    return data


@crm_view
def interaction_log(request: HttpRequest, kind: str, pk: int, channel: str) -> HttpResponse:
    actor = request.user
    record = _record(request, kind, pk)
    if channel not in LOGGABLE:
        raise Http404("Unknown channel.")
    form = InteractionLogForm(request.POST or None, channel=channel)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            interactions.interaction_log(
                actor=actor, data={**form.service_data(), **_link_data(kind, record)}
            )
        except ValidationFailed as exc:
            for name, reasons in exc.fields.items():
                target = name if name in form.fields else None
                for reason in reasons:
                    form.add_error(target, reason)
        else:
            if not is_htmx(request):
                messages.success(request, f"{Channel(channel).label} logged.")
                return redirect(request.POST.get("next") or "/")
            response = HttpResponse("")
            response["HX-Trigger"] = TIMELINE_CHANGED
            return response
    if request.method == "POST":
        status = 422
    context = {
        "form": form,
        "channel": channel,
        "channel_label": Channel(channel).label,
        "action": reverse("interaction_log", args=[kind, pk, channel]),
        "kind": kind,
        "record": record,
    }
    return render(request, "activities/_interaction_form.html", context, status=status)


# -- one interaction ----------------------------------------------------------------------------


@crm_view
def interaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    interaction = timeline.interaction_get(actor=actor, pk=pk)
    row = timeline_rows(actor, [interaction])[0]
    visible = timeline.visible_ids(actor, Contact, {c.pk for c in interaction.attendees.all()})
    context = {
        "row": row,
        "object": interaction,
        "attendees": [c for c in interaction.attendees.all() if c.pk in visible],
        "can_delete": access.can(actor, Action.DELETE, interaction),
    }
    return render(request, "activities/interaction_detail.html", context)


@crm_view
def interaction_ics(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = timeline.interaction_get(actor=request.user, pk=pk)
    if interaction.channel != Channel.MEETING:
        raise Http404("Only meetings have a calendar entry.")
    return ics_response(request.user, interaction)


@require_POST
@crm_view
def interaction_delete(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = timeline.interaction_get(actor=request.user, pk=pk)
    back = _back_url(interaction)
    interactions.interaction_delete(actor=request.user, interaction=interaction)
    messages.success(request, "Interaction deleted.")
    return redirect(back)


def _back_url(interaction: Interaction) -> str:
    for name in ("contact", "account", "lead", "opportunity"):
        pk = getattr(interaction, f"{name}_id")
        if pk:
            return reverse(f"{name}_detail", args=[pk])
    return "/"
