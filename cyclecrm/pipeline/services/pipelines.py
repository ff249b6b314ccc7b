"""Writes for pipelines and their stages (administrator configuration).

Pipelines have no owner: changing them takes the `all` level of the `pipeline` record type (the
built-in administrator role). Every change is written to the pipeline's audit history, stages
included (`stage.<id>` entries). A stage that holds opportunities cannot be deleted (409
`stage_in_use`): rename it, or merge it into another stage of the same kind, which moves its
opportunities and its stage history there.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from cyclecrm.core.errors import Conflict, Duplicate, FieldErrors, Forbidden, ValidationFailed
from cyclecrm.core.history import diff, history_record
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.money import parse_decimal
from cyclecrm.core.records import claim_version
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage, StageChange, StageKind

DEFAULT_STAGES = [
    ("Prospecting", 10, StageKind.OPEN),
    ("Qualification", 20, StageKind.OPEN),
    ("Proposal", 50, StageKind.OPEN),
    ("Negotiation", 75, StageKind.OPEN),
    ("Closed won", 100, StageKind.WON),
    ("Closed lost", 0, StageKind.LOST),
]
PIPELINE_FIELDS = {"name", "is_default", "is_active", "position"}
STAGE_FIELDS = {"name", "probability", "kind"}
NAME_MAX = 100

STAGE_IN_USE = "{count} opportunities are in this stage: move them first, or merge the stage."
PIPELINE_IN_USE = "{count} opportunities are in this pipeline: move or delete them first."
NEEDS_OPEN_STAGE = "A pipeline needs at least one open stage."


def require_pipeline_admin(actor: User, action: str) -> None:
    """Pipelines (and exchange rates) are shared configuration: changing them takes `all`."""
    if access.level(actor, Pipeline.record_type, action) != Level.ALL:
        raise Forbidden(f"You may not {action} pipelines.")


def pipeline_default() -> Pipeline:
    """The default pipeline, created with standard stages when the installation has none."""
    pipeline = Pipeline.objects.filter(is_default=True, is_active=True).first()
    if pipeline is None:
        pipeline = Pipeline.objects.filter(is_active=True).order_by("position", "id").first()
    if pipeline is None:
        with transaction.atomic():
            pipeline = Pipeline.objects.create(name=_free_name("Sales"), is_default=True)
            _create_stages(pipeline, _default_stage_specs())
    return pipeline


def _free_name(name: str) -> str:
    """`name`, or `name 2`, `name 3`... when an (inactive) pipeline already has it."""
    candidate, n = name, 1
    while Pipeline.objects.filter(name=candidate).exists():
        n += 1
        candidate = f"{name} {n}"
    return candidate


def _default_stage_specs() -> list[dict[str, Any]]:
    return [
        {"name": name, "probability": Decimal(p), "kind": kind} for name, p, kind in DEFAULT_STAGES
    ]


def _create_stages(pipeline: Pipeline, specs: list[dict[str, Any]]) -> None:
    Stage.objects.bulk_create(
        Stage(pipeline=pipeline, position=i, **spec) for i, spec in enumerate(specs)
    )


# -- audit ------------------------------------------------------------------------------------


def _snapshot(pipeline: Pipeline) -> dict[str, Any]:
    state: dict[str, Any] = {
        "name": pipeline.name,
        "is_default": pipeline.is_default,
        "is_active": pipeline.is_active,
        "position": pipeline.position,
    }
    for stage in Stage.objects.filter(pipeline=pipeline).order_by("position", "id"):
        state[f"stage.{stage.pk}"] = (
            f"{stage.name} · {stage.probability.normalize():f}% · {stage.kind} · #{stage.position}"
        )
    return state


def _record(actor: User, pipeline: Pipeline, before: dict[str, Any], action: str) -> None:
    changes = diff(before, _snapshot(pipeline) if action != HistoryAction.DELETE else {})
    if changes:
        history_record(actor=actor, instance=pipeline, action=action, changes=changes)


# -- validation -------------------------------------------------------------------------------


def _clean_name(value: Any, errors: FieldErrors, field: str = "name") -> str:
    name = " ".join(str(value or "").split())
    if not name:
        errors.add(field, "This field is required.")
    elif len(name) > NAME_MAX:
        errors.add(field, f"At most {NAME_MAX} characters.")
    return name


def _clean_stage(data: dict[str, Any], errors: FieldErrors, *, prefix: str = "") -> dict:
    clean: dict[str, Any] = {}
    for name in sorted(set(data) - STAGE_FIELDS):
        errors.add(f"{prefix}{name}", "Unknown field.")
    if "name" in data:
        clean["name"] = _clean_name(data["name"], errors, f"{prefix}name")
    if "probability" in data:
        try:
            probability = parse_decimal(data["probability"], field="probability")
        except ValueError as exc:
            errors.add(f"{prefix}probability", str(exc))
        else:
            if not Decimal(0) <= probability <= Decimal(100):
                errors.add(f"{prefix}probability", "Between 0 and 100.")
            clean["probability"] = probability.quantize(Decimal("0.01"))
    if "kind" in data:
        if data["kind"] not in StageKind.values:
            errors.add(f"{prefix}kind", f"Choose one of: {', '.join(StageKind.values)}.")
        clean["kind"] = data["kind"]
    return clean


def _clean_stage_list(specs: Iterable[dict[str, Any]], errors: FieldErrors) -> list[dict]:
    cleaned = []
    for i, spec in enumerate(specs):
        prefix = f"stages.{i}."
        stage = _clean_stage(dict(spec), errors, prefix=prefix)
        if "name" not in stage:
            errors.add(f"{prefix}name", "This field is required.")
        stage.setdefault("probability", Decimal(0))
        stage.setdefault("kind", StageKind.OPEN)
        cleaned.append(stage)
    names = [stage.get("name", "").casefold() for stage in cleaned]
    if len(set(names)) != len(names):
        errors.add("stages", "Two stages have the same name.")
    if cleaned and not any(stage["kind"] == StageKind.OPEN for stage in cleaned):
        errors.add("stages", NEEDS_OPEN_STAGE)
    return cleaned


def _save(instance: Any) -> None:
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise Duplicate(fields={"name": ["This name is already used."]}) from exc


def _make_default(pipeline: Pipeline) -> None:
    Pipeline.objects.exclude(pk=pipeline.pk).filter(is_default=True).update(is_default=False)


# -- pipelines --------------------------------------------------------------------------------


def pipeline_create(*, actor: User, data: dict[str, Any]) -> Pipeline:
    """Create a pipeline; `stages` (a list of {name, probability, kind}) defaults to the standard
    stages. The first pipeline, or one created with `is_default`, becomes the default."""
    require_pipeline_admin(actor, Action.CREATE)
    data = dict(data)
    stage_specs = data.pop("stages", None)
    errors = FieldErrors()
    for name in sorted(set(data) - PIPELINE_FIELDS):
        errors.add(name, "Unknown field.")
    name = _clean_name(data.get("name"), errors)
    specs = (
        _default_stage_specs() if stage_specs is None else _clean_stage_list(stage_specs, errors)
    )
    if stage_specs is not None and not specs:
        errors.add("stages", NEEDS_OPEN_STAGE)
    errors.raise_if_any()
    with transaction.atomic():
        position = (Pipeline.objects.aggregate(top=Max("position"))["top"] or 0) + 1
        pipeline = Pipeline(
            name=name,
            is_default=bool(data.get("is_default")) or not Pipeline.objects.exists(),
            is_active=data.get("is_active", True) is not False,
            position=data.get("position", position),
        )
        _save(pipeline)
        _create_stages(pipeline, specs)
        if pipeline.is_default:
            _make_default(pipeline)
        _record(actor, pipeline, {}, HistoryAction.CREATE)
    return pipeline


def pipeline_update(
    *, actor: User, pipeline: Pipeline, data: dict[str, Any], version: int | None
) -> Pipeline:
    """Rename, (de)activate, reorder or make default. The default pipeline stays active, and
    unsetting `is_default` is refused: make another pipeline the default instead."""
    require_pipeline_admin(actor, Action.EDIT)
    errors = FieldErrors()
    for name in sorted(set(data) - PIPELINE_FIELDS):
        errors.add(name, "Unknown field.")
    if "name" in data:
        pipeline.name = _clean_name(data["name"], errors)
    if data.get("is_default") is False and pipeline.is_default:
        errors.add("is_default", "Make another pipeline the default instead.")
    if "is_active" in data:
        pipeline.is_active = bool(data["is_active"])
    if "position" in data:
        pipeline.position = int(data["position"] or 0)
    if data.get("is_default"):
        pipeline.is_default = True
    if pipeline.is_default and not pipeline.is_active:
        errors.add("is_active", "The default pipeline cannot be deactivated.")
    errors.raise_if_any()
    with transaction.atomic():
        before = _snapshot(Pipeline.objects.get(pk=pipeline.pk))
        claim_version(pipeline, version)
        _save(pipeline)
        if pipeline.is_default:
            _make_default(pipeline)
        _record(actor, pipeline, before, HistoryAction.UPDATE)
    return pipeline


def pipeline_delete(*, actor: User, pipeline: Pipeline) -> None:
    """Delete a pipeline that holds no opportunity (else 409 `pipeline_in_use`)."""
    require_pipeline_admin(actor, Action.DELETE)
    count = Opportunity.objects.filter(pipeline=pipeline).count()
    if count:
        raise Conflict(PIPELINE_IN_USE.format(count=count), code="pipeline_in_use")
    with transaction.atomic():
        before = _snapshot(pipeline)
        _record_delete(actor, pipeline, before)
        was_default = pipeline.is_default
        pipeline.delete()
        if was_default:
            successor = Pipeline.objects.filter(is_active=True).order_by("position", "id").first()
            if successor is not None:
                Pipeline.objects.filter(pk=successor.pk).update(is_default=True)


def _record_delete(actor: User, pipeline: Pipeline, before: dict[str, Any]) -> None:
    history_record(
        actor=actor, instance=pipeline, action=HistoryAction.DELETE, changes=diff(before, {})
    )


# -- stages -----------------------------------------------------------------------------------


def _ordered(pipeline: Pipeline) -> list[Stage]:
    return list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))


def _renumber(stages: list[Stage]) -> None:
    changed = []
    for position, stage in enumerate(stages):
        if stage.position != position:
            stage.position = position
            changed.append(stage)
    Stage.objects.bulk_update(changed, ["position"])


def stage_create(*, actor: User, pipeline: Pipeline, data: dict[str, Any]) -> Stage:
    """Add a stage. An open stage goes before the pipeline's first closed stage, a closed one
    at the end; reorder afterwards with `stage_reorder`."""
    require_pipeline_admin(actor, Action.EDIT)
    errors = FieldErrors()
    clean = _clean_stage(dict(data), errors)
    if "name" not in data:
        errors.add("name", "This field is required.")
    errors.raise_if_any()
    clean.setdefault("kind", StageKind.OPEN)
    clean.setdefault("probability", Decimal(0))
    with transaction.atomic():
        before = _snapshot(pipeline)
        stages = _ordered(pipeline)
        stage = Stage(pipeline=pipeline, position=len(stages), **clean)
        _save(stage)
        first_closed = next((i for i, s in enumerate(stages) if s.kind != StageKind.OPEN), None)
        if clean["kind"] == StageKind.OPEN and first_closed is not None:
            stages.insert(first_closed, stage)
        else:
            stages.append(stage)
        _renumber(stages)
        _record(actor, pipeline, before, HistoryAction.UPDATE)
    stage.refresh_from_db()
    return stage


def stage_update(*, actor: User, stage: Stage, data: dict[str, Any], version: int | None) -> Stage:
    """Rename a stage, change its probability (opportunities already in it keep theirs; the new
    one applies to the next moves) or its kind (only while no opportunity is in it)."""
    require_pipeline_admin(actor, Action.EDIT)
    errors = FieldErrors()
    clean = _clean_stage(dict(data), errors)
    errors.raise_if_any()
    pipeline = stage.pipeline
    if "kind" in clean and clean["kind"] != stage.kind:
        count = Opportunity.objects.filter(stage=stage).count()
        if count:
            raise Conflict(
                f"{count} opportunities are in this stage: its kind cannot change.",
                code="stage_in_use",
                fields={"kind": ["Move its opportunities first."]},
            )
        others_open = Stage.objects.filter(pipeline=pipeline, kind=StageKind.OPEN).exclude(
            pk=stage.pk
        )
        if clean["kind"] != StageKind.OPEN and not others_open.exists():
            raise ValidationFailed(fields={"kind": [NEEDS_OPEN_STAGE]})
    with transaction.atomic():
        before = _snapshot(pipeline)
        for name, value in clean.items():
            setattr(stage, name, value)
        claim_version(stage, version)
        _save(stage)
        _record(actor, pipeline, before, HistoryAction.UPDATE)
    return stage


def stage_delete(*, actor: User, stage: Stage) -> None:
    """Delete an empty stage (409 `stage_in_use` while opportunities are in it). Its past stage
    changes keep their time but no longer name a stage; merge to keep them in the statistics."""
    require_pipeline_admin(actor, Action.EDIT)
    count = Opportunity.objects.filter(stage=stage).count()
    if count:
        raise Conflict(STAGE_IN_USE.format(count=count), code="stage_in_use")
    pipeline = stage.pipeline
    if (
        stage.kind == StageKind.OPEN
        and not Stage.objects.filter(pipeline=pipeline, kind=StageKind.OPEN)
        .exclude(pk=stage.pk)
        .exists()
    ):
        raise ValidationFailed(NEEDS_OPEN_STAGE, fields={"kind": [NEEDS_OPEN_STAGE]})
    with transaction.atomic():
        before = _snapshot(pipeline)
        stage.delete()
        _renumber(_ordered(pipeline))
        _record(actor, pipeline, before, HistoryAction.UPDATE)


def stage_merge(*, actor: User, stage: Stage, into_id: Any) -> Stage:
    """Move every opportunity of `stage` to the stage `into_id` (same pipeline, same kind) and
    delete `stage`. Its stage history is relabelled to the target, so times and conversions
    count there; each moved opportunity gets a history entry and a new version."""
    require_pipeline_admin(actor, Action.EDIT)
    into = Stage.objects.filter(pk=into_id, pipeline_id=stage.pipeline_id).first()
    if into is None or into.pk == stage.pk:
        raise ValidationFailed(fields={"into_id": ["Choose another stage of this pipeline."]})
    if into.kind != stage.kind:
        raise ValidationFailed(fields={"into_id": ["Choose a stage of the same kind."]})
    pipeline = stage.pipeline
    with transaction.atomic():
        before = _snapshot(pipeline)
        moved = list(Opportunity.objects.select_for_update().filter(stage=stage))
        for opportunity in moved:
            history_record(
                actor=actor,
                instance=opportunity,
                action=HistoryAction.UPDATE,
                changes={"stage_id": [stage.pk, into.pk]},
            )
        for opportunity in moved:
            Opportunity.objects.filter(pk=opportunity.pk).update(
                stage=into, version=opportunity.version + 1
            )
        StageChange.objects.filter(to_stage=stage).update(to_stage=into)
        StageChange.objects.filter(from_stage=stage).update(from_stage=into)
        stage.delete()
        _renumber(_ordered(pipeline))
        _record(actor, pipeline, before, HistoryAction.UPDATE)
    return into


def stage_reorder(
    *, actor: User, pipeline: Pipeline, stage_ids: list[int], version: int | None
) -> list[Stage]:
    """Put the pipeline's stages in the order of `stage_ids` (every stage, once). The order
    belongs to the pipeline: `version` is the pipeline's (ADR 0037)."""
    require_pipeline_admin(actor, Action.EDIT)
    stages = {stage.pk: stage for stage in _ordered(pipeline)}
    if sorted(stage_ids) != sorted(stages) or len(set(stage_ids)) != len(stage_ids):
        raise ValidationFailed(
            fields={"stage_ids": ["List every stage of this pipeline exactly once."]}
        )
    with transaction.atomic():
        before = _snapshot(pipeline)
        claim_version(pipeline, version)
        ordered = [stages[pk] for pk in stage_ids]
        _renumber(ordered)
        _record(actor, pipeline, before, HistoryAction.UPDATE)
    return ordered


def stage_shift(*, actor: User, stage: Stage, offset: int, version: int | None) -> None:
    """Move a stage up (-1) or down (+1) by one place: the buttons beside drag and drop."""
    ids = [s.pk for s in _ordered(stage.pipeline)]
    i = ids.index(stage.pk)
    j = max(0, min(len(ids) - 1, i + offset))
    ids[i], ids[j] = ids[j], ids[i]
    stage_reorder(actor=actor, pipeline=stage.pipeline, stage_ids=ids, version=version)
