"""The lead-conversion model on CRM leads built here with a known signal."""

import datetime as dt
import io
import random
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone
from sklearn.metrics import roc_auc_score

from cyclecrm.activities.models import Interaction
from cyclecrm.integrations.models import EmailTracking
from cyclecrm.intelligence import classifier, lead_scoring
from cyclecrm.intelligence.models import LeadInsight, ModelKind, ModelRun, RunStatus
from cyclecrm.intelligence.services import model_run_train_now
from cyclecrm.leads.models import Authority, Lead, LeadSource, LeadStatus, NeedLevel

pytestmark = pytest.mark.django_db

SOURCES = [LeadSource.WEB_FORM, LeadSource.REFERRAL, LeadSource.IMPORT, LeadSource.EVENT]


def _build_leads(decided: int, *, open_leads: int = 20, seed: int = 3) -> None:
    """Leads over 500 days whose conversion depends on budget, authority, need and source."""
    rng = random.Random(seed)
    now = timezone.now()
    leads = []
    for index in range(decided + open_leads):
        budget = rng.random() < 0.5
        authority = rng.choice([Authority.DECISION_MAKER, Authority.INFLUENCER, Authority.NONE])
        need = rng.choice([NeedLevel.LOW, NeedLevel.MEDIUM, NeedLevel.HIGH])
        source = rng.choice(SOURCES)
        logit = (
            -1.0
            + 1.6 * budget
            + {"decision_maker": 1.2, "influencer": 0.2, "none": -1.0}[authority]
            + {"low": -0.8, "medium": 0.0, "high": 0.9}[need]
            + {"referral": 1.0, "import": -1.0}.get(source, 0.0)
        )
        created = now - dt.timedelta(days=500 * (index / (decided + open_leads)))
        lead = Lead(
            last_name=f"Lead {index}",
            budget=Decimal(20000) if budget else None,
            authority=authority,
            need_level=need,
            source=source,
            industry=rng.choice(["Software", "Retail"]),
            created_at=created,
            status_changed_at=created + dt.timedelta(days=10),
        )
        if index >= decided:
            lead.status = LeadStatus.CONTACTED
        elif rng.random() < 1 / (1 + np.exp(-logit)):
            lead.status = LeadStatus.QUALIFIED
            lead.converted_at = created + dt.timedelta(days=12)
        else:
            lead.status = LeadStatus.UNQUALIFIED
        leads.append(lead)
    Lead.objects.bulk_create(leads)


def test_model_learns_the_signal_and_reports_held_out_quality():
    _build_leads(400)
    run = model_run_train_now(kind=ModelKind.LEAD_CONVERSION)
    assert run.status == RunStatus.SUCCEEDED, run.message

    # The hold-out is the newest quarter of the decided leads: recompute its AUC here.
    decided = list(Lead.objects.exclude(status=LeadStatus.CONTACTED).order_by("created_at", "id"))
    cut = len(decided) - len(decided) // 4
    frame = lead_scoring.features_frame(
        list(lead_scoring.lead_rows(lead_scoring.decided_leads()).iterator())
    ).sort_values(["created_at", "id"])
    train, test = frame.iloc[:cut], frame.iloc[cut:]
    model = classifier.fit(train, train["label"].to_numpy(), lead_scoring.FEATURES)
    expected = roc_auc_score(test["label"], classifier.predict(model, test))
    assert run.metrics["roc_auc"] == pytest.approx(expected, abs=1e-4)
    assert run.metrics["roc_auc"] > 0.75
    assert run.evaluated_on == len(test) and run.trained_on == len(decided)
    assert sum(row["count"] for row in run.metrics["calibration"]) == len(test)
    assert run.metrics["test"]["positive"] == int(test["label"].sum())

    # Every lead is scored, open ones included, with human-readable factors.
    assert LeadInsight.objects.count() == Lead.objects.count()
    insight = LeadInsight.objects.filter(lead__status=LeadStatus.CONTACTED).first()
    assert 0 < insight.conversion_probability < 1 and insight.model_run_id == run.pk
    labels = {factor["label"] for row in LeadInsight.objects.all() for factor in row.factors}
    assert "Budget confirmed" in labels and "Authority: decision maker" in labels
    assert "Source: referral" in labels
    assert lead_scoring.lead_model_status()["in_charge"] == "model"


