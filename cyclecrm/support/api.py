"""REST endpoints for support: cases, SLA policies, queue calendars and the knowledge base.
Thin handlers over support.services and support.selectors; cases the caller may not read are
404 everywhere, lists included."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Body, Path, Query, Router, Status

from cyclecrm.activities.interaction_api import add_timeline_route
from cyclecrm.api.lists import (
    CUSTOM_FILTER_DOC,
    PageParams,
    check_filter_ids,
    custom_params,
    filter_fields,
    page_body,
    refuse_hidden_filters,
)
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import (
    MAX_ID,
    RecordId,
    cursor_page,
    error_responses,
    visible_record,
)
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity import selectors as team_selectors
from cyclecrm.support import selectors, services
from cyclecrm.support.filters import ArticleFilters, CaseFilters
from cyclecrm.support.models import Case
from cyclecrm.support.schemas import (
    ArticleCategoryCreateIn,
    ArticleCategoryOut,
    ArticleCategoryPatchIn,
    ArticleCreateIn,
    ArticleOut,
    ArticlePatchIn,
    BusinessCalendarIn,
    BusinessCalendarOut,
    CaseArticleLinkIn,
    CaseCreateIn,
    CaseFirstResponseIn,
    CaseOut,
    CasePatchIn,
    CaseStatusChangeOut,
    CaseStatusIn,
    SlaPolicyCreateIn,
    SlaPolicyOut,
    SlaPolicyPatchIn,
)

cases_router = Router(tags=["cases"])
sla_policies_router = Router(tags=["service levels"])
queue_calendars_router = Router(tags=["service levels"])
articles_router = Router(tags=["knowledge base"])
article_categories_router = Router(tags=["knowledge base"])

CasePage = cursor_page(CaseOut)
StatusChangePage = cursor_page(CaseStatusChangeOut)
ArticlePage = cursor_page(ArticleOut)
SlaPolicyPage = cursor_page(SlaPolicyOut)
CalendarPage = cursor_page(BusinessCalendarOut)
CategoryPage = cursor_page(ArticleCategoryOut)
CaseOrdering = Literal[tuple(selectors.CASE_ORDERINGS)]
ArticleOrdering = Literal[tuple(selectors.ARTICLE_ORDERINGS)]
ID_ORDERINGS = orderings_with_reverse({"id": ("id",)})
CHANGE_ORDERINGS = orderings_with_reverse({"at": ("at", "id")})
CALENDAR_ORDERINGS = orderings_with_reverse({"team_id": ("team_id",)})
TeamId = Path(..., ge=1, le=MAX_ID, description="The queue's (team's) id.")
ArticleId = Path(..., ge=1, le=MAX_ID, description="The article's id.")
OptionalBody = Body(None)

CASE_FILTER_FIELDS = {
    "q": ("number", "subject"),
    "mine": ("owner",),
    "tag": ("tags",),
    "breaching": ("first_response_due", "resolution_due", "status"),
    "contact_id": ("contact",),
    "account_id": ("account",),
    "created_after": ("created_at",),
    "created_before": ("created_at",),
    "updated_after": ("updated_at",),
}
CASES_DOC = (
    "Cases you may read (support agents: the cases of their queues). `team_id` is the queue, "
    "`owner_id` the assignee; `status`, `priority` and `channel` take one value or several, "
    "comma-separated; `breaching=true` keeps running cases whose next SLA due time has passed "
    "or comes within the hour. `ordering=due` sorts by the next running due time (stopped "
    "clocks last). Keyset pages: pass `next_cursor` back as `cursor`. " + CUSTOM_FILTER_DOC
)
CREATE_DOC = (
    "Open a case: `subject` (required), `description` (HTML, sanitized), `contact` (id), "
    "`priority` (default normal) and `channel` (default web). The number, the SLA policy and the "
    "due times are set here: `first_response_due` and `resolution_due` count business minutes "
    "of the queue's hours from now. The assignee (`owner_id`) defaults to you and the queue "
    "(`team_id`) to the assignee's first team."
)


def _case_out(actor: Any, case: Case) -> dict[str, Any]:
    return visible_record(actor, case, CaseOut)


def _case_data(payload: Any) -> tuple[dict[str, Any], Any, Any]:
    data = payload.model_dump(exclude_unset=True)
    return data, data.pop("tags", None), data.pop("custom", None)


# -- cases --------------------------------------------------------------------------------------


@cases_router.get(
    "",
    response={200: CasePage, **error_responses(403, 422)},
    operation_id="list_cases",
    summary="List cases",
    description=CASES_DOC,
)
def list_cases(
    request: HttpRequest,
    filters: Query[CaseFilters],
    page: Query[PageParams],
    ordering: CaseOrdering | None = None,
) -> dict[str, Any]:
    actor = request.auth
    check_filter_ids(filters)
    custom = custom_params(request)
    used = filter_fields(filters, aliases=CASE_FILTER_FIELDS)
    spec = selectors.CASE_ORDERINGS.get(ordering or "")
    if spec:
        used["ordering"] = tuple(selectors.SORT_COLUMN_FIELDS.get(c, c) for c in spec.columns)
    refuse_hidden_filters(actor, Case.record_type, used, custom)
    result = paginate(
        selectors.case_list(actor=actor, filters=filters, custom=custom),
        orderings=selectors.CASE_ORDERINGS,
        ordering=ordering,
        default_ordering=selectors.CASE_DEFAULT_ORDERING,
        limit=page.limit,
        cursor=page.cursor,
    )
    return {
        "items": [_case_out(actor, case) for case in result.items],
        "next_cursor": result.next_cursor,
    }


@cases_router.post(
    "",
    response={201: CaseOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_case",
    summary="Open a case",
    description=CREATE_DOC,
)
def create_case(request: HttpRequest, payload: CaseCreateIn) -> Status:
    data, tags, custom = _case_data(payload)
    case = services.case_create(actor=request.auth, data=data, tags=tags, custom=custom)
    case = selectors.case_get(actor=request.auth, pk=case.pk)
    return Status(201, _case_out(request.auth, case))


@cases_router.get(
    "/{id}",
    response={200: CaseOut, **error_responses(404, 422)},
    operation_id="get_case",
    summary="Get one case",
)
def get_case(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return _case_out(request.auth, selectors.case_get(actor=request.auth, pk=id))


@cases_router.patch(
    "/{id}",
    response={200: CaseOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_case",
    summary="Update a case",
    description=(
        "Partial update; send the `version` you read (409 if the case changed since). Status "
        "moves go through `POST /cases/{id}/status`."
    ),
)
def update_case(request: HttpRequest, payload: CasePatchIn, id: int = RecordId) -> dict:
    actor = request.auth
    case = selectors.case_get(actor=actor, pk=id)
    data, tags, custom = _case_data(payload)
    version = data.pop("version")
    services.case_update(
        actor=actor, case=case, data=data, version=version, tags=tags, custom=custom
    )
    return _case_out(actor, selectors.case_get(actor=actor, pk=id))


@cases_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_case",
    summary="Delete a case",
)
def delete_case(request: HttpRequest, id: int = RecordId) -> Status:
    case = selectors.case_get(actor=request.auth, pk=id)
    services.case_delete(actor=request.auth, case=case)
    return Status(204, None)


@cases_router.post(
    "/{id}/status",
    response={200: CaseOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="change_case_status",
    summary="Move a case to another status",
    description=(
        "Allowed moves: new → open, pending, resolved, closed; open → pending, resolved, "
        "closed; pending → open, resolved, closed; resolved → open (reopen), closed. Pending "
        "pauses the resolution clock; reopening restarts it. Anything else is a 422 on `status`."
    ),
)
def change_case_status(request: HttpRequest, payload: CaseStatusIn, id: int = RecordId) -> dict:
    actor = request.auth
    case = selectors.case_get(actor=actor, pk=id)
    services.case_status_change(
        actor=actor, case=case, status=payload.status, version=payload.version
    )
    return _case_out(actor, selectors.case_get(actor=actor, pk=id))


@cases_router.post(
    "/{id}/first-response",
    response={200: CaseOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="record_case_first_response",
    summary="Record the first public response",
    description="Stops the first-response clock; later calls change nothing.",
)
def record_case_first_response(
    request: HttpRequest, id: int = RecordId, payload: CaseFirstResponseIn | None = OptionalBody
) -> dict:
    actor = request.auth
    case = selectors.case_get(actor=actor, pk=id)
    services.case_record_first_response(actor=actor, case=case, at=payload.at if payload else None)
    return _case_out(actor, selectors.case_get(actor=actor, pk=id))


@cases_router.get(
    "/{id}/status-changes",
    response={200: StatusChangePage, **error_responses(404, 422)},
    operation_id="list_case_status_changes",
    summary="Status changes of one case",
)
def list_case_status_changes(
    request: HttpRequest, page: Query[PageParams], id: int = RecordId
) -> dict[str, Any]:
    case = selectors.case_get(actor=request.auth, pk=id)
    result = paginate(
        selectors.case_status_changes(case=case),
        orderings=CHANGE_ORDERINGS,
        ordering="-at",
        default_ordering="-at",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": result.items, "next_cursor": result.next_cursor}


@cases_router.get(
    "/{id}/articles",
    response={200: list[ArticleOut], **error_responses(404, 422)},
    operation_id="list_case_articles",
    summary="Articles linked to a case",
)
def list_case_articles(request: HttpRequest, id: int = RecordId) -> list[dict[str, Any]]:
    actor = request.auth
    case = selectors.case_get(actor=actor, pk=id)
    articles = selectors.case_articles(actor=actor, case=case)[:100]
    return [visible_record(actor, article, ArticleOut) for article in articles]


@cases_router.post(
    "/{id}/articles",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="link_case_article",
    summary="Link an article to a case",
)
def link_case_article(
    request: HttpRequest, payload: CaseArticleLinkIn, id: int = RecordId
) -> Status:
    case = selectors.case_get(actor=request.auth, pk=id)
    services.case_link_article(actor=request.auth, case=case, article_id=payload.article_id)
    return Status(204, None)


@cases_router.delete(
    "/{id}/articles/{article_id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="unlink_case_article",
    summary="Unlink an article from a case",
)
def unlink_case_article(
    request: HttpRequest, id: int = RecordId, article_id: int = ArticleId
) -> Status:
    case = selectors.case_get(actor=request.auth, pk=id)
    services.case_unlink_article(actor=request.auth, case=case, article_id=article_id)
    return Status(204, None)


add_record_routes(cases_router, noun="case", get_record=selectors.case_get)
add_timeline_route(cases_router, noun="case", get_record=selectors.case_get)


# -- SLA policies -------------------------------------------------------------------------------


@sla_policies_router.get(
    "",
    response={200: SlaPolicyPage, **error_responses(422)},
    operation_id="list_sla_policies",
    summary="List SLA policies",
)
def list_sla_policies(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.sla_policy_list(actor=request.auth),
        SlaPolicyOut,
        page=page,
        orderings=ID_ORDERINGS,
        ordering=None,
        default_ordering="id",
    )


@sla_policies_router.post(
    "",
    response={201: SlaPolicyOut, **error_responses(403, 409, 422)},
    operation_id="create_sla_policy",
    summary="Create an SLA policy",
    description=(
        "Targets in business minutes for one priority, for one queue (`team_id`) or as the "
        "default (no `team_id`). One policy per queue and priority (409 otherwise)."
    ),
)
def create_sla_policy(request: HttpRequest, payload: SlaPolicyCreateIn) -> Status:
    policy = services.sla_policy_create(
        actor=request.auth, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, visible_record(request.auth, policy, SlaPolicyOut))


@sla_policies_router.get(
    "/{id}",
    response={200: SlaPolicyOut, **error_responses(404, 422)},
    operation_id="get_sla_policy",
    summary="Get one SLA policy",
)
def get_sla_policy(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    policy = selectors.sla_policy_get(actor=request.auth, pk=id)
    return visible_record(request.auth, policy, SlaPolicyOut)


@sla_policies_router.patch(
    "/{id}",
    response={200: SlaPolicyOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_sla_policy",
    summary="Update an SLA policy",
    description="Applies to cases opened or reopened afterwards.",
)
def update_sla_policy(
    request: HttpRequest, payload: SlaPolicyPatchIn, id: int = RecordId
) -> dict[str, Any]:
    policy = selectors.sla_policy_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    policy = services.sla_policy_update(
        actor=request.auth, policy=policy, data=data, version=version
    )
    return visible_record(request.auth, policy, SlaPolicyOut)


@sla_policies_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_sla_policy",
    summary="Delete an SLA policy",
)
def delete_sla_policy(request: HttpRequest, id: int = RecordId) -> Status:
    policy = selectors.sla_policy_get(actor=request.auth, pk=id)
    services.sla_policy_delete(actor=request.auth, policy=policy)
    return Status(204, None)


# -- queue calendars ----------------------------------------------------------------------------


@queue_calendars_router.get(
    "",
    response={200: CalendarPage, **error_responses(422)},
    operation_id="list_queue_calendars",
    summary="List queue business hours",
    description="Queues without an entry work Monday to Friday, 09:00-17:00 UTC.",
)
def list_queue_calendars(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.business_calendar_list(actor=request.auth),
        BusinessCalendarOut,
        page=page,
        orderings=CALENDAR_ORDERINGS,
        ordering=None,
        default_ordering="team_id",
    )


@queue_calendars_router.get(
    "/{team_id}",
    response={200: BusinessCalendarOut, **error_responses(404, 422)},
    operation_id="get_queue_calendar",
    summary="Get a queue's business hours",
)
def get_queue_calendar(request: HttpRequest, team_id: int = TeamId) -> dict[str, Any]:
    calendar = selectors.business_calendar_get(actor=request.auth, team_id=team_id)
    return visible_record(request.auth, calendar, BusinessCalendarOut)


@queue_calendars_router.put(
    "/{team_id}",
    response={200: BusinessCalendarOut, **error_responses(403, 404, 409, 422)},
    operation_id="set_queue_calendar",
    summary="Set a queue's business hours",
    description="Creates or changes them; only the fields sent change. Holidays are dates.",
)
def set_queue_calendar(
    request: HttpRequest, payload: BusinessCalendarIn, team_id: int = TeamId
) -> dict[str, Any]:
    team = team_selectors.team_get(actor=request.auth, pk=team_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    calendar = services.business_calendar_set(
        actor=request.auth, team=team, data=data, version=version
    )
    return visible_record(request.auth, calendar, BusinessCalendarOut)


@queue_calendars_router.delete(
    "/{team_id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_queue_calendar",
    summary="Remove a queue's own business hours",
)
def delete_queue_calendar(request: HttpRequest, team_id: int = TeamId) -> Status:
    calendar = selectors.business_calendar_get(actor=request.auth, team_id=team_id)
    services.business_calendar_delete(actor=request.auth, calendar=calendar)
    return Status(204, None)


# -- knowledge base -----------------------------------------------------------------------------


@articles_router.get(
    "",
    response={200: ArticlePage, **error_responses(403, 422)},
    operation_id="list_articles",
    summary="List knowledge-base articles",
)
def list_articles(
    request: HttpRequest,
    filters: Query[ArticleFilters],
    page: Query[PageParams],
    ordering: ArticleOrdering | None = None,
) -> dict[str, Any]:
    check_filter_ids(filters)
    return page_body(
        request.auth,
        selectors.article_list(actor=request.auth, filters=filters),
        ArticleOut,
        page=page,
        orderings=selectors.ARTICLE_ORDERINGS,
        ordering=ordering,
        default_ordering=selectors.ARTICLE_DEFAULT_ORDERING,
    )


@articles_router.get(
    "/search",
    response={200: list[ArticleOut], **error_responses(422)},
    operation_id="search_articles",
    summary="Full-text search of articles",
    description=(
        "Best matches first (at most `limit`). On PostgreSQL a web-search query: quoted "
        "phrases, `or`, `-word`; on SQLite every word must appear. `published=true` keeps "
        "published articles only."
    ),
)
def search_articles(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=200),
    published: bool = False,
    limit: int = Query(20, ge=1, le=selectors.SEARCH_LIMIT),
) -> list[dict[str, Any]]:
    articles = selectors.article_search(
        actor=request.auth, query=q, published_only=published, limit=limit
    )
    return [visible_record(request.auth, article, ArticleOut) for article in articles]


@articles_router.post(
    "",
    response={201: ArticleOut, **error_responses(403, 409, 422)},
    operation_id="create_article",
    summary="Write an article",
)
def create_article(request: HttpRequest, payload: ArticleCreateIn) -> Status:
    data = payload.model_dump(exclude_unset=True)
    tags = data.pop("tags", None)
    article = services.article_create(actor=request.auth, data=data, tags=tags)
    return Status(201, visible_record(request.auth, article, ArticleOut))


@articles_router.get(
    "/{id}",
    response={200: ArticleOut, **error_responses(404, 422)},
    operation_id="get_article",
    summary="Get one article",
)
def get_article(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    article = selectors.article_get(actor=request.auth, pk=id)
    return visible_record(request.auth, article, ArticleOut)


@articles_router.patch(
    "/{id}",
    response={200: ArticleOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_article",
    summary="Update an article",
)
def update_article(request: HttpRequest, payload: ArticlePatchIn, id: int = RecordId) -> dict:
    article = selectors.article_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version, tags = data.pop("version"), data.pop("tags", None)
    article = services.article_update(
        actor=request.auth, article=article, data=data, version=version, tags=tags
    )
    return visible_record(request.auth, article, ArticleOut)


@articles_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_article",
    summary="Delete an article",
)
def delete_article(request: HttpRequest, id: int = RecordId) -> Status:
    article = selectors.article_get(actor=request.auth, pk=id)
    services.article_delete(actor=request.auth, article=article)
    return Status(204, None)


add_record_routes(articles_router, noun="article", get_record=selectors.article_get)


@article_categories_router.get(
    "",
    response={200: CategoryPage, **error_responses(422)},
    operation_id="list_article_categories",
    summary="List article categories",
)
def list_article_categories(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.article_category_list(actor=request.auth),
        ArticleCategoryOut,
        page=page,
        orderings=ID_ORDERINGS,
        ordering=None,
        default_ordering="id",
    )


@article_categories_router.post(
    "",
    response={201: ArticleCategoryOut, **error_responses(403, 409, 422)},
    operation_id="create_article_category",
    summary="Create an article category",
)
def create_article_category(request: HttpRequest, payload: ArticleCategoryCreateIn) -> Status:
    category = services.article_category_create(
        actor=request.auth, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, visible_record(request.auth, category, ArticleCategoryOut))


@article_categories_router.patch(
    "/{id}",
    response={200: ArticleCategoryOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_article_category",
    summary="Update an article category",
)
def update_article_category(
    request: HttpRequest, payload: ArticleCategoryPatchIn, id: int = RecordId
) -> dict[str, Any]:
    category = selectors.article_category_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    category = services.article_category_update(
        actor=request.auth, category=category, data=data, version=version
    )
    return visible_record(request.auth, category, ArticleCategoryOut)


@article_categories_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_article_category",
    summary="Delete an article category",
    description="Its articles stay, without a category.",
)
def delete_article_category(request: HttpRequest, id: int = RecordId) -> Status:
    category = selectors.article_category_get(actor=request.auth, pk=id)
    services.article_category_delete(actor=request.auth, category=category)
    return Status(204, None)
