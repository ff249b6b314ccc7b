"""Opportunity pages: how opportunities appear in the generic record pages (columns, filters,
field groups), the list page with its board toggle, the detail page's deal panel and the move
endpoint the board and the detail page post to."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.contacts.views import RECORD_FILTERS
from cyclecrm.core.errors import CrmError
from cyclecrm.core.money import round_money
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.pipeline import selectors, services
from cyclecrm.pipeline.currency import MissingExchangeRate, base_currency, to_base
from cyclecrm.pipeline.filters import OpportunityFilters
from cyclecrm.pipeline.forms import OPPORTUNITY_LABELS, OpportunityForm
from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage, StageKind
from cyclecrm.pipeline.schemas import OPPORTUNITY_EXPORT_COLUMNS
from cyclecrm.web import selectors as web_selectors
from cyclecrm.web.errors import crm_view, is_htmx
from cyclecrm.web.records.config import Column, FilterField, RecordUI, register_ui
from cyclecrm.web.records.lists import build_list
from cyclecrm.web.records.views_list import filter_controls, record_list, require_level


class _Choices:
    """Filter options read from the database each time a list is drawn (pipelines change)."""

    def __init__(self, build: Any) -> None:
        self._build = build

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._build())


def _pipeline_options() -> list[tuple[str, str]]:
    return [(str(p.pk), p.name) for p in Pipeline.objects.order_by("position", "id")]


def _stage_options() -> list[tuple[str, str]]:
    stages = Stage.objects.select_related("pipeline").order_by("pipeline__position", "position")
    return [(str(s.pk), f"{s.pipeline.name} / {s.name}") for s in stages]


OPPORTUNITY_COLUMNS = (
    Column("name", "Name", ordering="name", default=True, link=True),
    Column("account", "Account", default=True),
    Column("stage_name", "Stage", default=True, field="stage"),
    Column("amount_label", "Amount", ordering="amount", default=True, field="amount"),
    Column("expected_close_date", "Expected close", ordering="expected_close_date", default=True),
    Column("probability", "Probability (%)"),
    Column("owner", "Owner", default=True),
    Column("pipeline", "Pipeline"),
    Column("contact", "Primary contact"),
    Column("source_campaign", "Source campaign"),
    Column("closed_at", "Closed"),
    Column("team", "Team"),
    Column("tags", "Tags"),
    Column("created_at", "Created", ordering="created_at"),
    Column("updated_at", "Updated", ordering="updated_at"),
)

OPPORTUNITY_FILTERS = (
    FilterField("status", "Status", "select", choices=tuple(StageKind.choices), field="stage"),
    FilterField("pipeline_id", "Pipeline", "select", choices=_Choices(_pipeline_options)),
    FilterField("stage_id", "Stage", "select", choices=_Choices(_stage_options)),
    FilterField("account_id", "Account", "record", lookup="account_lookup", model=Account),
    FilterField("contact_id", "Contact", "record", lookup="contact_lookup", model=Contact),
    FilterField("close_from", "Closes from", "date", field="expected_close_date"),
    FilterField("close_to", "Closes until", "date", field="expected_close_date"),
    FilterField("amount_min", "Amount at least", field="amount", placeholder="e.g. 1000"),
    FilterField("amount_max", "Amount at most", field="amount"),
    *RECORD_FILTERS,
)

OPPORTUNITY_GROUPS = (
    ("Deal", ("name", "account", "contact", "pipeline", "probability", "expected_close_date",
              "currency", "source_campaign")),
    ("Outcome", ("stage_changed_at", "closed_at", "lost_reason")),
    ("Notes", ("description",)),
)  # fmt: skip

OPPORTUNITY_INLINE = frozenset(
    {"name", "expected_close_date", "probability", "source_campaign", "lost_reason"}
)


def _update(*, instance: Opportunity, **kwargs: Any) -> Opportunity:
    return services.opportunity_update(opportunity=instance, **kwargs)


def _delete(*, actor: User, instance: Opportunity) -> None:
    services.opportunity_delete(actor=actor, opportunity=instance)


def _related(actor: User, opportunity: Opportunity) -> dict[str, Any]:
    """The deal panel: amount, stage path with move buttons, stage history, onboarding."""
    hidden = access.access_for(actor).hidden_fields(Opportunity.record_type)
    stages = list(Stage.objects.filter(pipeline_id=opportunity.pipeline_id).order_by("position"))
    context: dict[str, Any] = {
        "stages": stages if "stage" not in hidden else [],
        "show_amount": "amount" not in hidden,
        "can_move": access.can(actor, Action.EDIT, opportunity)
        and "stage" not in access.access_for(actor).readonly_fields(Opportunity.record_type),
        "stage_changes": list(
            selectors.stage_change_list(actor=actor, opportunity=opportunity).order_by("-at", "-id")
        )
        if "stage" not in hidden
        else [],
        "base_currency": base_currency(),
        "onboarding": None,
    }
    if context["show_amount"] and "probability" not in hidden:
        weighted = opportunity.amount * opportunity.probability / 100
        context["weighted"] = round_money(weighted, opportunity.currency)
    if context["show_amount"] and opportunity.currency != base_currency():
        day = report_day(opportunity)
        try:
            context["base_amount"] = to_base(opportunity.amount, opportunity.currency, day)
        except MissingExchangeRate as exc:
            context["base_amount_error"] = exc.message
    onboarding = selectors.onboarding_list(actor=actor).filter(opportunity=opportunity).first()
    if onboarding is not None:
        context["onboarding"] = onboarding
        context["onboarding_progress"] = services.onboarding_progress(onboarding)
    return context


OPPORTUNITY_UI = register_ui(
    RecordUI(
        name="opportunity",
        model=Opportunity,
        label="Opportunity",
        label_plural="Opportunities",
        icon="kanban",
        filters_class=OpportunityFilters,
        filter_fields=OPPORTUNITY_FILTERS,
        orderings=selectors.OPPORTUNITY_ORDERINGS,
        default_ordering="expected_close_date",
        columns=OPPORTUNITY_COLUMNS,
        field_groups=OPPORTUNITY_GROUPS,
        inline_fields=OPPORTUNITY_INLINE,
        export_columns=(*OPPORTUNITY_EXPORT_COLUMNS, "description", "version"),
        form_class=OpportunityForm,
        list_selector=selectors.opportunity_list,
        get_selector=selectors.opportunity_get,
        create=services.opportunity_create,
        update=_update,
        delete=_delete,
        labels=OPPORTUNITY_LABELS,
        search_fields=("expected_close_date",),
        related=_related,
        detail_template="pipeline/opportunity_detail.html",
        empty_hint="Opportunities are the deals you are working on. Add one, or convert a "
        "qualified lead.",
    )
)


@crm_view
def opportunity_list(request: HttpRequest) -> HttpResponse:
    """The generic record list, with a toggle to the board above it."""
    if is_htmx(request):
        return record_list(request, ui=OPPORTUNITY_UI)
    require_level(request, OPPORTUNITY_UI, Action.READ)
    actor = request.user
    result = build_list(request, OPPORTUNITY_UI)
    context = {
        "ui": OPPORTUNITY_UI,
        "list": result,
        "can_create": access.level(actor, "opportunity", Action.CREATE) != Level.NONE,
        "can_export": access.level(actor, "opportunity", Action.EXPORT) != Level.NONE,
        "saved_views": list(web_selectors.saved_view_list(actor=actor, record_type="opportunity")),
        "filter_controls": filter_controls(request, OPPORTUNITY_UI, result),
        "board_url": _board_url(request.GET.get("pipeline_id", "")),
    }
    status = 400 if result.errors else 200
    response = render(request, "pipeline/opportunity_list.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _board_url(pipeline_id: str) -> str:
    url = reverse("pipeline_board")
    return f"{url}?pipeline={pipeline_id}" if pipeline_id.isdigit() else url


# -- moving -----------------------------------------------------------------------------------


def _int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


@require_POST
@crm_view
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move to `stage_id` (with `version`, and `lost_reason` for a lost stage). From the board
    (an htmx-style request) the answer is the updated card plus every column header out of band,
    or the error body as JSON; from the detail page, a redirect with a message."""
    actor = request.user
    opportunity = selectors.opportunity_get(actor=actor, pk=pk)
    board = is_htmx(request)
    try:
        moved = services.opportunity_move(
            actor=actor,
            opportunity=opportunity,
            stage_id=_int(request.POST.get("stage_id", "")) or 0,
            version=_int(request.POST.get("version", "")),
            lost_reason=request.POST.get("lost_reason"),
        )
    except CrmError as exc:
        if board:
            return JsonResponse(exc.as_body(), status=exc.status)
        messages.error(request, _move_error(exc))
        return redirect("opportunity_detail", pk=opportunity.pk)
    if not board:
        messages.success(request, f"“{moved}” moved to {moved.stage.name}.")
        return redirect("opportunity_detail", pk=moved.pk)
    from cyclecrm.pipeline.views.board import moved_card_response

    return moved_card_response(request, selectors.opportunity_get(actor=actor, pk=moved.pk))


def _move_error(exc: CrmError) -> str:
    reasons = " ".join(reason for msgs in exc.fields.values() for reason in msgs)
    if exc.status == 409:
        return "Someone else changed this opportunity meanwhile; here is the current version."
    return reasons or exc.message


def report_day(opportunity: Opportunity) -> dt.date:
    """The day its amount converts at: the close day once closed, else the expected one."""
    if opportunity.closed_at is not None:
        return timezone.localdate(opportunity.closed_at)
    return opportunity.expected_close_date
