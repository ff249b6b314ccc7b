"""The batch scan: every record of a type compared by blocking, pairs grouped into clusters
and written to the review queue (DuplicateCluster + DuplicatePair).

A new scan replaces the open clusters of the type; merged and dismissed clusters stay, and a
pair that a reviewer dismissed is never proposed again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from cyclecrm.core.registry import record_type as get_record_type
from cyclecrm.dataquality.duplicates.clusters import group
from cyclecrm.dataquality.duplicates.compare import features, profile
from cyclecrm.dataquality.duplicates.matching import FIELDS, MATCHED_TYPES, Pair, find_pairs
from cyclecrm.dataquality.models import (
    ClusterStatus,
    DuplicateCluster,
    DuplicatePair,
    DuplicateScan,
)
from cyclecrm.identity.access import restrict

CHUNK = 5000
WRITE_BATCH = 2000


def scan_start(*, actor: Any, record_type: str, threshold: float | None = None) -> DuplicateScan:
    """A queued scan row; the caller enqueues `run_scan` (tasks.py) or runs it inline."""
    if record_type not in MATCHED_TYPES:
        raise ValueError(f"record_type: duplicates are found for {', '.join(MATCHED_TYPES)}")
    if threshold is not None and not 0 < threshold <= 1:
        raise ValueError("threshold: a score between 0 (excluded) and 1")
    value = profile(record_type).threshold if threshold is None else threshold
    return DuplicateScan.objects.create(
        record_type=record_type, threshold=value, created_by=actor, status="queued"
    )


def load_records(record_type: str, actor: Any | None) -> tuple[list[int], list[Any]]:
    """Ids (ascending) and comparison features of every record `actor` may read (all when
    actor is None), streamed from the database in chunks."""
    model = get_record_type(record_type).model
    rows = model._default_manager.all()
    if actor is not None:
        rows = restrict(rows, actor)
    names = FIELDS[record_type]
    ids: list[int] = []
    records: list[Any] = []
    for row in rows.order_by("id").values_list("id", *names).iterator(chunk_size=CHUNK):
        ids.append(row[0])
        records.append(features(record_type, dict(zip(names, row[1:], strict=True))))
    return ids, records


def run_scan(scan_id: int) -> DuplicateScan:
    """Run a queued scan to the end (status done, or failed with the error)."""
    scan = DuplicateScan.objects.get(pk=scan_id)
    scan.status = "running"
    scan.save(update_fields=["status"])
    try:
        ids, records = load_records(scan.record_type, scan.created_by)
        scan.records = len(ids)
        scan.save(update_fields=["records"])
        stats: dict[str, int] = {}
        found = find_pairs(
            ids, records, scan.record_type, threshold_value=scan.threshold, stats=stats
        )
        pairs = [pair for pair in found if (pair.left_id, pair.right_id) not in _dismissed(scan)]
        del records
        scan.candidate_pairs = stats.get("compared", 0)
        write_queue(scan, pairs)
    except Exception as error:
        scan.status = "failed"
        scan.error = f"{type(error).__name__}: {error}"
        scan.finished_at = timezone.now()
        scan.save(update_fields=["status", "error", "finished_at"])
        raise
    return scan


def _dismissed(scan: DuplicateScan) -> set[tuple[int, int]]:
    cache = getattr(scan, "_dismissed_pairs", None)
    if cache is None:
        rows = DuplicatePair.objects.filter(
            record_type=scan.record_type, cluster__status=ClusterStatus.DISMISSED
        ).values_list("left_id", "right_id")
        cache = {(min(a, b), max(a, b)) for a, b in rows}
        scan._dismissed_pairs = cache  # type: ignore[attr-defined]
    return cache


@transaction.atomic
def write_queue(scan: DuplicateScan, pairs: list[Pair]) -> None:
    """Replace the type's open clusters by the clusters of `pairs`, best first."""
    prof = profile(scan.record_type)
    DuplicateCluster.objects.filter(
        record_type=scan.record_type, status=ClusterStatus.OPEN
    ).delete()
    edges = [(pair.left_id, pair.right_id, pair.score) for pair in pairs]
    members = group(edges, strong=prof.strong)
    cluster_of = {record_id: index for index, ids in enumerate(members) for record_id in ids}
    by_cluster: list[list[Pair]] = [[] for _ in members]
    for pair in pairs:
        index = cluster_of.get(pair.left_id)
        if index is not None and cluster_of.get(pair.right_id) == index:
            by_cluster[index].append(pair)
    now = timezone.now()
    clusters = DuplicateCluster.objects.bulk_create(
        [
            DuplicateCluster(
                record_type=scan.record_type,
                scan=scan,
                score=round(max(pair.score for pair in found), 4),
                size=len(ids),
                record_ids=ids,
                created_at=now,
            )
            for ids, found in zip(members, by_cluster, strict=True)
        ],
        batch_size=WRITE_BATCH,
    )
    DuplicatePair.objects.bulk_create(
        _pair_rows(scan.record_type, clusters, by_cluster), batch_size=WRITE_BATCH
    )
    scan.pairs = sum(len(found) for found in by_cluster)
    scan.clusters = len(clusters)
    scan.status = "done"
    scan.finished_at = timezone.now()
    scan.save()


def _pair_rows(
    record_type: str, clusters: list[DuplicateCluster], by_cluster: list[list[Pair]]
) -> Iterable[DuplicatePair]:
    for cluster, found in zip(clusters, by_cluster, strict=True):
        for pair in found:
            yield DuplicatePair(
                cluster=cluster,
                record_type=record_type,
                left_id=pair.left_id,
                right_id=pair.right_id,
                score=round(pair.score, 4),
                reasons=pair.reasons,
            )
