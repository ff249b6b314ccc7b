"""REST routes of the duplicate review queue (/api/v1/duplicates): clusters, merge, dismiss,
scan, undo. Thin handlers over selectors and services; mounted by `dataquality.api`."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from cyclecrm.api.lists import PageParams
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses
from cyclecrm.core.pagination import paginate
from cyclecrm.dataquality.duplicates import selectors, services
from cyclecrm.dataquality.duplicates.schemas import (
    ClusterDetailOut,
    ClusterFilters,
    ClusterMergeIn,
    ClusterOut,
    MergeBatchIn,
    MergeBatchOut,
    MergeOut,
    ScanIn,
    ScanOut,
)
from cyclecrm.identity.models import Action

router = Router(tags=["duplicates"])

ClusterPage = cursor_page(ClusterOut)


@router.get(
    "/clusters",
    response={200: ClusterPage, **error_responses(422)},
    operation_id="list_duplicate_clusters",
    summary="The review queue: clusters of likely duplicates, best score first",
)
def list_clusters(
    request: HttpRequest, filters: Query[ClusterFilters], page: Query[PageParams]
) -> dict[str, Any]:
    rows = selectors.cluster_list(
        actor=request.auth, record_type=filters.record_type, status=filters.status
    )
    result = paginate(
        rows,
        orderings=selectors.CLUSTER_ORDERINGS,
        ordering=None,
        default_ordering="score",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": result.items, "next_cursor": result.next_cursor}


@router.get(
    "/clusters/{id}",
    response={200: ClusterDetailOut, **error_responses(404)},
    operation_id="get_duplicate_cluster",
    summary="A cluster's records side by side, with the default choice per field",
)
def get_cluster(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    cluster = selectors.cluster_get(actor=request.auth, pk=id)
    records = selectors.cluster_records(actor=request.auth, cluster=cluster)
    body = ClusterOut.from_orm(cluster).dict()
    pairs = list(cluster.pairs.values("left_id", "right_id", "score", "reasons"))
    return {**body, **selectors.cluster_comparison(request.auth, cluster, records), "pairs": pairs}


@router.post(
    "/clusters/{id}/merge",
    response={201: list[MergeOut], **error_responses(403, 404, 409, 422)},
    operation_id="merge_duplicate_cluster",
    summary="Merge the cluster's records into one survivor",
    description=(
        "Needs the `duplicate` right and edit rights on every record. Every related row "
        "moves to the survivor; each merged record gets a merge (undo: `POST /merges/{id}/undo`)."
    ),
)
def merge_cluster(request: HttpRequest, payload: ClusterMergeIn, id: int = RecordId) -> Status:
    cluster = selectors.cluster_get(actor=request.auth, pk=id, action=Action.EDIT)
    merges = services.cluster_merge(
        actor=request.auth,
        cluster=cluster,
        survivor_id=payload.survivor_id,
        choices=payload.values,
        merged_ids=payload.merged_ids,
    )
    return Status(201, merges)


@router.post(
    "/clusters/{id}/dismiss",
    response={200: ClusterOut, **error_responses(403, 404, 409)},
    operation_id="dismiss_duplicate_cluster",
    summary="Not duplicates: remove the cluster from the queue for good",
)
def dismiss_cluster(request: HttpRequest, id: int = RecordId) -> Any:
    cluster = selectors.cluster_get(actor=request.auth, pk=id, action=Action.EDIT)
    return services.cluster_dismiss(actor=request.auth, cluster=cluster)


@router.post(
    "/merge-batch",
    response={202: MergeBatchOut, **error_responses(403, 422)},
    operation_id="merge_duplicate_clusters_batch",
    summary="Queue one job merging many open clusters, each into its oldest record",
    description=(
        "Returns the job's `task_id` (its record in `GET /jobs`). 422 on `cluster_ids` "
        "for an id that is not an open cluster you may review. The job skips clusters merged "
        "or dismissed meanwhile, and a job resumed after a crash merges nothing twice."
    ),
)
def merge_clusters_batch(request: HttpRequest, payload: MergeBatchIn) -> Status:
    task_id = services.clusters_merge_batch(actor=request.auth, cluster_ids=payload.cluster_ids)
    return Status(202, {"task_id": task_id, "clusters": len(set(payload.cluster_ids))})


@router.post(
    "/scans",
    response={202: ScanOut, **error_responses(403, 422)},
    operation_id="start_duplicate_scan",
    summary="Start the batch scan of one record type (refills the queue)",
)
def start_scan(request: HttpRequest, payload: ScanIn) -> Status:
    scan = services.scan_request(
        actor=request.auth, record_type=payload.record_type, threshold=payload.threshold
    )
    return Status(202, scan)


@router.get(
    "/merges/{id}",
    response={200: MergeOut, **error_responses(404)},
    operation_id="get_merge",
    summary="One merge",
)
def get_merge(request: HttpRequest, id: int = RecordId) -> Any:
    return selectors.merge_get(actor=request.auth, pk=id)


@router.post(
    "/merges/{id}/undo",
    response={200: MergeOut, **error_responses(403, 404, 409)},
    operation_id="undo_merge",
    summary="Undo a merge: both records and every moved row come back exactly",
    description=(
        "409 `changed_since_merge` when the survivor or a moved row changed since (undo the "
        "later merges first); 409 `already_undone`."
    ),
)
def undo_merge(request: HttpRequest, id: int = RecordId) -> Any:
    merge = selectors.merge_get(actor=request.auth, pk=id)
    services.merge_revert(actor=request.auth, merge=merge)
    merge.refresh_from_db()
    return merge
