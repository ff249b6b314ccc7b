"""The forecast and statistics page (`pipeline_forecast`): a bar chart of the weighted pipeline
and won amounts per month (Chart.js, fed from a json_script tag), tables by month and owner, and
the statistics of one pipeline."""

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cyclecrm.identity.models import Action
from cyclecrm.pipeline import analytics, selectors, services
from cyclecrm.pipeline.currency import MissingExchangeRate, base_currency
from cyclecrm.pipeline.presenters import forecast_body
from cyclecrm.pipeline.views.opportunities import OPPORTUNITY_UI
from cyclecrm.web import selectors as web_selectors
from cyclecrm.web.errors import crm_view
from cyclecrm.web.records.views_list import require_level

MAX_WINDOW_DAYS = 3 * 366


def _date(raw: str, errors: dict[str, str], name: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
        return None


def _window(request: HttpRequest, errors: dict[str, str]) -> tuple[dt.date, dt.date]:
    default_start, default_end = analytics.default_forecast_window(timezone.localdate())
    start = _date(request.GET.get("from", "").strip(), errors, "from") or default_start
    end = _date(request.GET.get("to", "").strip(), errors, "to") or default_end
    if start > end or (end - start).days > MAX_WINDOW_DAYS:
        errors["to"] = "After the start, and at most three years later."
        start, end = default_start, default_end
    return start, end


@crm_view
def pipeline_forecast(request: HttpRequest) -> HttpResponse:
    require_level(request, OPPORTUNITY_UI, Action.READ)
    actor = request.user
    pipelines = list(selectors.pipeline_list(actor=actor))
    raw_pipeline = request.GET.get("pipeline", "").strip()
    pipeline = next((p for p in pipelines if str(p.pk) == raw_pipeline), None)
    raw_owner = request.GET.get("owner_id", "").strip()
    owner_id = int(raw_owner) if raw_owner.isdigit() and len(raw_owner) < 19 else None
    errors: dict[str, str] = {}
    start, end = _window(request, errors)
    context: dict[str, Any] = {
        "pipelines": pipelines,
        "pipeline": pipeline,
        "owners": list(web_selectors.user_choices(actor=actor)),
        "owner_id": owner_id,
        "start": start,
        "end": end,
        "errors": errors,
        "currency": base_currency(),
    }
    try:
        result = analytics.forecast(
            actor=actor, start=start, end=end, pipeline=pipeline, owner_id=owner_id
        )
    except MissingExchangeRate as exc:
        context["rate_error"] = exc.message
    else:
        body = forecast_body(result)
        context["forecast"] = result
        context["owner_rows"] = [
            (result.owner_names.get(pk) if pk is not None else None, cell)
            for pk, cell in result.owners
        ]
        context["chart"] = {
            "currency": body["currency"],
            "labels": [row["month"] for row in body["months"]],
            "weighted": [row["weighted"] for row in body["months"]],
            "open": [row["open_amount"] for row in body["months"]],
            "won": [row["won_amount"] for row in body["months"]],
        }
    stats_pipeline = pipeline or services.pipeline_default()
    context["stats_pipeline"] = stats_pipeline
    try:
        context["stats"] = analytics.pipeline_stats(actor=actor, pipeline=stats_pipeline)
    except MissingExchangeRate as exc:
        context["stats_error"] = exc.message
    return render(request, "pipeline/forecast.html", context)
