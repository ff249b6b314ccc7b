"""Web pages for tasks.

Detail, edit, delete, history, sharing, export and inline edits are the generic record views of
`cyclecrm.web.records`, configured by TASK_UI. Task-specific pages:
- the task list (`task_list`): by default "My tasks" (assigned to me, open or in progress, by due
  date, grouped overdue / due today / upcoming / no due date); any filter turns it into the full
  list, with the same filter schema, chips, saved views and paging as every record list;
- the create page, which preselects linked records from `?contact=<id>` (and account, lead,
  opportunity) and returns to `?next=` when given;
- complete / reopen, one POST each; for htmx they answer with the updated row (or card item).
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cyclecrm.activities import selectors, services
from cyclecrm.activities.filters import ACTIVE_STATUS_PARAM, TaskFilters
from cyclecrm.activities.forms import TASK_LABELS, TaskForm, url_exists
from cyclecrm.activities.models import Task, TaskPriority, TaskStatus
from cyclecrm.activities.rows import task_rows
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import VersionConflict
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.leads.models import Lead
from cyclecrm.pipeline.models import Opportunity
from cyclecrm.web import selectors as web_selectors
from cyclecrm.web.errors import crm_view, is_htmx
from cyclecrm.web.records import views_edit
from cyclecrm.web.records.config import Column, FilterField, RecordUI, register_ui
from cyclecrm.web.records.lists import build_list
from cyclecrm.web.records.views_list import filter_controls, require_level

MY_TASKS_QUERY = f"mine=true&status={ACTIVE_STATUS_PARAM}&ordering=due_at"
ALL_TASKS_QUERY = f"status={ACTIVE_STATUS_PARAM}&ordering=due_at"
CONFLICT_MESSAGE = "Someone else changed this task meanwhile; reload to see it."
SORT_CHOICES = (
    ("due_at", "Due date"),
    ("priority", "Priority"),
    ("-created_at", "Newest first"),
    ("-updated_at", "Recently changed"),
)

TASK_COLUMNS = (
    Column("title", "Title", default=True, link=True),
    Column("status", "Status", default=True),
    Column("priority", "Priority", ordering="priority", default=True),
    Column("due_at", "Due", ordering="due_at", default=True),
    Column("remind_at", "Reminder"),
    Column("contact", "Contact"),
    Column("account", "Account"),
    Column("lead", "Lead"),
    Column("opportunity", "Opportunity"),
    Column("owner", "Assignee", default=True),
    Column("team", "Team"),
    Column("tags", "Tags"),
    Column("completed_at", "Completed"),
    Column("created_at", "Created", ordering="created_at"),
    Column("updated_at", "Updated", ordering="updated_at"),
)

STATUS_FILTER_CHOICES = (
    (ACTIVE_STATUS_PARAM, "Open or in progress"),
    *TaskStatus.choices,
    ("done,cancelled", "Done or cancelled"),
)
TASK_FILTERS = (
    FilterField("mine", "Assigned to me", "bool", field="owner"),
    FilterField("owner_id", "Assignee", "owner"),
    FilterField("status", "Status", "select", choices=STATUS_FILTER_CHOICES),
    FilterField("priority", "Priority", "select", choices=tuple(TaskPriority.choices)),
    FilterField("overdue", "Overdue", "bool", field="due_at"),
    FilterField("due_after", "Due from", "date", field="due_at"),
    FilterField("due_before", "Due before", "date", field="due_at"),
    FilterField("contact_id", "Contact", "record", lookup="contact_lookup", model=Contact),
    FilterField("account_id", "Account", "record", lookup="account_lookup", model=Account),
    FilterField("lead_id", "Lead", "record", lookup="lead_lookup", model=Lead),
    FilterField(
        "opportunity_id", "Opportunity", "record", lookup="opportunity_lookup", model=Opportunity
    ),
    FilterField("team_id", "Team", "team"),
    FilterField("tag", "Tag", "tag", field="tags"),
)

TASK_GROUPS = (
    ("Task", ("title", "status", "priority", "due_at", "remind_at", "reminder_sent_at",
              "completed_at", "description")),
    ("Related to", ("contact", "account", "lead", "opportunity")),
)  # fmt: skip

TASK_INLINE = frozenset({"title", "status", "priority", "due_at", "remind_at"})

TASK_EXPORT = (
    "id", "title", "description", "status", "priority", "due_at", "remind_at",
    "reminder_sent_at", "completed_at", "contact_id", "account_id", "lead_id", "opportunity_id",
    "onboarding_id", "owner_id", "team_id", "tags", "external_id", "created_at", "updated_at",
    "version",
)  # fmt: skip


def _task_update(*, instance: Task, **kwargs: Any) -> Task:
    return services.task_update(task=instance, **kwargs)


def _task_delete(*, actor: User, instance: Task) -> None:
    services.task_delete(actor=actor, task=instance)


TASK_UI = register_ui(
    RecordUI(
        name="task",
        model=Task,
        label="Task",
        label_plural="Tasks",
        icon="check2-square",
        filters_class=TaskFilters,
        filter_fields=TASK_FILTERS,
        orderings=selectors.TASK_ORDERINGS,
        default_ordering=selectors.DEFAULT_ORDERING,
        columns=TASK_COLUMNS,
        field_groups=TASK_GROUPS,
        inline_fields=TASK_INLINE,
        export_columns=TASK_EXPORT,
        form_class=TaskForm,
        list_selector=selectors.task_list,
        get_selector=selectors.task_get,
        create=services.task_create,
        update=_task_update,
        delete=_task_delete,
        labels={**TASK_LABELS, "owner": "Assignee"},
        subtitle_fields=("status", "priority"),
        search_fields=("status", "due_at"),
        detail_template="activities/task_detail.html",
        empty_hint="Tasks are what you or your team have to do next.",
    )
)


# -- list ---------------------------------------------------------------------------------------


@crm_view
def task_list(request: HttpRequest) -> HttpResponse:
    require_level(request, TASK_UI, Action.READ)
    if not request.GET:
        request.GET = QueryDict(MY_TASKS_QUERY)
    actor = request.user
    result = build_list(request, TASK_UI)
    hidden = access.access_for(actor).hidden_fields(TASK_UI.name)
    items = result.page.items if result.page else []
    grouped = result.ordering == "due_at" and "due_at" not in hidden
    context = {
        "ui": TASK_UI,
        "list": result,
        "rows": task_rows(actor, items, grouped=grouped, hidden=hidden),
        "hidden": hidden,
        "sort_links": _sort_links(result),
        "mine": request.GET.get("mine") == "true",
        "my_tasks_url": reverse("task_list"),
        "all_tasks_url": f"{reverse('task_list')}?{ALL_TASKS_QUERY}",
        "can_create": access.level(actor, TASK_UI.name, Action.CREATE) != Level.NONE,
        "can_export": access.level(actor, TASK_UI.name, Action.EXPORT) != Level.NONE,
        "saved_views": list(web_selectors.saved_view_list(actor=actor, record_type="task")),
    }
    if is_htmx(request):
        response = render(request, "activities/_task_results.html", {**context, "partial": True})
        response["HX-Push-Url"] = request.path + result.url(cursor=request.GET.get("cursor"))
    else:
        controls = filter_controls(request, TASK_UI, result)
        context["filter_controls"] = [
            control
            for control in controls
            if not control.get("lookup") or url_exists(control["lookup"])
        ]
        status = 400 if result.errors else 200
        response = render(request, "activities/task_list.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _sort_links(result: Any) -> list[dict[str, Any]]:
    choices = list(SORT_CHOICES)
    if result.ordering and result.ordering not in dict(choices):
        choices.append((result.ordering, result.ordering.replace("_", " ").capitalize()))
    return [
        {"label": label, "url": result.url(ordering=name), "active": name == result.ordering}
        for name, label in choices
    ]


# -- create ---------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@crm_view
def task_create(request: HttpRequest) -> HttpResponse:
    """The generic create page (which preselects linked records from the query string), going
    back to `next` when it is a page of this site."""
    response = views_edit.record_create(request, ui=TASK_UI)
    target = _safe_next(request)
    if response.status_code == 302 and target:
        response["Location"] = target
    return response


# -- complete / reopen ----------------------------------------------------------------------------


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _changed(request: HttpRequest, pk: int, change: Any, done_note: str) -> HttpResponse:
    actor = request.user
    task = selectors.task_get(actor=actor, pk=pk)
    error = ""
    try:
        change(actor=actor, task=task, version=_version(request))
    except VersionConflict:
        error = CONFLICT_MESSAGE
    if not is_htmx(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, done_note.format(task=task))
        return redirect(_safe_next(request) or TASK_UI.url("detail", task.pk))
    task = selectors.task_get(actor=actor, pk=pk)
    hidden = access.access_for(actor).hidden_fields(TASK_UI.name)
    row = task_rows(actor, [task], hidden=hidden)[0]
    template = (
        "activities/_related_task_item.html"
        if request.POST.get("view") == "card"
        else "activities/_task_row.html"
    )
    context = {"row": row, "error": error, "hidden": hidden, "next": _safe_next(request) or ""}
    return render(request, template, context, status=409 if error else 200)


@require_POST
@crm_view
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _changed(request, pk, services.task_complete, "Task “{task}” done.")


@require_POST
@crm_view
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _changed(request, pk, services.task_reopen, "Task “{task}” reopened.")
