"""The kanban board page (`pipeline_board`): full page, or the board fragment when its filters
change (htmx); and the answer to a card moved on it."""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from pydantic import ValidationError as PydanticValidationError

from cyclecrm.core.errors import NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.pipeline import selectors, services
from cyclecrm.pipeline.board import (
    BOARD_FILTERS,
    CARD_LIMIT,
    BoardColumn,
    board_columns,
    column_totals,
)
from cyclecrm.pipeline.currency import base_currency
from cyclecrm.pipeline.filters import OpportunityFilters
from cyclecrm.pipeline.models import Opportunity, Pipeline
from cyclecrm.pipeline.views.opportunities import OPPORTUNITY_UI
from cyclecrm.web import selectors as web_selectors
from cyclecrm.web.errors import crm_view, is_htmx
from cyclecrm.web.records.views_list import require_level


def board_filters(params: QueryDict) -> tuple[OpportunityFilters | None, dict[str, str], dict]:
    """(filters, the parameters in use, errors per parameter) from the board's query string."""
    query = {name: params.get(name, "").strip() for name in BOARD_FILTERS}
    query = {name: value for name, value in query.items() if value}
    try:
        return OpportunityFilters(**query), query, {}
    except PydanticValidationError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "filter"
            errors.setdefault(name, []).append("Not a valid value.")
        return None, query, errors


def _pipeline(pipelines: list[Pipeline], raw: str) -> Pipeline:
    if raw:
        chosen = next((p for p in pipelines if str(p.pk) == raw), None)
        if chosen is None:
            raise NotFound("No pipeline with this id.")
        return chosen
    default = services.pipeline_default()
    return next((p for p in pipelines if p.pk == default.pk), None) or default


@crm_view
def pipeline_board(request: HttpRequest) -> HttpResponse:
    require_level(request, OPPORTUNITY_UI, Action.READ)
    actor = request.user
    pipelines = list(selectors.pipeline_list(actor=actor, include_inactive=False))
    pipeline = _pipeline(pipelines, request.GET.get("pipeline", "").strip())
    filters, query, errors = board_filters(request.GET)
    stages = list(pipeline.stages.all())
    columns = (
        []
        if errors
        else board_columns(
            actor=actor,
            pipeline=pipeline,
            stages=stages,
            filters=filters,
            query=query,
            today=timezone.localdate(),
        )
    )
    context: dict[str, Any] = {
        "pipeline": pipeline,
        "pipelines": pipelines,
        "columns": columns,
        "errors": errors,
        "query": query,
        "card_limit": CARD_LIMIT,
        "currency": base_currency(),
        "can_create": access.level(actor, "opportunity", Action.CREATE) != Level.NONE,
        "list_url": f"{reverse('opportunity_list')}?pipeline_id={pipeline.pk}",
        "show_amount": _show_amount(actor),
    }
    if is_htmx(request):
        response = render(request, "pipeline/_board.html", context)
    else:
        context["owners"] = list(web_selectors.user_choices(actor=actor))
        response = render(request, "pipeline/board.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _show_amount(actor: User) -> bool:
    """Amounts and totals stay off the board for whom a field rule hides the amount."""
    return "amount" not in access.access_for(actor).hidden_fields(Opportunity.record_type)


def moved_card_response(request: HttpRequest, opportunity: Opportunity) -> HttpResponse:
    """The moved card, and every column header of its pipeline out of band (new counts and
    totals under the board's current filters, sent as the move request's query string)."""
    actor = request.user
    filters, _query, errors = board_filters(request.GET)
    pipeline = opportunity.pipeline
    totals = (
        {}
        if errors
        else column_totals(
            actor=actor, pipeline=pipeline, filters=filters, today=timezone.localdate()
        )
    )
    headers = []
    for stage in pipeline.stages.order_by("position", "id"):
        values = totals.get(stage.pk, {})
        column = BoardColumn(
            stage=stage,
            count=values.get("n", 0),
            total=values.get("total", Decimal("0.00")),
            unconverted=values.get("unconverted", 0),
        )
        headers.append(column)
    account = opportunity.account
    opportunity.account_visible = account is not None and access.can(actor, Action.READ, account)
    return render(
        request,
        "pipeline/_board_moved.html",
        {"card": opportunity, "headers": headers, "show_amount": _show_amount(actor)},
    )
