"""Starting and running model runs. Permission: retraining is the `edit` right on record
type `model_run` (managers and admins); reading model pages is `read`."""

import logging
import traceback

from django.db import transaction
from django.utils import timezone

from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.intelligence.models import FINISHED_STATUSES, ModelKind, ModelRun, RunStatus
from cyclecrm.intelligence.trainers import NotEnoughData, Progress, trainer_for

logger = logging.getLogger(__name__)


def model_run_start(*, actor: User | None, kind: str, options: dict | None = None) -> ModelRun:
    """Queue a training run of `kind`; `actor` None is the scheduler. Returns the queued run.

    A run of the same kind that is still queued or running is returned instead of a second
    one, so pressing "Retrain" twice or a schedule overlapping a manual run trains once."""
    if kind not in ModelKind.values:
        raise ValidationFailed(fields={"kind": [f"Choose one of: {', '.join(ModelKind.values)}."]})
    if actor is not None and access.level(actor, "model_run", Action.EDIT) == "none":
        raise Forbidden("You may not retrain models.")
    if trainer_for(kind) is None:
        raise ValidationFailed(fields={"kind": [f"No trainer is installed for {kind}."]})
    with transaction.atomic():
        pending = (
            ModelRun.objects.filter(kind=kind)
            .exclude(status__in=FINISHED_STATUSES)
            .order_by("-created_at")
            .first()
        )
        if pending is not None:
            return pending
        run = ModelRun.objects.create(kind=kind, requested_by=actor, options=options or {})
    from cyclecrm.intelligence.tasks import run_model

    transaction.on_commit(lambda: run_model(run.pk))
    return run


def model_run_execute(run_id: int) -> ModelRun:
    """Run a queued run now (the job body; tests and the CLI call it directly)."""
    run = ModelRun.objects.get(pk=run_id)
    if run.status in FINISHED_STATUSES:
        return run
    train = trainer_for(run.kind)
    run.status = RunStatus.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["status", "started_at"])
    progress = Progress(run)
    try:
        if train is None:
            raise NotEnoughData(f"No trainer is installed for {run.kind}.")
        train(run, progress)
    except NotEnoughData as refusal:
        run.status = RunStatus.REFUSED
        run.message = str(refusal)
    except Exception as error:
        logger.exception("Model run %s failed", run.pk)
        run.status = RunStatus.FAILED
        run.message = f"{type(error).__name__}: {error}\n\n{traceback.format_exc(limit=5)}"
        run.finished_at = timezone.now()
        run.save()
        raise
    else:
        run.status = RunStatus.SUCCEEDED
        run.progress = 100
        run.progress_note = ""
    run.finished_at = timezone.now()
    run.save()
    return run


def model_run_train_now(*, kind: str, options: dict | None = None) -> ModelRun:
    """Create and execute a run in this process (scheduled jobs, demo data, tests)."""
    run = ModelRun.objects.create(kind=kind, options=options or {})
    return model_run_execute(run.pk)
