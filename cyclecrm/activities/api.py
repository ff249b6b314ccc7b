"""REST endpoints for tasks: thin handlers over activities.services and activities.selectors.
Tasks the caller may not read are 404 everywhere, lists included."""

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from ninja import Body, Query, Router, Status

from cyclecrm.activities import selectors, services
from cyclecrm.activities.filters import TASK_SEARCH_FIELDS, TaskFilters
from cyclecrm.activities.models import Task
from cyclecrm.activities.schemas import TaskActionIn, TaskCreateIn, TaskOut, TaskPatchIn
from cyclecrm.api.lists import (
    CSV_RESPONSE_DOC,
    CUSTOM_FILTER_DOC,
    PageParams,
    check_filter_ids,
    custom_params,
    filter_fields,
    refuse_hidden_filters,
)
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.core.errors import NotFound
from cyclecrm.core.export import ExportFormat, export_columns, export_response, require_export
from cyclecrm.core.pagination import paginate
from cyclecrm.dataquality.interchange.ical import calendar_ics
from cyclecrm.dataquality.interchange.responses import ICS_RESPONSE_DOC, ics_response
from cyclecrm.identity.models import Action

tasks_router = Router(tags=["tasks"])

TaskPage = cursor_page(TaskOut)
TaskOrdering = Literal[tuple(selectors.TASK_ORDERINGS)]

TASK_FILTER_FIELDS = {
    "q": TASK_SEARCH_FIELDS,
    "mine": ("owner",),
    "tag": ("tags",),
    "created_after": ("created_at",),
    "created_before": ("created_at",),
    "updated_after": ("updated_at",),
    "due_after": ("due_at",),
    "due_before": ("due_at",),
    "overdue": ("due_at", "status"),
}
ActionBody = Body(None)

LIST_DOC = (
    "Tasks you may read. `mine=true` keeps the tasks assigned to you; `status` and `priority` "
    "take one value or several, comma-separated; `overdue=true` keeps open and in-progress "
    "tasks past their due time. The default order, `due_at`, puts tasks without a due date "
    "last. Pages are keyset-based: pass `next_cursor` back as `cursor` (with the same "
    "`ordering`). " + CUSTOM_FILTER_DOC
)
PATCH_DOC = (
    "Partial update: only the fields sent change. Send the `version` you read; if the task "
    "changed since, the answer is 409 and nothing is stored. Moving `due_at` moves the reminder "
    "with it unless `remind_at` is sent too; a changed `remind_at` is sent again when due."
)


def _out(actor: Any, task: Task) -> dict[str, Any]:
    data = visible_record(actor, task, TaskOut)
    if data["due_at"] is None:  # no due date, or one hidden from the reader
        data["is_overdue"] = None if task.due_at is not None else False
    return data


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    """Model fields, tags and custom values travel separately to the services."""
    return data, data.pop("tags", None), data.pop("custom", None)


def _task_list(
    request: HttpRequest, filters: TaskFilters, ordering: str | None, action: str = Action.READ
) -> QuerySet:
    actor = request.auth
    check_filter_ids(filters)
    custom = custom_params(request)
    used = filter_fields(filters, aliases=TASK_FILTER_FIELDS)
    spec = selectors.TASK_ORDERINGS.get(ordering or "")
    if spec:
        used["ordering"] = tuple(selectors.SORT_COLUMN_FIELDS.get(c, c) for c in spec.columns)
    refuse_hidden_filters(actor, Task.record_type, used, custom)
    return selectors.task_list(actor=actor, filters=filters, custom=custom, action=action)


@tasks_router.get(
    "",
    response={200: TaskPage, **error_responses(403, 422)},
    operation_id="list_tasks",
    summary="List tasks",
    description=LIST_DOC,
)
def list_tasks(
    request: HttpRequest,
    filters: Query[TaskFilters],
    page: Query[PageParams],
    ordering: TaskOrdering | None = None,
) -> dict[str, Any]:
    queryset = _task_list(request, filters, ordering)
    result = paginate(
        queryset,
        orderings=selectors.TASK_ORDERINGS,
        ordering=ordering,
        default_ordering=selectors.DEFAULT_ORDERING,
        limit=page.limit,
        cursor=page.cursor,
    )
    items = [_out(request.auth, task) for task in result.items]
    return {"items": items, "next_cursor": result.next_cursor}


@tasks_router.get(
    "/export",
    response=error_responses(403, 422),
    operation_id="export_tasks",
    summary="Export tasks as CSV or XLSX",
    description=(
        "The tasks matching the filters as CSV (streamed) or XLSX (`format=xlsx`); needs the "
        "export right. Fields hidden from you are left out."
    ),
    openapi_extra=CSV_RESPONSE_DOC,
)
def export_tasks(
    request: HttpRequest,
    filters: Query[TaskFilters],
    ordering: TaskOrdering | None = None,
    format: ExportFormat = "csv",
) -> HttpResponseBase:
    require_export(request.auth, Task.record_type)
    queryset = _task_list(request, filters, ordering, Action.EXPORT)
    spec = selectors.TASK_ORDERINGS[ordering or selectors.DEFAULT_ORDERING]
    from cyclecrm.activities.views import TASK_EXPORT

    columns = export_columns(request.auth, Task.record_type, TASK_EXPORT)
    return export_response(queryset.order_by(*spec.order_by()), columns, "tasks", format)


