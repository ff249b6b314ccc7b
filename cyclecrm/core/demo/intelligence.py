"""Demo step for customer intelligence, last of all: trains every model on the demo data, in
the nightly order (RFM and CLV first, offers last), so the model pages, the lead and contact
cards and the lists have something to show. A refused run (too little data) is fine and its
reason is logged; a failing trainer raises and fails the demo. Kinds without an installed
trainer are skipped."""

from cyclecrm.core.demo.context import DemoContext
from cyclecrm.intelligence.models import RunStatus
from cyclecrm.intelligence.services import model_run_train_now
from cyclecrm.intelligence.tasks import NIGHTLY_ORDER
from cyclecrm.intelligence.trainers import trainer_for


def build_intelligence(context: DemoContext) -> None:
    trained = 0
    for kind in NIGHTLY_ORDER:
        if trainer_for(kind) is None:
            context.log(f"  {kind.label}: no trainer installed, skipped")
            continue
        run = model_run_train_now(kind=kind)
        if run.status == RunStatus.REFUSED:
            context.log(f"  {kind.label}: refused: {run.message}")
            continue
        trained += 1
        context.log(
            f"  {kind.label}: trained on {run.trained_on}, evaluated on {run.evaluated_on}, "
            f"scored {run.scored}"
        )
    context.counts["trained models"] = trained
