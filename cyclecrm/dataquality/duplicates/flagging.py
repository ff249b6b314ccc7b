"""Flagging a likely duplicate when a contact, account or lead is created or updated.

The check is a guard for people entering data (API, UI form), not an invariant: the services
run it only when their caller asks (`check_duplicates=True`), so conversions, demo data and the
importer (which has its own exact-key duplicate policy) are not slowed down. It costs the few
indexed lookups of `matching.find_candidates` (blocking keys), never a scan.

- API and UI: a `LikelyDuplicate` (409) carries the candidates; `force` saves anyway.
- Public capture form: never blocks a visitor; the new lead and its candidates are put in the
  review queue (`flag_for_review`).
- Import: `import_candidates` is what the import engine can call per row later.
"""

from typing import Any

from django.db import models
from django.urls import NoReverseMatch, reverse

from cyclecrm.core.errors import Conflict
from cyclecrm.dataquality.duplicates.matching import Candidate, find_candidates
from cyclecrm.dataquality.models import DuplicateCluster, DuplicatePair

CHECKED_TYPES = ("contact", "account", "lead")
FORCE_VALUES = frozenset({"1", "true", "yes", "on"})


class LikelyDuplicate(Conflict):
    code = "likely_duplicate"
    default_message = (
        "This looks like a record that already exists; send force=true to save anyway."
    )

    def __init__(self, candidates: list[dict[str, Any]]) -> None:
        super().__init__(fields={"force": ["Likely duplicate: confirm with force=true."]})
        self.candidates = candidates

    def as_body(self) -> dict:
        body = super().as_body()
        body["error"]["candidates"] = self.candidates
        return body


def record_url(record_type: str, record_id: int) -> str:
    try:
        return reverse(f"{record_type}_detail", args=[record_id])
    except NoReverseMatch:
        return ""


def describe(record_type: str, candidates: list[Candidate]) -> list[dict[str, Any]]:
    """The candidates as the API and the form show them: id, name, score, reasons, url."""
    from cyclecrm.core.registry import record_type as get_record_type

    model = get_record_type(record_type).model
    rows = model._default_manager.filter(pk__in=[c.record_id for c in candidates])
    names = {row.pk: str(row) for row in rows}
    return [
        {
            "id": c.record_id,
            "name": names.get(c.record_id, ""),
            "score": c.score,
            "reasons": c.reasons,
            "url": record_url(record_type, c.record_id),
        }
        for c in candidates
    ]


def duplicate_check(
    *,
    actor: Any,
    record_type: str,
    data: dict[str, Any],
    instance: models.Model | None = None,
) -> None:
    """Raise LikelyDuplicate when readable records look like this one. On update, `data` (the
    changed fields) is completed with the record's stored values."""
    if record_type not in CHECKED_TYPES:
        return
    values = dict(data)
    if instance is not None:
        stored = {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
        values = {**stored, **values}
    found = find_candidates(
        actor=actor,
        record_type=record_type,
        data=values,
        exclude_id=instance.pk if instance is not None else None,
    )
    if found:
        raise LikelyDuplicate(describe(record_type, found))


def flag_new_record(*, actor: Any, instance: models.Model) -> DuplicateCluster | None:
    """For a record saved without asking anyone (a public form): queue it with its likely
    duplicates for review instead of refusing it."""
    values = {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
    record_type = instance.record_type
    found = find_candidates(
        actor=actor, record_type=record_type, data=values, exclude_id=instance.pk
    )
    return flag_for_review(record_type=record_type, record_id=instance.pk, candidates=found)


def import_candidates(*, actor: Any, record_type: str, data: dict[str, Any]) -> list[Candidate]:
    """Likely duplicates of one imported row (not called by the importer yet: its duplicate
    policy matches exact keys; see docs/data-quality.md)."""
    return find_candidates(actor=actor, record_type=record_type, data=data)


def flag_for_review(
    *, record_type: str, record_id: int, candidates: list[Candidate]
) -> DuplicateCluster | None:
    """Put a new record and its likely duplicates in the review queue as one open cluster."""
    if not candidates:
        return None
    ids = [record_id, *(c.record_id for c in candidates)]
    cluster = DuplicateCluster.objects.create(
        record_type=record_type,
        score=max(c.score for c in candidates),
        size=len(ids),
        record_ids=ids,
    )
    DuplicatePair.objects.bulk_create(
        DuplicatePair(
            cluster=cluster,
            record_type=record_type,
            left_id=min(record_id, c.record_id),
            right_id=max(record_id, c.record_id),
            score=c.score,
            reasons=c.reasons,
        )
        for c in candidates
    )
    return cluster
