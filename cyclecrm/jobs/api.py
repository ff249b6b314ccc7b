"""REST endpoints for the background-job records: list, counts, one job, retry."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from cyclecrm.api.lists import PageParams, page_body
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.jobs import selectors, services
from cyclecrm.jobs.schemas import JobCountsOut, JobDetailOut, JobFiltersIn, JobOrdering, JobOut

jobs_router = Router(tags=["jobs"])
JobPage = cursor_page(JobOut)


def _filters(filters: JobFiltersIn) -> selectors.JobFilters:
    return selectors.JobFilters(state=filters.state, task=filters.task)


@jobs_router.get(
    "",
    response={200: JobPage, **error_responses(422)},
    operation_id="list_jobs",
    summary="List background jobs",
    description="Newest first. Needs the `job` read right (administrators and managers).",
)
def list_jobs(
    request: HttpRequest,
    page: Query[PageParams],
    filters: Query[JobFiltersIn],
    ordering: JobOrdering | None = None,
) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.job_list(actor=request.auth, filters=_filters(filters)),
        JobOut,
        page=page,
        orderings=selectors.JOB_ORDERINGS,
        ordering=ordering,
        default_ordering=selectors.DEFAULT_ORDERING,
    )


@jobs_router.get(
    "/counts",
    response={200: JobCountsOut, **error_responses(422)},
    operation_id="count_jobs",
    summary="Count background jobs per state",
)
def count_jobs(request: HttpRequest, filters: Query[JobFiltersIn]) -> dict[str, Any]:
    return {"counts": selectors.job_state_counts(actor=request.auth, task=filters.task)}


@jobs_router.get(
    "/{id}",
    response={200: JobDetailOut, **error_responses(404, 422)},
    operation_id="get_job",
    summary="Get one background job, with its error's traceback",
)
def get_job(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    job = selectors.job_get(actor=request.auth, pk=id)
    return visible_record(request.auth, job, JobDetailOut)


@jobs_router.post(
    "/{id}/retry",
    response={202: JobOut, **error_responses(403, 404, 409, 422)},
    operation_id="retry_job",
    summary="Run a failed job again",
    description=(
        "Enqueues the job's task again with the same arguments as a new job (`retry_of_id` "
        "points back). Only failed, revoked or expired jobs; 409 otherwise or when the "
        "arguments were not recorded. Needs the `job` edit right."
    ),
)
def retry_job(request: HttpRequest, id: int = RecordId) -> Status:
    job = services.job_retry(actor=request.auth, job_id=id)
    return Status(202, visible_record(request.auth, job, JobOut))
