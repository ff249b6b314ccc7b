"""REST endpoints of the pipeline app: thin handlers over pipeline.services, selectors and
analytics. Opportunities the caller may not read are 404 everywhere, lists included."""

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from cyclecrm.activities.interaction_api import add_timeline_route
from cyclecrm.api.lists import (
    CSV_RESPONSE_DOC,
    CUSTOM_FILTER_DOC,
    PageParams,
    check_filter_ids,
    custom_params,
    filter_fields,
    ordering_fields,
    page_body,
    refuse_hidden_filters,
)
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import MAX_ID, RecordId, cursor_page, error_responses, visible_record
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.export import ExportFormat, export_columns, export_response, require_export
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity.models import Action
from cyclecrm.pipeline import analytics, selectors, services
from cyclecrm.pipeline.filters import OPPORTUNITY_FILTER_FIELDS, OpportunityFilters
from cyclecrm.pipeline.models import Onboarding, OnboardingTemplate, Opportunity, Pipeline
from cyclecrm.pipeline.presenters import (
    forecast_body,
    onboarding_body,
    pipeline_body,
    rate_body,
    stats_body,
    template_body,
)
from cyclecrm.pipeline.schemas import (
    OPPORTUNITY_EXPORT_COLUMNS,
    ExchangeRateIn,
    ExchangeRateOut,
    ExchangeRatePatchIn,
    ForecastOut,
    OnboardingDetailOut,
    OnboardingOut,
    OnboardingTemplateIn,
    OnboardingTemplateOut,
    OnboardingTemplatePatchIn,
    OpportunityCreateIn,
    OpportunityMoveIn,
    OpportunityOut,
    OpportunityPatchIn,
    PipelineCreateIn,
    PipelineOut,
    PipelinePatchIn,
    PipelineStatsOut,
    StageChangeOut,
    StageIn,
    StageOrderIn,
    StageOut,
    StagePatchIn,
)

opportunities_router = Router(tags=["opportunities"])
pipelines_router = Router(tags=["pipelines"])
pipeline_analytics_router = Router(tags=["pipeline analytics"])
exchange_rates_router = Router(tags=["exchange rates"])
onboardings_router = Router(tags=["onboarding"])
onboarding_templates_router = Router(tags=["onboarding"])

OpportunityPage = cursor_page(OpportunityOut)
StageChangePage = cursor_page(StageChangeOut)
PipelinePage = cursor_page(PipelineOut)
ExchangeRatePage = cursor_page(ExchangeRateOut)
OnboardingPage = cursor_page(OnboardingOut)
OnboardingTemplatePage = cursor_page(OnboardingTemplateOut)
OpportunityOrdering = Literal[tuple(selectors.OPPORTUNITY_ORDERINGS)]
DEFAULT_ORDERING = selectors.DEFAULT_OPPORTUNITY_ORDERING
StageId = Path(..., ge=1, le=MAX_ID, description="The stage's id.")
MAX_FORECAST_DAYS = 3 * 366

POSITION_ORDERINGS = orderings_with_reverse({"position": ("position", "id")})
RATE_ORDERINGS = orderings_with_reverse({"valid_from": ("valid_from", "id")})
STARTED_ORDERINGS = orderings_with_reverse({"started_at": ("started_at", "id")})
NAME_ORDERINGS = orderings_with_reverse({"name": ("name", "id")})
CHANGE_ORDERINGS = orderings_with_reverse({"at": ("at", "id")})


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    return data, data.pop("tags", None), data.pop("custom", None)


