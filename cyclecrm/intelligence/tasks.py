"""Background jobs: one job per model run, and the nightly retraining schedule."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from cyclecrm.intelligence.models import ModelKind
from cyclecrm.intelligence.services import model_run_execute, model_run_start


@db_task()
def run_model(run_id: int) -> None:
    model_run_execute(run_id)


# Order matters: RFM and CLV fill the order-history columns the churn model and the
# clusters read; offers last.
NIGHTLY_ORDER = (
    ModelKind.RFM,
    ModelKind.CLV,
    ModelKind.CHURN,
    ModelKind.LEAD_CONVERSION,
    ModelKind.CLUSTERS,
    ModelKind.RECOMMENDATIONS,
)


@db_periodic_task(crontab(hour="2", minute="17"))
def retrain_models_nightly() -> None:
    """Nightly: queue a run of every model (docs/intelligence.md, "Schedule")."""
    for kind in NIGHTLY_ORDER:
        model_run_start(actor=None, kind=kind)
