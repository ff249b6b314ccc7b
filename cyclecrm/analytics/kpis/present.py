"""A KPI evaluation as the API body, as a table of numbers, and as CSV or XLSX bytes."""

import csv
import io
from decimal import Decimal
from typing import Any

from cyclecrm.analytics.kpis.definitions import Group, Metric, Number, Point, Unit
from cyclecrm.analytics.kpis.engine import Evaluation
from cyclecrm.core.export import sanitize_cell
from cyclecrm.pipeline.currency import base_currency


def number(value: Number | None) -> float | int | None:
    """A JSON number: Decimals become floats (money and percentages carry two decimals)."""
    if value is None or isinstance(value, int):
        return value
    return float(value)


def display(value: Number | None, unit: Unit) -> str:
    if value is None:
        return "—"
    if unit == Unit.PERCENT:
        return f"{Decimal(value):,.2f} %"
    if unit == Unit.MONEY:
        return f"{Decimal(value):,.2f} {base_currency()}"
    if unit == Unit.DAYS:
        return f"{Decimal(value):,.1f} d"
    if unit == Unit.HOURS:
        return f"{Decimal(value):,.1f} h"
    if unit == Unit.RATIO:
        return f"{Decimal(value):,.2f} : 1"
    if isinstance(value, int) or Decimal(value) == Decimal(value).to_integral_value():
        return f"{int(value):,}"
    return f"{Decimal(value):,.2f}"


def definition_body(metric: Metric) -> dict[str, Any]:
    return {
        "name": metric.name,
        "label": metric.label,
        "area": str(metric.area),
        "unit": str(metric.unit),
        "description": metric.description,
        "formula": metric.formula,
        "period": metric.period,
        "filters": sorted(metric.filters),
        "group_by": (["day", "week", "month"] if metric.grains else []) + list(metric.dimensions),
        "split_by": list(metric.splits),
        "higher_is_better": metric.higher_is_better,
        "chart": metric.chart,
    }


def _point(point: Point) -> dict[str, Any]:
    body: dict[str, Any] = {"period": point.period.isoformat(), "value": number(point.value)}
    if point.parts is not None:
        body["parts"] = {key: number(value) for key, value in point.parts.items()}
    return body


def _group(group: Group) -> dict[str, Any]:
    return {
        "key": group.key,
        "label": group.label,
        "value": number(group.value),
        "numerator": number(group.numerator),
        "denominator": number(group.denominator),
        "drill_url": group.drill_url,
    }


def evaluation_body(ev: Evaluation) -> dict[str, Any]:
    result, query = ev.result, ev.query
    body: dict[str, Any] = {
        "metric": ev.metric.name,
        "label": ev.metric.label,
        "unit": str(ev.metric.unit),
        "currency": base_currency() if ev.metric.unit == Unit.MONEY else None,
        "from": query.start.isoformat(),
        "to": query.end.isoformat(),
        "group_by": query.group_by,
        "split_by": query.split_by,
        "filters": query.filters_used(),
        "ignored_filters": ev.ignored_filters,
        "value": number(result.value),
        "display": display(result.value, ev.metric.unit),
        "no_data": result.no_data,
        "numerator": number(result.numerator),
        "denominator": number(result.denominator),
        "drill_url": result.drill_url,
        "series": [_point(p) for p in result.series] if result.series is not None else None,
        "groups": [_group(g) for g in result.groups] if result.groups is not None else None,
        "parts": result.parts,
        "extra": _jsonable(result.extra),
        "previous": None,
        "change_percent": number(
            ev.change.quantize(Decimal("0.01")) if ev.change is not None else None
        ),
    }
    if ev.previous is not None:
        previous_query = query.previous()
        body["previous"] = {
            "from": previous_query.start.isoformat(),
            "to": previous_query.end.isoformat(),
            "value": number(ev.previous.value),
            "no_data": ev.previous.no_data,
        }
    return body


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def evaluation_table(ev: Evaluation) -> tuple[list[str], list[list[Any]]]:
    """The numbers behind the chart: one row per period, group or part (or the single value)."""
    result, unit = ev.result, str(ev.metric.unit)
    if result.series is not None and result.parts:
        keys = list(result.parts)
        headers = ["period", *[result.parts[k] for k in keys], "total"]
        rows = [
            [p.period.isoformat(), *[(p.parts or {}).get(k) for k in keys], p.value]
            for p in result.series
        ]
    elif result.series is not None:
        headers, rows = (
            ["period", f"{ev.metric.name} ({unit})"],
            [[p.period.isoformat(), p.value] for p in result.series],
        )
    elif result.groups is not None:
        headers = [
            ev.query.group_by or "group",
            f"{ev.metric.name} ({unit})",
            "numerator",
            "denominator",
        ]
        rows = [[g.label, g.value, g.numerator, g.denominator] for g in result.groups]
    else:
        headers = ["from", "to", f"{ev.metric.name} ({unit})", "numerator", "denominator"]
        rows = [
            [
                ev.query.start.isoformat(),
                ev.query.end.isoformat(),
                result.value,
                result.numerator,
                result.denominator,
            ]
        ]
    return headers, rows


def table_csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else _safe(v) for v in row])
    return out.getvalue().encode("utf-8")


def table_xlsx(headers: list[str], rows: list[list[Any]], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(headers)
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else _safe(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(value: Any) -> Any:
    """Labels come from user data (campaign names...): no spreadsheet formulas."""
    return sanitize_cell(value) if isinstance(value, str) else value
