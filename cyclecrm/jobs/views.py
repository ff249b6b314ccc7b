"""The job page (/jobs/, under Settings): counts per state, the jobs newest first with state
and task filters, errors expandable, "Retry" on failed jobs; htmx refreshes the table."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import Conflict
from cyclecrm.core.pagination import paginate
from cyclecrm.identity.models import Action
from cyclecrm.identity.views.common import can_manage, can_read, render_settings, require
from cyclecrm.jobs import selectors, services
from cyclecrm.jobs.models import JobState
from cyclecrm.jobs.queue import queue_description
from cyclecrm.web.errors import crm_view, is_htmx

JOB = "job"
JOBS_PER_PAGE = 50
REFRESH_SECONDS = 10


@crm_view
def job_list(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user, JOB))
    state = request.GET.get("state") or None
    task = request.GET.get("task") or None
    if state not in (None, *JobState.values):
        state = None  # a stale or hand-edited link shows every state rather than an error
    page = paginate(
        selectors.job_list(actor=request.user, filters=selectors.JobFilters(state, task)),
        orderings=selectors.JOB_ORDERINGS,
        ordering=None,
        default_ordering=selectors.DEFAULT_ORDERING,
        limit=JOBS_PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    context = {
        "page": page,
        "state": state,
        "task": task,
        "states": JobState.choices,
        "state_counts": _state_counts(request, task),
        "can_retry": can_manage(request.user, JOB, Action.EDIT),
        "refresh_seconds": REFRESH_SECONDS,
    }
    if is_htmx(request):
        return render_settings(request, "jobs/_job_table.html", context)
    context["task_names"] = selectors.job_task_names(actor=request.user)
    context["queue"] = queue_description()
    return render_settings(request, "jobs/job_list.html", context)


def _state_counts(request: HttpRequest, task: str | None) -> list[tuple[str, str, int]]:
    counts = selectors.job_state_counts(actor=request.user, task=task)
    return [(value, label, counts[value]) for value, label in JobState.choices]


@crm_view
@require_POST
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        job = services.job_retry(actor=request.user, job_id=pk)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{job.short_name} queued again.")
    return redirect("job_list")
