"""The batch scan: every record of a type compared by blocking, pairs grouped into clusters
and written to the review queue (DuplicateCluster + DuplicatePair).

A new scan replaces the open clusters of the type; merged and dismissed clusters stay, and a
pair that a reviewer dismissed is never proposed again.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from cyclecrm.core.registry import record_type as get_record_type
from cyclecrm.dataquality.duplicates.clusters import group_indexed
from cyclecrm.dataquality.duplicates.compare import (
    Organization,
    Person,
    features,
    profile,
    score_pair,
)
from cyclecrm.dataquality.duplicates.matching import FIELDS, MATCHED_TYPES, scored_pairs
from cyclecrm.dataquality.models import (
    ClusterStatus,
    DuplicateCluster,
    DuplicatePair,
    DuplicateScan,
)
from cyclecrm.identity.access import restrict

CHUNK = 5000
WRITE_BATCH = 2000
# Feature fields whose values repeat across records (kept once in memory by `_share`).
SHARED_PERSON = (
    "first_name",
    "last_name",
    "city",
    "region",
    "postal_code",
    "gender",
    "title",
    "company",
    "account",
)
SHARED_ORGANIZATION = ("city", "country")


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


def load_records(record_type: str, actor: Any | None) -> tuple[array, list[Any]]:
    """Ids (ascending) and comparison features of every record `actor` may read (all when
    actor is None). Read in keyset pages of CHUNK rows as tuples (no model instances); the
    features keep one copy of each repeated value (names, cities, account ids), which is what
    lets a million contacts' features fit in about 300 MB."""
    model = get_record_type(record_type).model
    rows = model._default_manager.all()
    if actor is not None:
        rows = restrict(rows, actor)
    names = FIELDS[record_type]
    shared: dict[str, str] = {}
    ids = array("q")  # 8 bytes an id, where a list of ints takes about 36
    records: list[Any] = []
    for chunk in _pages(rows.values_list("id", *names)):
        for row in chunk:
            ids.append(row[0])
            record = features(record_type, dict(zip(names, row[1:], strict=True)))
            records.append(_share(record, shared))
    return ids, records


def _pages(rows: QuerySet) -> Iterator[list[tuple]]:
    """The rows in pages of CHUNK, each one query `WHERE id > <last id> ORDER BY id LIMIT`."""
    last = None
    while True:
        page = rows if last is None else rows.filter(id__gt=last)
        chunk = list(page.order_by("id")[:CHUNK])
        if chunk:
            yield chunk
        if len(chunk) < CHUNK:
            return
        last = chunk[-1][0]


def _share(record: Person | Organization, shared: dict[str, str]) -> Person | Organization:
    names = SHARED_PERSON if isinstance(record, Person) else SHARED_ORGANIZATION
    for name in names:
        value = getattr(record, name)
        if value:
            setattr(record, name, shared.setdefault(value, value))
    return record


def run_scan(scan_id: int) -> DuplicateScan:
    """Run a queued scan to the end (status done, or failed with the error)."""
    scan = DuplicateScan.objects.get(pk=scan_id)
    scan.status = "running"
    scan.save(update_fields=["status"])
    try:
        ids, records = load_records(scan.record_type, scan.created_by)
        scan.records = len(ids)
        scan.save(update_fields=["records"])
        _release_read_cache()
        stats: dict[str, int] = {}
        edges = _edges(scan, ids, records, stats)
        scan.candidate_pairs = stats.get("compared", 0)
        write_queue(scan, ids, records, edges)
    except Exception as error:
        scan.status = "failed"
        scan.error = f"{type(error).__name__}: {error}"
        scan.finished_at = timezone.now()
        scan.save(update_fields=["status", "error", "finished_at"])
        raise
    return scan


def _release_read_cache() -> None:
    """Close the connection after reading every record (a new one opens for the writes): on
    SQLite its page cache and memory map (64 + 256 MB in settings) stay resident in this process
    otherwise, a third of the 1 GiB the scan of a million contacts must stay under. Inside an
    atomic block (tests) the connection is kept."""
    if not connection.in_atomic_block:
        connection.close()


