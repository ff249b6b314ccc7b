"""REST endpoints of the customer clusters, mounted at /api/v1/intelligence/clusters (before
the general /intelligence router, so these paths win; see cyclecrm/api/root.py)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from cyclecrm.api.schemas import error_responses, visible_record
from cyclecrm.intelligence.cluster_schemas import ClusterOverviewOut
from cyclecrm.intelligence.cluster_selectors import ClusterOverview, cluster_overview_required
from cyclecrm.intelligence.cluster_services import cluster_segment_create
from cyclecrm.segments.schemas import SegmentOut

clusters_router = Router(tags=["intelligence"])


def overview_body(overview: ClusterOverview) -> dict[str, Any]:
    run = overview.run
    return {
        "run_id": run.pk,
        "trained_at": run.finished_at.isoformat() if run.finished_at else None,
        "customers": run.trained_on,
        "k": overview.k,
        "features": overview.features,
        "profiles": overview.profiles,
        "silhouettes": overview.silhouettes,
    }


@clusters_router.get(
    "",
    response={200: ClusterOverviewOut, **error_responses(403, 404)},
    operation_id="get_customer_clusters",
    summary="Customer clusters of the newest run",
    description="Profiles side by side and the silhouette of every k tried; 404 before any "
    "clusters run has succeeded.",
)
def get_customer_clusters(request: HttpRequest) -> dict[str, Any]:
    return overview_body(cluster_overview_required(actor=request.auth))


@clusters_router.post(
    "/{number}/segment",
    response={201: SegmentOut, **error_responses(403, 404, 422)},
    operation_id="save_cluster_as_segment",
    summary="Save a cluster as a dynamic segment",
    description="The segment's rule is `insight.cluster = number`: it follows that cluster "
    "number of the newest clusters run, which may stand for another group after retraining.",
)
def save_cluster_as_segment(request: HttpRequest, number: int) -> Status:
    segment = cluster_segment_create(actor=request.auth, number=number)
    return Status(201, visible_record(request.auth, segment, SegmentOut))
