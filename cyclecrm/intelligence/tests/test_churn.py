"""The churn model on customers built here with a known signal, its out-of-time check, bands
and the workflow trigger when a customer enters the high band."""

import datetime as dt
import random
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone
from sklearn.metrics import roc_auc_score

from cyclecrm.automation.models import RunOutcome, WorkflowRun
from cyclecrm.automation.services import rules
from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.feedback.models import Survey, SurveyKind, SurveyResponse
from cyclecrm.integrations.tests.conftest import huey_immediate  # noqa: F401 (fixture)
from cyclecrm.intelligence import churn, classifier
from cyclecrm.intelligence.models import CustomerInsight, ModelKind, RunStatus
from cyclecrm.intelligence.services import model_run_train_now

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def _build_customers(count: int, *, seed: int = 5) -> dict[int, list[dt.datetime]]:
    """Customers buying every ~40 days from a start date; half are "leavers" who stop at a
    random moment, and answered NPS low a few weeks before. Returns order dates by contact."""
    rng = random.Random(seed)
    now = timezone.now()
    survey = Survey.objects.create(
        name="NPS", kind=SurveyKind.NPS, question="Recommend us?", email_subject="Quick question"
    )
    contacts = Contact.objects.bulk_create(
        Contact(last_name=f"Customer {index}") for index in range(count)
    )
    orders, answers, dates = [], [], {}
    for contact in contacts:
        start = now - rng.uniform(500, 1000) * DAY
        leaver = rng.random() < 0.5
        stop = start + rng.uniform(60, (now - start).days) * DAY if leaver else now
        moment, bought = start, []
        while moment < stop:
            bought.append(moment)
            moment += rng.expovariate(1 / 40) * DAY + DAY
        dates[contact.pk] = bought
        for at in bought:
            orders.append(
                Order(
                    number=f"O-{len(orders)}",
                    contact=contact,
                    ordered_at=at,
                    status=OrderStatus.PAID,
                    currency="EUR",
                    total=Decimal(rng.randrange(50, 500)),
                )
            )
        answered = (stop - 30 * DAY) if leaver else (now - rng.uniform(0, 400) * DAY)
        answers.append(
            SurveyResponse(
                survey=survey,
                contact=contact,
                score=rng.randint(0, 6) if leaver else rng.randint(6, 10),
                category="x",
                answered_at=max(answered, start),
            )
        )
    Order.objects.bulk_create(orders)
    SurveyResponse.objects.bulk_create(answers)
    return dates


def _labels(dates: dict[int, list[dt.datetime]], at: dt.datetime, window: dt.timedelta) -> dict:
    """Active at `at` (bought within the window before) → churned (nothing in the next window)."""
    labels = {}
    for contact_id, bought in dates.items():
        if any(at - window <= moment <= at for moment in bought):
            labels[contact_id] = int(not any(at < moment <= at + window for moment in bought))
    return labels


def test_out_of_time_auc_and_bands():
    dates = _build_customers(500)
    run = model_run_train_now(kind=ModelKind.CHURN)
    assert run.status == RunStatus.SUCCEEDED, run.message
    window = dt.timedelta(days=180)
    s1, s2 = (dt.datetime.fromisoformat(value) for value in run.metrics["snapshots"])
    assert s2 - s1 == window

    # Labels computed here from the order dates, independently of the trainer's SQL.
    older, newer = _labels(dates, s1, window), _labels(dates, s2, window)
    assert run.metrics["train"]["positive"] == sum(older.values())
    assert run.metrics["test"] == {
        "positive": sum(newer.values()),
        "negative": len(newer) - sum(newer.values()),
    }
    train_frame = churn.snapshot(s1, window, explicit=False).set_index("id")
    test_frame = churn.snapshot(s2, window, explicit=True).set_index("id")
    y_train = np.array([older[pk] for pk in train_frame.index])
    y_test = np.array([newer[pk] for pk in test_frame.index])
    model = classifier.fit(train_frame, y_train, churn.FEATURES)
    expected = roc_auc_score(y_test, classifier.predict(model, test_frame))
    assert run.metrics["roc_auc"] == pytest.approx(expected, abs=1e-4)
    assert run.metrics["roc_auc"] > 0.75

    # Every customer is scored, with a band matching the thresholds, and factors in words.
    insights = list(CustomerInsight.objects.all())
    assert len(insights) == len(dates) == run.scored
    for insight in insights:
        assert insight.churn_band == churn.band(insight.churn_probability, churn.DEFAULT_OPTIONS)
    assert sum(run.metrics["bands"].values()) == len(insights)
    labels = {factor["label"] for insight in insights for factor in insight.churn_factors}
    assert "Days since the last order" in labels and "Last NPS answer" in labels