@tasks_router.get(
    "/calendar",
    response=error_responses(403, 422),
    operation_id="export_tasks_calendar",
    summary="Tasks as an iCalendar file",
    description=(
        "The tasks matching the filters that have a due date, as VTODO entries of one .ics "
        "calendar; needs the export right."
    ),
    openapi_extra=ICS_RESPONSE_DOC,
)
def export_tasks_calendar(
    request: HttpRequest, filters: Query[TaskFilters], ordering: TaskOrdering | None = None
) -> HttpResponseBase:
    require_export(request.auth, Task.record_type)
    queryset = _task_list(request, filters, ordering, Action.EXPORT).filter(due_at__isnull=False)
    spec = selectors.TASK_ORDERINGS[ordering or selectors.DEFAULT_ORDERING]
    body = calendar_ics(tasks=queryset.order_by(*spec.order_by()).iterator(chunk_size=2000))
    return ics_response(body, "tasks.ics")


@tasks_router.get(
    "/{id}/ics",
    response=error_responses(404, 422),
    operation_id="get_task_ics",
    summary="One task as an iCalendar file",
    description="The task as a VTODO with DUE; 404 when the task has no due date.",
    openapi_extra=ICS_RESPONSE_DOC,
)
def get_task_ics(request: HttpRequest, id: int = RecordId) -> HttpResponseBase:
    task = selectors.task_get(actor=request.auth, pk=id)
    if task.due_at is None:
        raise NotFound("Only a task with a due date has a calendar entry.")
    return ics_response(calendar_ics(tasks=[task]), f"task-{task.pk}.ics")


@tasks_router.get(
    "/{id}",
    response={200: TaskOut, **error_responses(404, 422)},
    operation_id="get_task",
    summary="Get one task",
)
def get_task(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return _out(request.auth, selectors.task_get(actor=request.auth, pk=id))


@tasks_router.post(
    "",
    response={201: TaskOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_task",
    summary="Create a task",
    description=(
        "The assignee (`owner_id`) defaults to you; giving the task to someone else needs the "
        "right to create tasks for them. Linked records must be ones you may see (422 naming "
        "the field otherwise); a task may link several, e.g. a contact and its account."
    ),
)
def create_task(request: HttpRequest, payload: TaskCreateIn) -> Status:
    data, tags, custom = _split(payload.model_dump(exclude_unset=True))
    task = services.task_create(actor=request.auth, data=data, tags=tags, custom=custom)
    return Status(201, _out(request.auth, task))


@tasks_router.patch(
    "/{id}",
    response={200: TaskOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_task",
    summary="Update a task",
    description=PATCH_DOC,
)
def update_task(request: HttpRequest, payload: TaskPatchIn, id: int = RecordId) -> dict:
    task = selectors.task_get(actor=request.auth, pk=id)
    data, tags, custom = _split(payload.model_dump(exclude_unset=True))
    version = data.pop("version")
    task = services.task_update(
        actor=request.auth, task=task, data=data, version=version, tags=tags, custom=custom
    )
    return _out(request.auth, task)


@tasks_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_task",
    summary="Delete a task",
)
def delete_task(request: HttpRequest, id: int = RecordId) -> Status:
    task = selectors.task_get(actor=request.auth, pk=id)
    services.task_delete(actor=request.auth, task=task)
    return Status(204, None)


@tasks_router.post(
    "/{id}/complete",
    response={200: TaskOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="complete_task",
    summary="Mark a task done",
    description=(
        "Sets `status` to `done` and `completed_at` to now; a task already done is returned "
        'unchanged. The body is optional: `{"version": n}` makes it fail with 409 if the task '
        "changed since you read it."
    ),
)
def complete_task(
    request: HttpRequest, id: int = RecordId, payload: TaskActionIn | None = ActionBody
) -> dict[str, Any]:
    task = selectors.task_get(actor=request.auth, pk=id)
    version = payload.version if payload else None
    task = services.task_complete(actor=request.auth, task=task, version=version)
    return _out(request.auth, task)


@tasks_router.post(
    "/{id}/reopen",
    response={200: TaskOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="reopen_task",
    summary="Reopen a task",
    description=(
        "Sets a done or cancelled task back to `open` and clears `completed_at`; an open or "
        "in-progress task is returned unchanged. The body is optional, as for complete."
    ),
)
def reopen_task(
    request: HttpRequest, id: int = RecordId, payload: TaskActionIn | None = ActionBody
) -> dict[str, Any]:
    task = selectors.task_get(actor=request.auth, pk=id)
    version = payload.version if payload else None
    task = services.task_reopen(actor=request.auth, task=task, version=version)
    return _out(request.auth, task)


add_record_routes(tasks_router, noun="task", get_record=selectors.task_get)
