"""/api/v1/analytics: the KPI definitions and their values, as the dashboards compute them."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from cyclecrm.analytics.kpis.engine import kpi_definition, kpi_definitions, kpi_evaluate
from cyclecrm.analytics.kpis.present import definition_body, evaluation_body
from cyclecrm.analytics.models import PinnedKpi
from cyclecrm.analytics.selectors import dashboards as selectors
from cyclecrm.analytics.services import pins as services
from cyclecrm.api.schemas import MAX_ID, InputSchema, RecordId, error_responses

analytics_router = Router(tags=["analytics"])


class KpiDefinitionOut(Schema):
    name: str
    label: str
    area: str
    unit: str
    description: str
    formula: str
    period: str
    filters: list[str]
    group_by: list[str]
    split_by: list[str]
    higher_is_better: bool
    chart: str


class KpiListOut(Schema):
    items: list[KpiDefinitionOut]


class KpiPointOut(Schema):
    period: dt.date
    value: int | float | None
    parts: dict[str, int | float | None] | None = None


class KpiGroupOut(Schema):
    key: str
    label: str
    value: int | float | None
    numerator: int | float | None
    denominator: int | float | None
    drill_url: str | None


class KpiPreviousOut(Schema):
    from_: dt.date = Field(..., alias="from")
    to: dt.date
    value: int | float | None
    no_data: str | None


class KpiValueOut(Schema):
    metric: str
    label: str
    unit: str
    currency: str | None
    from_: dt.date = Field(..., alias="from")
    to: dt.date
    group_by: str | None
    split_by: str | None
    filters: dict[str, int]
    ignored_filters: list[str]
    value: int | float | None
    display: str
    no_data: str | None
    numerator: int | float | None
    denominator: int | float | None
    drill_url: str | None
    series: list[KpiPointOut] | None
    groups: list[KpiGroupOut] | None
    parts: dict[str, str] | None
    extra: dict[str, Any]
    previous: KpiPreviousOut | None
    change_percent: int | float | None


class KpiParams(Schema):
    start: dt.date | None = Field(
        None, alias="from", description="First day, UTC (default: 29 days before `to`)."
    )
    end: dt.date | None = Field(
        None, alias="to", description="Last day, inclusive (default: today)."
    )
    group_by: str | None = Field(
        None,
        max_length=40,
        description="day, week or month for a series, or one of the metric's dimensions.",
    )
    split_by: str | None = Field(
        None, max_length=40, description="Split a day/week/month series into parts."
    )
    team: int | None = Field(None, ge=1, le=MAX_ID)
    owner: int | None = Field(None, ge=1, le=MAX_ID)
    pipeline: int | None = Field(None, ge=1, le=MAX_ID)
    campaign: int | None = Field(None, ge=1, le=MAX_ID)
    segment: int | None = Field(None, ge=1, le=MAX_ID)
    compare: bool = Field(False, description="Also compute the previous period of the same length.")


@analytics_router.get(
    "/kpis",
    response={200: KpiListOut, **error_responses()},
    operation_id="list_kpis",
    summary="The KPI definitions",
    description=(
        "Every metric with its formula, unit, period semantics, filters and groupings "
        "(docs/kpis.md)."
    ),
)
def list_kpis(request: HttpRequest) -> dict[str, Any]:
    return {"items": [definition_body(item) for item in kpi_definitions()]}


@analytics_router.get(
    "/kpis/{name}",
    response={200: KpiValueOut, **error_responses(404, 422)},
    operation_id="get_kpi",
    by_alias=True,
    summary="A KPI's value, series or groups over a period",
    description=(
        "Computed over the records you may read. `group_by=day|week|month` returns a gap-free "
        "`series`; a dimension returns `groups` with a `drill_url` to the matching records. A "
        "rate without a denominator is `value: null` with `no_data` saying why. Filters the "
        "metric does not accept are listed in `ignored_filters`."
    ),
)
def get_kpi(
    request: HttpRequest,
    params: Query[KpiParams],
    name: str = Path(..., max_length=60, pattern=r"^[a-z0-9_]+$"),
) -> dict[str, Any]:
    kpi_definition(name)
    raw = params.model_dump(by_alias=True, exclude={"compare"})
    body = evaluation_body(
        kpi_evaluate(actor=request.auth, name=name, params=raw, compare=params.compare)
    )
    return body


class PinOptionsIn(InputSchema):
    chart: str | None = Field(None, max_length=20, description="Default: the metric's chart.")
    group_by: str | None = Field(None, max_length=40)
    split_by: str | None = Field(None, max_length=40)
    range: str | None = Field(
        None,
        max_length=20,
        description="last_7_days, last_30_days (default), last_90_days, this_month, "
        "last_month, this_quarter or year_to_date.",
    )
    compare: bool = False
    team: int | None = Field(None, ge=1, le=MAX_ID)
    owner: int | None = Field(None, ge=1, le=MAX_ID)
    pipeline: int | None = Field(None, ge=1, le=MAX_ID)
    campaign: int | None = Field(None, ge=1, le=MAX_ID)
    segment: int | None = Field(None, ge=1, le=MAX_ID)


class PinIn(InputSchema):
    metric: str = Field(..., min_length=1, max_length=60)
    options: PinOptionsIn = Field(default_factory=PinOptionsIn)


class PinOut(Schema):
    id: int
    metric: str
    options: dict[str, Any]
    position: int
    created_at: dt.datetime


class PinListOut(Schema):
    items: list[PinOut]


def _pin_body(pin: PinnedKpi) -> dict[str, Any]:
    return {
        "id": pin.pk,
        "metric": pin.metric,
        "options": pin.options,
        "position": pin.position,
        "created_at": pin.created_at,
    }


@analytics_router.get(
    "/pins",
    response={200: PinListOut, **error_responses()},
    operation_id="list_kpi_pins",
    summary="Your pinned KPIs",
    description=f"The KPIs on your home page, in order (at most {services.MAX_PINS}).",
)
def list_pins(request: HttpRequest) -> dict[str, Any]:
    return {"items": [_pin_body(pin) for pin in selectors.pin_list(actor=request.auth)]}


@analytics_router.post(
    "/pins",
    response={201: PinOut, **error_responses(422)},
    operation_id="create_kpi_pin",
    summary="Pin a KPI to your home page",
    description="A metric with its chart, grouping, range preset and filters; 422 names the "
    "field (`metric`, `options.group_by`...) when invalid or at the limit.",
)
def create_pin(request: HttpRequest, payload: PinIn) -> Status:
    options = payload.options.model_dump(exclude_none=True)
    pin = services.pin_create(actor=request.auth, metric=payload.metric, options=options)
    return Status(201, _pin_body(pin))


@analytics_router.delete(
    "/pins/{id}",
    response={204: None, **error_responses(404)},
    operation_id="delete_kpi_pin",
    summary="Unpin a KPI",
    description="Only your own pins can be removed (another user's pin is a 404).",
)
def delete_pin(request: HttpRequest, id: int = RecordId) -> Status:
    pin = selectors.pin_get(actor=request.auth, pk=id)
    services.pin_delete(actor=request.auth, pin=pin)
    return Status(204, None)
