import pytest

from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.intelligence import trainers
from cyclecrm.intelligence.models import ModelRun, RunStatus
from cyclecrm.intelligence.services import model_run_execute, model_run_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_trainer(monkeypatch):
    calls = []

    def train(run, progress):
        calls.append(run.pk)
        if run.options.get("refuse"):
            raise trainers.NotEnoughData("Need 30 converted leads; there are 4.")
        progress(50, "half way", force=True)
        run.trained_on = 10
        run.metrics = {"roc_auc": 0.75}

    monkeypatch.setitem(trainers._trainers, "rfm", train)
    return calls


def test_run_succeeds_and_records_figures(fake_trainer):
    run = ModelRun.objects.create(kind="rfm")
    model_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert (run.trained_on, run.metrics, run.progress) == (10, {"roc_auc": 0.75}, 100)
    assert run.started_at <= run.finished_at


def test_refusal_keeps_the_reason(fake_trainer):
    run = ModelRun.objects.create(kind="rfm", options={"refuse": True})
    model_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.REFUSED
    assert "30 converted leads" in run.message


def test_start_reuses_a_pending_run_and_checks_rights(fake_trainer, manager, rep_a):
    with pytest.raises(Forbidden):
        model_run_start(actor=rep_a, kind="rfm")
    with pytest.raises(ValidationFailed):
        model_run_start(actor=manager, kind="nonsense")
    first = ModelRun.objects.create(kind="rfm")
    assert model_run_start(actor=manager, kind="rfm").pk == first.pk
