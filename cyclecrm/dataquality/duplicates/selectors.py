"""Reads of the review queue: clusters (open first, best score first), their records as the
reviewer may see them, and merges. Every read starts from `access.restrict`."""

from typing import Any

from django.db.models import QuerySet

from cyclecrm.core.errors import NotFound
from cyclecrm.core.history import _jsonable
from cyclecrm.core.models import BaseRecord
from cyclecrm.core.pagination import Ordering
from cyclecrm.dataquality.duplicates.flagging import record_url
from cyclecrm.dataquality.duplicates.merge import (
    choice_names,
    default_choices,
    field_value,
    merge_model,
)
from cyclecrm.dataquality.models import DuplicateCluster, MergeRecord
from cyclecrm.identity import access
from cyclecrm.identity.access import access_for
from cyclecrm.identity.models import Action, User

# The queue index (record_type, status, -score, id) serves this order.
CLUSTER_ORDERINGS = {"score": Ordering(("score", "id"), descending=True)}


def cluster_list(
    *, actor: User, record_type: str | None = None, status: str = "open"
) -> QuerySet[DuplicateCluster]:
    rows = DuplicateCluster.objects.filter(status=status)
    if record_type:
        rows = rows.filter(record_type=record_type)
    return access.restrict(rows, actor)


def cluster_get(*, actor: User, pk: int, action: str = Action.READ) -> DuplicateCluster:
    cluster = access.restrict(DuplicateCluster.objects.filter(pk=pk), actor, action).first()
    if cluster is None:
        raise NotFound("No duplicate cluster with this id.")
    return cluster


def cluster_records(*, actor: User, cluster: DuplicateCluster) -> list[BaseRecord]:
    """The cluster's records that still exist and that `actor` may read, in the cluster's
    order; the reviewer never learns about the others."""
    model = merge_model(cluster.record_type)
    rows = access.restrict(model._default_manager.filter(pk__in=cluster.record_ids), actor)
    by_id = {row.pk: row for row in rows.prefetch_related("tags")}
    return [by_id[pk] for pk in cluster.record_ids if pk in by_id]


def merge_list(*, actor: User, record_type: str, record_id: int) -> QuerySet[MergeRecord]:
    """Merges into or of one record (the record's readability is the caller's check)."""
    if access.level(actor, "duplicate", Action.READ) == "none":
        return MergeRecord.objects.none()
    rows = MergeRecord.objects.filter(record_type=record_type)
    return rows.filter(survivor_id=record_id) | rows.filter(merged_id=record_id)


def merge_get(*, actor: User, pk: int) -> MergeRecord:
    merge = MergeRecord.objects.filter(pk=pk).first()
    if merge is None or access.level(actor, "duplicate", Action.READ) == "none":
        raise NotFound("No merge with this id.")
    model = merge_model(merge.record_type)
    survivor = model._default_manager.filter(pk=merge.survivor_id).first()
    if survivor is not None and not access.can(actor, Action.READ, survivor):
        raise NotFound("No merge with this id.")
    return merge


def cluster_comparison(
    actor: User, cluster: DuplicateCluster, records: list[BaseRecord]
) -> dict[str, Any]:
    """Records (values of the fields `actor` may see) and per-field default choices."""
    if not records:
        return {"records": [], "fields": []}
    hidden = access_for(actor).hidden_fields(cluster.record_type)
    names = [
        name
        for name in choice_names(type(records[0]), records)
        if name.removesuffix("_id") not in hidden and name not in hidden
    ]
    defaults = default_choices(records, names)
    fields = [
        {
            "field": name,
            "default_record_id": defaults[name],
            "differs": len({repr(field_value(r, name)) for r in records}) > 1,
        }
        for name in names
    ]
    shown = [
        {
            "id": r.pk,
            "name": str(r),
            "url": record_url(cluster.record_type, r.pk),
            "updated_at": r.updated_at,
            "values": {name: _jsonable(field_value(r, name)) for name in names},
        }
        for r in records
    ]
    return {"records": shown, "fields": fields}