def test_refuses_with_too_few_decided_leads_and_rules_stay_in_charge():
    _build_leads(40)
    run = model_run_train_now(kind=ModelKind.LEAD_CONVERSION)
    assert run.status == RunStatus.REFUSED
    assert "at least 30 of each class" in run.message
    assert "rule-based lead score stays in use" in run.message
    assert not LeadInsight.objects.exists()
    status = lead_scoring.lead_model_status()
    assert status == {
        "in_charge": "rules",
        "message": run.message,
        "run_id": run.pk,
        "roc_auc": None,
        "trained_at": None,
    }


def test_rules_in_charge_before_any_run():
    assert lead_scoring.lead_model_status()["message"] == lead_scoring.RULES_IN_CHARGE


# How to change each lead feature of the fixture so its contribution goes to its other side.
def _flip(lead: Lead, feature: str, model: dict, contribution: float) -> None:
    if feature == "budget_given":
        lead.budget = None if lead.budget else Decimal(20000)
        return
    # A categorical one: the category with the opposite-signed (or zero) contribution.
    columns = [c for c in model["columns"] if c.get("feature") == feature]
    by_category = {
        c["category"]: sum(
            o["coef"] * ((o["category"] == c["category"]) - o["mean"]) / o["scale"] for o in columns
        )
        for c in columns
        if c["category"] not in (classifier.OTHER, classifier.NONE)
    }
    pick = min if contribution > 0 else max
    setattr(lead, feature, pick(by_category, key=by_category.get))


def test_changing_the_top_factor_moves_the_probability_its_way():
    _build_leads(400)
    run = model_run_train_now(kind=ModelKind.LEAD_CONVERSION)
    before = {}
    for insight in LeadInsight.objects.select_related("lead").order_by("lead_id")[:60]:
        top = insight.factors[0]
        if top["feature"] not in ("budget_given", "authority", "need_level", "source"):
            continue
        _flip(insight.lead, top["feature"], run.parameters, top["contribution"])
        insight.lead.save()
        before[insight.pk] = (insight.conversion_probability, top)
    lead_scoring.score_leads(run, run.parameters, None)
    after = dict(LeadInsight.objects.values_list("pk", "conversion_probability"))
    for pk, (probability, top) in before.items():
        assert np.sign(probability - after[pk]) == np.sign(top["contribution"]), top
    checked = len(before)
    assert checked >= 10


def test_refused_run_keeps_the_previous_model_in_charge():
    _build_leads(400)
    good = model_run_train_now(kind=ModelKind.LEAD_CONVERSION)
    refused = model_run_train_now(kind=ModelKind.LEAD_CONVERSION, options={"min_per_class": 10**6})
    assert refused.status == RunStatus.REFUSED
    status = lead_scoring.lead_model_status()
    assert (status["in_charge"], status["run_id"]) == ("model", good.pk)
    assert ModelRun.objects.count() == 2


def test_demo_leads_carry_a_learnable_signal():
    call_command("demo", "--contacts", "1000", "--accounts", "100", stdout=io.StringIO())
    decided = lead_scoring.decided_leads()
    assert decided.filter(converted_at__isnull=False).count() >= 30
    assert decided.filter(converted_at__isnull=True).count() >= 30
    run = model_run_train_now(kind=ModelKind.LEAD_CONVERSION)
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert run.metrics["roc_auc"] > 0.65


def test_engagement_counts_only_what_happened_before_the_decision():
    decided = timezone.now() - dt.timedelta(days=10)
    lead = Lead.objects.create(
        last_name="Engaged", status=LeadStatus.QUALIFIED, converted_at=decided
    )
    before = Interaction.objects.create(
        channel="email", lead=lead, occurred_at=decided - dt.timedelta(days=2)
    )
    after = Interaction.objects.create(
        channel="email", lead=lead, occurred_at=decided + dt.timedelta(days=2)
    )
    EmailTracking.objects.create(
        interaction=before,
        first_opened_at=decided - dt.timedelta(days=1),
        first_clicked_at=decided + dt.timedelta(days=1),
    )
    EmailTracking.objects.create(interaction=after, first_opened_at=decided + dt.timedelta(days=3))
    row = lead_scoring.features_frame(list(lead_scoring.lead_rows())).iloc[0]
    assert (row["interactions"], row["emails_opened"], row["emails_clicked"]) == (1, 1, 0)
    assert row["label"] == 1
