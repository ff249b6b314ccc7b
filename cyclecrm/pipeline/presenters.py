"""Plain dicts of pipeline objects and reports, as the API sends them and the forecast page's
chart reads them (decimal strings for money, percentages and days)."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from cyclecrm.activities.models import Task
from cyclecrm.pipeline.analytics import Forecast, ForecastCell, PipelineStats
from cyclecrm.pipeline.models import ExchangeRate, Onboarding, OnboardingTemplate, Pipeline
from cyclecrm.pipeline.services import onboarding_progress


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def pipeline_body(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "id": pipeline.pk,
        "version": pipeline.version,
        "name": pipeline.name,
        "position": pipeline.position,
        "is_default": pipeline.is_default,
        "is_active": pipeline.is_active,
        "stages": list(pipeline.stages.all()),
    }


def rate_body(rate: ExchangeRate) -> dict[str, Any]:
    return {
        "id": rate.pk,
        "version": rate.version,
        "currency": rate.currency,
        "valid_from": rate.valid_from,
        "rate": format(Decimal(rate.rate).normalize(), "f"),
    }


def template_body(template: OnboardingTemplate) -> dict[str, Any]:
    return {
        "id": template.pk,
        "version": template.version,
        "name": template.name,
        "is_default": template.is_default,
        "steps": list(template.steps.all()),
    }


def onboarding_body(onboarding: Onboarding, *, steps: Iterable[Task] | None = None) -> dict:
    progress = onboarding_progress(onboarding)
    body: dict[str, Any] = {
        "id": onboarding.pk,
        "account_id": onboarding.account_id,
        "opportunity_id": onboarding.opportunity_id,
        "template_id": onboarding.template_id,
        "started_at": onboarding.started_at,
        "completed_at": onboarding.completed_at,
        "progress": {"done": progress.done, "total": progress.total, "percent": progress.percent},
    }
    if steps is not None:
        body["steps"] = [
            {
                "task_id": task.pk,
                "title": task.title,
                "status": task.status,
                "due_at": task.due_at,
                "owner_id": task.owner_id,
                "completed_at": task.completed_at,
            }
            for task in steps
        ]
    return body


def _cell(cell: ForecastCell) -> dict[str, Any]:
    return {
        "weighted": _text(cell.weighted),
        "open_amount": _text(cell.open_amount),
        "open_count": cell.open_count,
        "won_amount": _text(cell.won_amount),
        "won_count": cell.won_count,
    }


def forecast_body(
    result: Forecast, *, pipeline_id: int | None = None, owner_id: int | None = None
) -> dict[str, Any]:
    names = result.owner_names
    return {
        "currency": result.currency,
        "start": result.start,
        "end": result.end,
        "pipeline_id": pipeline_id,
        "owner_id": owner_id,
        "rows": [
            {"month": month.strftime("%Y-%m"), "owner_id": pk, "owner_name": names.get(pk)}
            | _cell(cell)
            for month, pk, cell in result.rows
        ],
        "months": [
            {"month": month.strftime("%Y-%m")} | _cell(cell) for month, cell in result.months
        ],
        "owners": [
            {"owner_id": pk, "owner_name": names.get(pk)} | _cell(cell)
            for pk, cell in result.owners
        ],
        "total": _cell(result.total),
    }


def stats_body(stats: PipelineStats) -> dict[str, Any]:
    return {
        "pipeline_id": stats.pipeline.pk,
        "currency": stats.currency,
        "computed_at": stats.now,
        "open_count": stats.open_count,
        "open_value": _text(stats.open_value),
        "won_count": stats.won_count,
        "lost_count": stats.lost_count,
        "win_rate_percent": _text(stats.win_rate),
        "avg_sales_cycle_days": _text(stats.avg_cycle_days),
        "bottleneck_stage_id": stats.bottleneck.pk if stats.bottleneck else None,
        "stages": [
            {
                "stage_id": row.stage.pk,
                "name": row.stage.name,
                "kind": row.stage.kind,
                "position": row.stage.position,
                "open_count": row.open_count,
                "open_value": _text(row.open_value),
                "count_share_percent": _text(row.count_share),
                "value_share_percent": _text(row.value_share),
                "reached": row.reached,
                "conversion_percent": _text(row.conversion),
                "avg_days": _text(row.avg_days),
                "stays": row.stays,
            }
            for row in stats.stages
        ],
    }