@dataclass
class Edges:
    """The pairs found, as record numbers (positions in the loaded ids) and scores in arrays:
    20 bytes a pair where a Pair with its reasons took about 500. The reasons are computed
    again when the pairs are written."""

    left: np.ndarray
    right: np.ndarray
    score: np.ndarray


def _edges(scan: DuplicateScan, ids: Sequence[int], records: list[Any], stats: dict) -> Edges:
    dismissed = _dismissed(scan)
    left, right, score = array("l"), array("l"), array("d")
    for x, y, value, _reasons in scored_pairs(
        records, scan.record_type, threshold_value=scan.threshold, stats=stats
    ):
        if dismissed and (ids[x], ids[y]) in dismissed:
            continue
        left.append(x)
        right.append(y)
        score.append(value)
    return Edges(np.array(left, dtype=np.int64), np.array(right, dtype=np.int64), np.array(score))


def _dismissed(scan: DuplicateScan) -> set[tuple[int, int]]:
    rows = DuplicatePair.objects.filter(
        record_type=scan.record_type, cluster__status=ClusterStatus.DISMISSED
    ).values_list("left_id", "right_id")
    return {(min(a, b), max(a, b)) for a, b in rows}


@transaction.atomic
def write_queue(scan: DuplicateScan, ids: Sequence[int], records: list[Any], edges: Edges) -> None:
    """Replace the type's open clusters by the clusters of `edges`, best first, written in
    batches of WRITE_BATCH clusters with their pairs."""
    prof = profile(scan.record_type)
    open_clusters = DuplicateCluster.objects.filter(
        record_type=scan.record_type, status=ClusterStatus.OPEN
    )
    DuplicatePair.objects.filter(cluster__in=open_clusters.values("id")).delete()
    open_clusters.only("id").delete()
    labels = group_indexed(edges.left, edges.right, edges.score, len(ids), strong=prof.strong)
    count = int(labels.max()) + 1 if len(labels) else 0
    members = _grouped(labels, np.arange(len(labels)), count)
    inside = labels[edges.left]
    kept = np.flatnonzero((inside >= 0) & (inside == labels[edges.right]))
    pairs = _grouped(inside[kept], kept, count)
    now = timezone.now()
    written = 0
    for first in range(0, count, WRITE_BATCH):
        batch = range(first, min(first + WRITE_BATCH, count))
        clusters = DuplicateCluster.objects.bulk_create(
            [
                DuplicateCluster(
                    record_type=scan.record_type,
                    scan=scan,
                    score=round(float(edges.score[pairs[n]].max()), 4),
                    size=len(members[n]),
                    record_ids=[ids[i] for i in members[n].tolist()],
                    created_at=now,
                )
                for n in batch
            ]
        )
        rows = list(_pair_rows(scan, ids, records, edges, clusters, [pairs[n] for n in batch]))
        DuplicatePair.objects.bulk_create(rows, batch_size=WRITE_BATCH)
        written += len(rows)
    scan.pairs = written
    scan.clusters = count
    scan.status = "done"
    scan.finished_at = timezone.now()
    scan.save()


def _grouped(labels: np.ndarray, values: np.ndarray, count: int) -> list[np.ndarray]:
    """`values` split by their label (0..count-1; others dropped), each in its given order."""
    order = np.argsort(labels, kind="stable")
    labels, values = labels[order], values[order]
    bounds = np.searchsorted(labels, np.arange(count + 1))
    return [values[bounds[n] : bounds[n + 1]] for n in range(count)]


def _pair_rows(
    scan: DuplicateScan,
    ids: Sequence[int],
    records: list[Any],
    edges: Edges,
    clusters: list[DuplicateCluster],
    pairs: list[np.ndarray],
) -> Iterator[DuplicatePair]:
    prof = profile(scan.record_type)
    for cluster, found in zip(clusters, pairs, strict=True):
        for edge in found.tolist():
            x, y = int(edges.left[edge]), int(edges.right[edge])
            _score, reasons = score_pair(records[x], records[y], prof)
            yield DuplicatePair(
                cluster=cluster,
                record_type=scan.record_type,
                left_id=ids[x],
                right_id=ids[y],
                score=round(float(edges.score[edge]), 4),
                reasons=reasons,
            )