def _page(queryset: QuerySet, page: PageParams, orderings: dict, ordering: str, item: Any) -> dict:
    result = paginate(
        queryset,
        orderings=orderings,
        ordering=ordering,
        default_ordering=ordering,
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": [item(row) for row in result.items], "next_cursor": result.next_cursor}


# -- opportunities ----------------------------------------------------------------------------


def _opportunity_list(
    request: HttpRequest, filters: OpportunityFilters, ordering: str | None, action: str
) -> QuerySet[Opportunity]:
    actor = request.auth
    check_filter_ids(filters)
    custom = custom_params(request)
    used = filter_fields(filters, aliases=OPPORTUNITY_FILTER_FIELDS)
    used |= ordering_fields(selectors.OPPORTUNITY_ORDERINGS, ordering)
    refuse_hidden_filters(actor, Opportunity.record_type, used, custom)
    return selectors.opportunity_list(actor=actor, filters=filters, custom=custom, action=action)


@opportunities_router.get(
    "",
    response={200: OpportunityPage, **error_responses(403, 422)},
    operation_id="list_opportunities",
    summary="List opportunities",
    description=(
        "Only opportunities you may read. `q` searches the name; `status` is open, won or lost; "
        "`close_from` / `close_to` bound the expected close date and `amount_min` / "
        "`amount_max` the amount (in its own currency). Pages are keyset-based: pass "
        "`next_cursor` back as `cursor` with the same `ordering`. " + CUSTOM_FILTER_DOC
    ),
)
def list_opportunities(
    request: HttpRequest,
    filters: Query[OpportunityFilters],
    page: Query[PageParams],
    ordering: OpportunityOrdering | None = None,
) -> dict[str, Any]:
    queryset = _opportunity_list(request, filters, ordering, Action.READ)
    return page_body(
        request.auth,
        queryset,
        OpportunityOut,
        page=page,
        orderings=selectors.OPPORTUNITY_ORDERINGS,
        ordering=ordering,
        default_ordering=DEFAULT_ORDERING,
    )


@opportunities_router.get(
    "/export",
    response=error_responses(403, 422),
    operation_id="export_opportunities",
    summary="Export opportunities as CSV",
    description="The opportunities matching the filters as CSV; needs the export right.",
    openapi_extra=CSV_RESPONSE_DOC,
)
def export_opportunities(
    request: HttpRequest,
    filters: Query[OpportunityFilters],
    ordering: OpportunityOrdering | None = None,
    format: ExportFormat = "csv",
) -> HttpResponseBase:
    actor = request.auth
    require_export(actor, Opportunity.record_type)
    queryset = _opportunity_list(request, filters, ordering, Action.EXPORT)
    spec = selectors.OPPORTUNITY_ORDERINGS[ordering or DEFAULT_ORDERING]
    columns = export_columns(actor, Opportunity.record_type, OPPORTUNITY_EXPORT_COLUMNS)
    return export_response(queryset.order_by(*spec.order_by()), columns, "opportunities", format)


@opportunities_router.get(
    "/{id}",
    response={200: OpportunityOut, **error_responses(404, 422)},
    operation_id="get_opportunity",
    summary="Get one opportunity",
)
def get_opportunity(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    opportunity = selectors.opportunity_get(actor=request.auth, pk=id)
    return visible_record(request.auth, opportunity, OpportunityOut)


@opportunities_router.post(
    "",
    response={201: OpportunityOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_opportunity",
    summary="Create an opportunity",
    description=(
        "Defaults: the default pipeline and its first open stage, the stage's probability, the "
        "base currency, an expected close date 30 days ahead, you as owner."
    ),
)
def create_opportunity(request: HttpRequest, payload: OpportunityCreateIn) -> Status:
    data, tags, custom = _split(payload.model_dump(exclude_unset=True))
    opportunity = services.opportunity_create(
        actor=request.auth, data=data, tags=tags, custom=custom
    )
    return Status(201, visible_record(request.auth, opportunity, OpportunityOut))


@opportunities_router.patch(
    "/{id}",
    response={200: OpportunityOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_opportunity",
    summary="Update an opportunity",
    description=(
        "Partial update: only the fields sent change. Send the `version` you read (409 if it is "
        "stale, and nothing is stored). A new `stage_id` or `pipeline_id` moves the opportunity "
        "like `POST /{id}/move`."
    ),
)
def update_opportunity(
    request: HttpRequest, payload: OpportunityPatchIn, id: int = RecordId
) -> dict[str, Any]:
    opportunity = selectors.opportunity_get(actor=request.auth, pk=id)
    data, tags, custom = _split(payload.model_dump(exclude_unset=True))
    version = data.pop("version")
    opportunity = services.opportunity_update(
        actor=request.auth,
        opportunity=opportunity,
        data=data,
        version=version,
        tags=tags,
        custom=custom,
    )
    return visible_record(request.auth, opportunity, OpportunityOut)


@opportunities_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_opportunity",
    summary="Delete an opportunity",
)
def delete_opportunity(request: HttpRequest, id: int = RecordId) -> Status:
    opportunity = selectors.opportunity_get(actor=request.auth, pk=id)
    services.opportunity_delete(actor=request.auth, opportunity=opportunity)
    return Status(204, None)


@opportunities_router.post(
    "/{id}/move",
    response={200: OpportunityOut, **error_responses(403, 404, 409, 422)},
    operation_id="move_opportunity",
    summary="Move an opportunity to another stage",
    description=(
        "Records the stage change (from, to, who, when); the probability follows the new "
        "stage; entering a won or lost stage sets `closed_at`, reopening clears it. A lost "
        "stage needs `lost_reason` (422). Entering a won stage makes the account and primary "
        "contact customers and starts the onboarding (once). A stale `version` is a 409 and "
        "nothing is recorded."
    ),
)
def move_opportunity(
    request: HttpRequest, payload: OpportunityMoveIn, id: int = RecordId
) -> dict[str, Any]:
    opportunity = selectors.opportunity_get(actor=request.auth, pk=id)
    opportunity = services.opportunity_move(
        actor=request.auth,
        opportunity=opportunity,
        stage_id=payload.stage_id,
        version=payload.version,
        lost_reason=payload.lost_reason,
    )
    return visible_record(request.auth, opportunity, OpportunityOut)


@opportunities_router.get(
    "/{id}/stage-changes",
    response={200: StageChangePage, **error_responses(404, 422)},
    operation_id="list_opportunity_stage_changes",
    summary="Stage history of one opportunity",
    description="Every move, oldest first; the first row (no `from_stage_id`) is the creation.",
)
def list_stage_changes(
    request: HttpRequest, page: Query[PageParams], id: int = RecordId
) -> dict[str, Any]:
    opportunity = selectors.opportunity_get(actor=request.auth, pk=id)
    changes = selectors.stage_change_list(actor=request.auth, opportunity=opportunity)
    return _page(changes, page, CHANGE_ORDERINGS, "at", lambda row: row)


add_record_routes(opportunities_router, noun="opportunity", get_record=selectors.opportunity_get)
add_timeline_route(opportunities_router, noun="opportunity", get_record=selectors.opportunity_get)


# -- pipelines --------------------------------------------------------------------------------


@pipelines_router.get(
    "",
    response={200: PipelinePage, **error_responses(422)},
    operation_id="list_pipelines",
    summary="List pipelines with their stages",
    description="In display order, inactive ones included (`is_active`).",
)
def list_pipelines(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    queryset = selectors.pipeline_list(actor=request.auth)
    return _page(queryset, page, POSITION_ORDERINGS, "position", pipeline_body)


@pipelines_router.get(
    "/{id}",
    response={200: PipelineOut, **error_responses(404, 422)},
    operation_id="get_pipeline",
    summary="Get one pipeline",
)
def get_pipeline(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return pipeline_body(selectors.pipeline_get(actor=request.auth, pk=id))


@pipelines_router.post(
    "",
    response={201: PipelineOut, **error_responses(403, 409, 422)},
    operation_id="create_pipeline",
    summary="Create a pipeline",
    description="Administrators only. Without `stages`, the six standard stages are created.",
)
def create_pipeline(request: HttpRequest, payload: PipelineCreateIn) -> Status:
    data = payload.model_dump(exclude_unset=True)
    pipeline = services.pipeline_create(actor=request.auth, data=data)
    return Status(201, pipeline_body(selectors.pipeline_get(actor=request.auth, pk=pipeline.pk)))


@pipelines_router.patch(
    "/{id}",
    response={200: PipelineOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_pipeline",
    summary="Rename, reorder, (de)activate or make default a pipeline",
)
def update_pipeline(request: HttpRequest, payload: PipelinePatchIn, id: int = RecordId) -> dict:
    pipeline = selectors.pipeline_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    services.pipeline_update(actor=request.auth, pipeline=pipeline, data=data, version=version)
    return pipeline_body(selectors.pipeline_get(actor=request.auth, pk=id))


@pipelines_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 409, 422)},
    operation_id="delete_pipeline",
    summary="Delete a pipeline without opportunities",
    description="409 `pipeline_in_use` while opportunities are in it.",
)
def delete_pipeline(request: HttpRequest, id: int = RecordId) -> Status:
    pipeline = selectors.pipeline_get(actor=request.auth, pk=id)
    services.pipeline_delete(actor=request.auth, pipeline=pipeline)
    return Status(204, None)


@pipelines_router.post(
    "/{id}/stages",
    response={201: StageOut, **error_responses(403, 404, 409, 422)},
    operation_id="create_stage",
    summary="Add a stage",
    description="An open stage goes before the first closed stage, a closed one at the end.",
)
def create_stage(request: HttpRequest, payload: StageIn, id: int = RecordId) -> Status:
    pipeline = selectors.pipeline_get(actor=request.auth, pk=id)
    stage = services.stage_create(actor=request.auth, pipeline=pipeline, data=payload.model_dump())
    return Status(201, stage)


@pipelines_router.patch(
    "/{id}/stages/{stage_id}",
    response={200: StageOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_stage",
    summary="Rename a stage or change its probability or kind",
    description="The kind cannot change while opportunities are in the stage (409).",
)
def update_stage(
    request: HttpRequest, payload: StagePatchIn, id: int = RecordId, stage_id: int = StageId
) -> Any:
    pipeline = selectors.pipeline_get(actor=request.auth, pk=id)
    stage = selectors.stage_get(actor=request.auth, pipeline=pipeline, pk=stage_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return services.stage_update(actor=request.auth, stage=stage, data=data, version=version)


class StageDeleteParams(Schema):
    merge_into: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="Move the stage's opportunities (and history) to this stage first.",
    )


@pipelines_router.delete(
    "/{id}/stages/{stage_id}",
    response={204: None, **error_responses(403, 404, 409, 422)},
    operation_id="delete_stage",
    summary="Delete (or merge away) a stage",
    description=(
        "Without `merge_into`, only an empty stage can be deleted (409 `stage_in_use`). With "
        "it, the opportunities move to that stage (same pipeline, same kind) first."
    ),
)
def delete_stage(
    request: HttpRequest,
    params: Query[StageDeleteParams],
    id: int = RecordId,
    stage_id: int = StageId,
) -> Status:
    pipeline = selectors.pipeline_get(actor=request.auth, pk=id)
    stage = selectors.stage_get(actor=request.auth, pipeline=pipeline, pk=stage_id)
    if params.merge_into is not None:
        services.stage_merge(actor=request.auth, stage=stage, into_id=params.merge_into)
    else:
        services.stage_delete(actor=request.auth, stage=stage)
    return Status(204, None)


@pipelines_router.put(
    "/{id}/stages",
    response={200: PipelineOut, **error_responses(403, 404, 409, 422)},
    operation_id="reorder_stages",
    summary="Reorder the stages",
    description=(
        "Send every stage id of the pipeline once, in the new order, with the pipeline's "
        "`version` (409 `version_conflict` if it moved on)."
    ),
)
def reorder_stages(request: HttpRequest, payload: StageOrderIn, id: int = RecordId) -> dict:
    pipeline = selectors.pipeline_get(actor=request.auth, pk=id)
    services.stage_reorder(
        actor=request.auth, pipeline=pipeline, stage_ids=payload.stage_ids, version=payload.version
    )
    return pipeline_body(selectors.pipeline_get(actor=request.auth, pk=id))


# -- reports ----------------------------------------------------------------------------------


class ForecastParams(Schema):
    pipeline: int | None = Field(None, ge=1, le=MAX_ID, description="Pipeline id (default: all).")
    start: dt.date | None = Field(
        None, alias="from", description="First day (default: 1st of the month 5 months ago)."
    )
    end: dt.date | None = Field(
        None, alias="to", description="Last day (default: end of the month 6 months ahead)."
    )
    owner_id: int | None = Field(None, ge=1, le=MAX_ID)


class StatsParams(Schema):
    pipeline: int | None = Field(
        None, ge=1, le=MAX_ID, description="Pipeline id (default: the default pipeline)."
    )


def _report_pipeline(request: HttpRequest, pk: int | None) -> Pipeline | None:
    return selectors.pipeline_get(actor=request.auth, pk=pk) if pk is not None else None


@pipeline_analytics_router.get(
    "/forecast",
    response={200: ForecastOut, **error_responses(404, 422)},
    operation_id="get_forecast",
    summary="Forecast: weighted pipeline and won amounts per month and owner",
    description=(
        "Over the opportunities you may read, converted to the base currency (open ones at the "
        "rate of their expected close date, won ones at the rate of their close date): per "
        "month and owner, the weighted amount (Σ amount * probability / 100) and the amount of "
        "open opportunities expected to close that month, beside the amount won that month. "
        "Amounts are decimal strings. 422 `missing_exchange_rate` names a currency and day "
        "without a rate."
    ),
)
def get_forecast(request: HttpRequest, params: Query[ForecastParams]) -> dict[str, Any]:
    pipeline = _report_pipeline(request, params.pipeline)
    default_start, default_end = analytics.default_forecast_window(timezone.localdate())
    start, end = params.start or default_start, params.end or default_end
    if start > end or (end - start).days > MAX_FORECAST_DAYS:
        raise ValidationFailed(fields={"to": ["After `from`, and at most three years later."]})
    result = analytics.forecast(
        actor=request.auth, start=start, end=end, pipeline=pipeline, owner_id=params.owner_id
    )
    return forecast_body(result, pipeline_id=params.pipeline, owner_id=params.owner_id)


@pipeline_analytics_router.get(
    "/stats",
    response={200: PipelineStatsOut, **error_responses(404, 422)},
    operation_id="get_pipeline_stats",
    summary="Pipeline statistics: stage shares, conversion, time in stage, win rate",
    description=(
        "Over the opportunities you may read in one pipeline. Percentages and days are decimal "
        "strings with two decimals; see docs/pipeline.md for the exact formulas."
    ),
)
def get_pipeline_stats(request: HttpRequest, params: Query[StatsParams]) -> dict[str, Any]:
    pipeline = _report_pipeline(request, params.pipeline) or services.pipeline_default()
    return stats_body(analytics.pipeline_stats(actor=request.auth, pipeline=pipeline))


# -- exchange rates ---------------------------------------------------------------------------


class RateFilters(Schema):
    currency: str | None = Field(None, max_length=3, description="Only this currency.")


@exchange_rates_router.get(
    "",
    response={200: ExchangeRatePage, **error_responses(422)},
    operation_id="list_exchange_rates",
    summary="List exchange rates",
    description="Newest first. A rate is base currency units per unit from `valid_from` on.",
)
def list_exchange_rates(
    request: HttpRequest, filters: Query[RateFilters], page: Query[PageParams]
) -> dict[str, Any]:
    queryset = selectors.exchange_rate_list(actor=request.auth, currency=filters.currency)
    return _page(queryset, page, RATE_ORDERINGS, "-valid_from", rate_body)


@exchange_rates_router.get(
    "/{id}",
    response={200: ExchangeRateOut, **error_responses(404, 422)},
    operation_id="get_exchange_rate",
    summary="Get one exchange rate",
)
def get_exchange_rate(request: HttpRequest, id: int = RecordId) -> Any:
    return rate_body(selectors.exchange_rate_get(actor=request.auth, pk=id))


@exchange_rates_router.post(
    "",
    response={201: ExchangeRateOut, **error_responses(403, 409, 422)},
    operation_id="create_exchange_rate",
    summary="Add an exchange rate",
    description="Administrators only; one rate per currency and day (409 otherwise).",
)
def create_exchange_rate(request: HttpRequest, payload: ExchangeRateIn) -> Status:
    rate = services.exchange_rate_create(actor=request.auth, data=payload.model_dump())
    return Status(201, rate_body(rate))


@exchange_rates_router.patch(
    "/{id}",
    response={200: ExchangeRateOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_exchange_rate",
    summary="Change an exchange rate",
)
def update_exchange_rate(
    request: HttpRequest, payload: ExchangeRatePatchIn, id: int = RecordId
) -> Any:
    rate = selectors.exchange_rate_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return rate_body(
        services.exchange_rate_update(actor=request.auth, rate=rate, data=data, version=version)
    )


@exchange_rates_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_exchange_rate",
    summary="Delete an exchange rate",
)
def delete_exchange_rate(request: HttpRequest, id: int = RecordId) -> Status:
    rate = selectors.exchange_rate_get(actor=request.auth, pk=id)
    services.exchange_rate_delete(actor=request.auth, rate=rate)
    return Status(204, None)


# -- onboarding -------------------------------------------------------------------------------


class OnboardingFilters(Schema):
    account_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this account's.")


@onboardings_router.get(
    "",
    response={200: OnboardingPage, **error_responses(422)},
    operation_id="list_onboardings",
    summary="List onboardings",
    description="Onboardings of the accounts you may read, newest first, with their progress.",
)
def list_onboardings(
    request: HttpRequest, filters: Query[OnboardingFilters], page: Query[PageParams]
) -> dict[str, Any]:
    queryset = selectors.onboarding_list(actor=request.auth, account_id=filters.account_id)
    return _page(queryset, page, STARTED_ORDERINGS, "-started_at", onboarding_body)


@onboardings_router.get(
    "/{id}",
    response={200: OnboardingDetailOut, **error_responses(404, 422)},
    operation_id="get_onboarding",
    summary="Get one onboarding with its steps and progress",
)
def get_onboarding(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    onboarding: Onboarding = selectors.onboarding_get(actor=request.auth, pk=id)
    steps = selectors.onboarding_steps(actor=request.auth, onboarding=onboarding)
    return onboarding_body(onboarding, steps=list(steps))


@onboarding_templates_router.get(
    "",
    response={200: OnboardingTemplatePage, **error_responses(422)},
    operation_id="list_onboarding_templates",
    summary="List onboarding templates",
)
def list_onboarding_templates(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    queryset = selectors.onboarding_template_list(actor=request.auth)
    return _page(queryset, page, NAME_ORDERINGS, "name", template_body)


@onboarding_templates_router.get(
    "/{id}",
    response={200: OnboardingTemplateOut, **error_responses(404, 422)},
    operation_id="get_onboarding_template",
    summary="Get one onboarding template",
)
def get_onboarding_template(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return template_body(selectors.onboarding_template_get(actor=request.auth, pk=id))


@onboarding_templates_router.post(
    "",
    response={201: OnboardingTemplateOut, **error_responses(403, 409, 422)},
    operation_id="create_onboarding_template",
    summary="Create an onboarding template",
    description="Administrators only. `steps` in order; the first template is the default.",
)
def create_onboarding_template(request: HttpRequest, payload: OnboardingTemplateIn) -> Status:
    template = services.onboarding_template_create(actor=request.auth, data=payload.model_dump())
    fresh = selectors.onboarding_template_get(actor=request.auth, pk=template.pk)
    return Status(201, template_body(fresh))


@onboarding_templates_router.patch(
    "/{id}",
    response={200: OnboardingTemplateOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_onboarding_template",
    summary="Change an onboarding template",
    description="`steps` replaces every step; onboardings already started keep their tasks.",
)
def update_onboarding_template(
    request: HttpRequest, payload: OnboardingTemplatePatchIn, id: int = RecordId
) -> dict[str, Any]:
    template: OnboardingTemplate = selectors.onboarding_template_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    services.onboarding_template_update(
        actor=request.auth, template=template, data=data, version=version
    )
    return template_body(selectors.onboarding_template_get(actor=request.auth, pk=id))


@onboarding_templates_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_onboarding_template",
    summary="Delete an onboarding template",
)
def delete_onboarding_template(request: HttpRequest, id: int = RecordId) -> Status:
    template = selectors.onboarding_template_get(actor=request.auth, pk=id)
    services.onboarding_template_delete(actor=request.auth, template=template)
    return Status(204, None)
