"""Writes of the review queue: merging a cluster into one survivor, dismissing it ("not
duplicates", remembered by the scan), starting a scan, undoing a merge."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from cyclecrm.core.errors import Conflict, Forbidden, ValidationFailed
from cyclecrm.dataquality.duplicates.merge import merge_undo, record_merge
from cyclecrm.dataquality.models import ClusterStatus, DuplicateCluster, DuplicateScan, MergeRecord
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User


def _require_review(actor: User) -> None:
    if access.level(actor, "duplicate", Action.EDIT) == "none":
        raise Forbidden("You may not review duplicates.")


def _require_open(cluster: DuplicateCluster) -> None:
    if cluster.status != ClusterStatus.OPEN:
        raise Conflict(f"This cluster is already {cluster.get_status_display().lower()}.")


def cluster_merge(
    *,
    actor: User,
    cluster: DuplicateCluster,
    survivor_id: int,
    choices: dict[str, int] | None = None,
    merged_ids: list[int] | None = None,
) -> list[MergeRecord]:
    """Merge the cluster's records (or `merged_ids` among them) into `survivor_id`, one
    MergeRecord per merged record, all in one transaction. Values in `choices` are taken
    from the record they name."""
    _require_review(actor)
    _require_open(cluster)
    ids = [pk for pk in cluster.record_ids if pk != survivor_id]
    if survivor_id not in cluster.record_ids:
        raise ValidationFailed(fields={"survivor_id": ["Not a record of this cluster."]})
    if merged_ids is not None:
        if not set(merged_ids) <= set(ids):
            raise ValidationFailed(fields={"merged_ids": ["Not records of this cluster."]})
        ids = [pk for pk in ids if pk in merged_ids]
    if not ids:
        raise ValidationFailed(fields={"merged_ids": ["Choose at least one record to merge."]})
    with transaction.atomic():
        merges = [
            record_merge(
                actor=actor,
                type_key=cluster.record_type,
                survivor_id=survivor_id,
                merged_id=pk,
                choices=choices,
                cluster_id=cluster.pk,
            )
            for pk in ids
        ]
        _resolve_after_merge(actor, cluster, ids)
    return merges


MERGE_BATCH_MAX = 1000
NO_SUCH_CLUSTERS = "No open cluster you may review with id {ids}."


def clusters_merge_batch(*, actor: User, cluster_ids: list[int]) -> str:
    """Queue a background merge of many open clusters the actor may review, each into its
    oldest record (the lowest id); returns the job's task id. The job is `merge_clusters`,
    runs as the actor and skips the clusters no longer open when it reaches them (a resumed or
    repeated job merges nothing twice). Ids the actor may not see are refused like unknown
    ones (422 on `cluster_ids`), so they reveal nothing."""
    from cyclecrm.dataquality.duplicates.tasks import merge_clusters

    _require_review(actor)
    ids = sorted(set(cluster_ids))
    if not ids:
        raise ValidationFailed(fields={"cluster_ids": ["Choose at least one cluster."]})
    if len(ids) > MERGE_BATCH_MAX:
        reason = f"At most {MERGE_BATCH_MAX} clusters per batch."
        raise ValidationFailed(fields={"cluster_ids": [reason]})
    rows = DuplicateCluster.objects.filter(pk__in=ids, status=ClusterStatus.OPEN)
    found = set(access.restrict(rows, actor, Action.EDIT).values_list("pk", flat=True))
    if missing := [pk for pk in ids if pk not in found]:
        listed = ", ".join(str(pk) for pk in missing[:10]) + (", ..." if len(missing) > 10 else "")
        raise ValidationFailed(fields={"cluster_ids": [NO_SUCH_CLUSTERS.format(ids=listed)]})
    task = merge_clusters.s(actor.pk, ids)
    transaction.on_commit(lambda: merge_clusters.huey.enqueue(task))
    return task.id


def clusters_merge_run(*, actor: User, cluster_ids: list[int]) -> int:
    """The batch merge job's work: each open cluster merged into its oldest record, one
    transaction per cluster with the cluster row locked, so a run after a killed one merges
    what is left and nothing twice. Returns how many clusters this run merged."""
    merged = 0
    for cluster_id in cluster_ids:
        with transaction.atomic():
            cluster = (
                DuplicateCluster.objects.select_for_update()
                .filter(pk=cluster_id, status=ClusterStatus.OPEN)
                .first()
            )
            if cluster is None or len(cluster.record_ids) < 2:
                continue
            cluster_merge(actor=actor, cluster=cluster, survivor_id=min(cluster.record_ids))
            merged += 1
    return merged


def _resolve_after_merge(actor: User, cluster: DuplicateCluster, merged: list[int]) -> None:
    remaining = [pk for pk in cluster.record_ids if pk not in merged]
    cluster.record_ids = remaining
    cluster.size = len(remaining)
    if len(remaining) < 2:
        cluster.status = ClusterStatus.MERGED
        cluster.resolved_by = actor
        cluster.resolved_at = timezone.now()
    cluster.save(update_fields=["record_ids", "size", "status", "resolved_by", "resolved_at"])


def cluster_dismiss(*, actor: User, cluster: DuplicateCluster) -> DuplicateCluster:
    """Not duplicates: the cluster and its pairs stay dismissed; later scans skip them."""
    _require_review(actor)
    _require_open(cluster)
    cluster.status = ClusterStatus.DISMISSED
    cluster.resolved_by = actor
    cluster.resolved_at = timezone.now()
    cluster.save(update_fields=["status", "resolved_by", "resolved_at"])
    return cluster


def scan_request(*, actor: User, record_type: str, threshold: float | None = None) -> DuplicateScan:
    """Queue a batch scan of one record type (the job refills the review queue)."""
    from cyclecrm.dataquality.duplicates.scan import scan_start
    from cyclecrm.dataquality.duplicates.tasks import scan_duplicates

    _require_review(actor)
    try:
        scan = scan_start(actor=actor, record_type=record_type, threshold=threshold)
    except ValueError as exc:
        field, _, reason = str(exc).partition(": ")
        raise ValidationFailed(fields={field: [reason]}) from exc
    transaction.on_commit(lambda: scan_duplicates(scan.pk))
    return scan


def merge_revert(*, actor: User, merge: MergeRecord) -> Any:
    """Undo one merge and put the merged record back in its cluster's queue."""
    _require_review(actor)
    with transaction.atomic():
        survivor = merge_undo(actor=actor, merge=merge)
        cluster = merge.cluster
        if cluster is not None:
            if merge.merged_id not in cluster.record_ids:
                cluster.record_ids = [*cluster.record_ids, merge.merged_id]
            if merge.survivor_id not in cluster.record_ids:
                cluster.record_ids = [merge.survivor_id, *cluster.record_ids]
            cluster.size = len(cluster.record_ids)
            cluster.status = ClusterStatus.OPEN
            cluster.save(update_fields=["record_ids", "size", "status"])
    return survivor
