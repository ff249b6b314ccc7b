import pytest
from django.utils import timezone
from faker import Faker

from cyclecrm.core.demo.context import DemoContext, DemoOptions
from cyclecrm.core.demo.intelligence import build_intelligence
from cyclecrm.intelligence import trainers
from cyclecrm.intelligence.models import ModelKind, ModelRun, RunStatus

pytestmark = pytest.mark.django_db


def _context(lines: list[str]) -> DemoContext:
    return DemoContext(options=DemoOptions(), now=timezone.now(), log=lines.append, faker=Faker())


@pytest.fixture
def only_fake_trainers(monkeypatch):
    """Replace the registry with fakes: RFM trains, churn refuses, nothing else installed."""

    def rfm(run, progress):
        run.trained_on, run.scored = 12, 12

    def churn(run, progress):
        raise trainers.NotEnoughData("Needs 50 customers with orders; there are 3.")

    monkeypatch.setattr(trainers, "_trainers", {ModelKind.RFM: rfm, ModelKind.CHURN: churn})


def test_demo_trains_installed_models_and_logs_refusals(only_fake_trainers):
    lines: list[str] = []
    context = _context(lines)
    build_intelligence(context)
    runs = {run.kind: run.status for run in ModelRun.objects.all()}
    assert runs == {ModelKind.RFM: RunStatus.SUCCEEDED, ModelKind.CHURN: RunStatus.REFUSED}
    assert context.counts["trained models"] == 1
    assert any("Needs 50 customers" in line for line in lines)
    assert any("Lead conversion: no trainer installed" in line for line in lines)


def test_a_failing_trainer_fails_the_demo(only_fake_trainers, monkeypatch):
    def broken(run, progress):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(trainers._trainers, ModelKind.CLV, broken)
    with pytest.raises(ZeroDivisionError):
        build_intelligence(_context([]))
    assert ModelRun.objects.get(kind=ModelKind.CLV).status == RunStatus.FAILED