def test_refuses_with_too_few_customers():
    _build_customers(30)
    run = model_run_train_now(kind=ModelKind.CHURN)
    assert run.status == RunStatus.REFUSED
    assert "at least 30 of each class are needed" in run.message
    assert "labelled by their purchases in the 180 days after" in run.message
    assert not CustomerInsight.objects.exists()


def test_bands_reject_inconsistent_thresholds():
    run = model_run_train_now(
        kind=ModelKind.CHURN, options={"high_threshold": 0.2, "medium_threshold": 0.5}
    )
    assert run.status == RunStatus.REFUSED and "medium threshold" in run.message


@pytest.mark.usefixtures("huey_immediate")
def test_entering_the_high_band_runs_workflow_rules_once(admin, django_capture_on_commit_callbacks):
    _build_customers(400)
    rule = rules.workflow_create(
        actor=admin,
        data={
            "name": "Call customers at risk",
            "record_type": "contact",
            "trigger": "churn_risk_high",
            "actions": [{"type": "add_tag", "params": {"tag": "at-risk"}}],
        },
    )
    assert rule.event == churn.EVENT_HIGH_RISK

    # The first run sets the baseline: no events.
    with django_capture_on_commit_callbacks(execute=True):
        model_run_train_now(kind=ModelKind.CHURN)
    assert not WorkflowRun.objects.exists()
    before = dict(CustomerInsight.objects.values_list("contact_id", "churn_band"))

    # Lower thresholds move more customers into the high band: each of them triggers once.
    lower = {"high_threshold": 0.2, "medium_threshold": 0.1}
    with django_capture_on_commit_callbacks(execute=True):
        run = model_run_train_now(kind=ModelKind.CHURN, options=lower)
    entered = {
        contact_id
        for contact_id, band in CustomerInsight.objects.values_list("contact_id", "churn_band")
        if band == "high" and before[contact_id] != "high"
    }
    assert entered and run.metrics["entered_high"] == len(entered)
    runs = list(WorkflowRun.objects.filter(rule=rule))
    assert {workflow_run.object_id for workflow_run in runs} == entered
    sample = runs[0]
    assert sample.outcome == RunOutcome.SUCCESS and sample.event == "contact.churn_risk_high"
    assert sample.event_data["previous_band"] in ("low", "medium")
    assert sample.event_data["probability"] >= 0.2 and sample.event_data["factors"]
    tagged = set(Contact.objects.filter(tags__name="at-risk").values_list("id", flat=True))
    assert tagged == entered

    # Retraining with the same bands emits nothing new: only transitions are announced.
    with django_capture_on_commit_callbacks(execute=True):
        model_run_train_now(kind=ModelKind.CHURN, options=lower)
    assert WorkflowRun.objects.count() == len(runs)


def test_churn_trigger_is_for_contacts_only(admin):
    with pytest.raises(ValidationFailed) as error:
        rules.workflow_create(
            actor=admin,
            data={
                "name": "Wrong",
                "record_type": "lead",
                "trigger": "churn_risk_high",
                "actions": [{"type": "add_tag", "params": {"tag": "x"}}],
            },
        )
    assert error.value.fields == {
        "trigger": ["Churn risk is scored for contacts: use record type contact."]
    }


def test_explicit_churn_labels_the_latest_window_only():
    dates = _build_customers(60)
    window, now = dt.timedelta(days=180), timezone.now()
    at = now - window
    labels, earlier = _labels(dates, at, window), _labels(dates, at - window, window)
    # A customer active at both snapshots, who kept buying, is marked Churned today.
    stayed = next(pk for pk, churned in labels.items() if not churned and pk in earlier)
    Contact.objects.filter(pk=stayed).update(lifecycle_stage="churned")

    latest = churn.snapshot(at, window, explicit=True).set_index("id")
    assert latest.loc[stayed, "churned"] == 1
    others = latest.drop(index=stayed)
    assert others["churned"].to_dict() == {pk: labels[pk] for pk in others.index}
    older = churn.snapshot(now - 2 * window, window, explicit=False)
    assert stayed not in set(older["id"])
