"""`cyclecrm demo`, after the sale: scored leads, onboarding checklists of won opportunities,
and a summary line counting every kind of record built."""

import io

import pytest
from django.core.management import call_command

from cyclecrm.activities.models import Task, TaskStatus
from cyclecrm.catalog.models import Order, Quote
from cyclecrm.identity.management.commands.demo import done_summary
from cyclecrm.leads.models import Lead, LeadGrade, ScoringRule
from cyclecrm.leads.services.scoring import grade_for, lead_score
from cyclecrm.pipeline.models import Onboarding, Opportunity, StageKind
from cyclecrm.pipeline.services import onboarding_progress

pytestmark = pytest.mark.django_db

SMALL = ["--contacts", "200", "--accounts", "10"]


def demo(*args: str) -> str:
    """The build's log (stderr), where the summary line is."""
    stderr = io.StringIO()
    call_command("demo", *args, stdout=io.StringIO(), stderr=stderr)
    return stderr.getvalue()


def test_demo_leads_carry_the_score_the_rules_give():
    demo(*SMALL)

    rules = list(ScoringRule.objects.filter(is_active=True).order_by("category", "id"))
    grades = list(LeadGrade.objects.all())
    assert rules and grades
    leads = list(Lead.objects.all())
    assert leads
    for lead in leads:
        score, breakdown = lead_score(lead, rules)
        assert (lead.score, lead.score_breakdown) == (score, breakdown)
        band = grade_for(score, grades)
        assert lead.grade == band.letter
        assert (lead.mql_at is not None) == band.marks_mql
        assert lead.score_updated_at is not None
        if lead.mql_at:
            assert lead.created_at <= lead.mql_at
    assert len({lead.score for lead in leads}) > 3


def test_demo_keeps_existing_scoring_rules():
    ScoringRule.objects.create(
        name="Only mine", category="fit", field="country", operator="is_set", value=None, points=7
    )
    demo(*SMALL)

    assert list(ScoringRule.objects.values_list("name", flat=True)) == ["Only mine"]
    assert set(Lead.objects.values_list("score", flat=True)) <= {0, 7}


def test_won_demo_opportunities_have_their_onboarding():
    demo(*SMALL)

    won = Opportunity.objects.filter(stage__kind=StageKind.WON, account__isnull=False)
    assert won.exists()
    assert set(Onboarding.objects.values_list("opportunity_id", flat=True)) == set(
        won.values_list("pk", flat=True)
    )
    for onboarding in Onboarding.objects.select_related("opportunity", "template"):
        assert onboarding.account_id == onboarding.opportunity.account_id
        steps = list(onboarding.steps.all())
        assert len(steps) == onboarding.template.steps.count()
        for step in steps:
            assert step.opportunity_id == onboarding.opportunity_id
            assert step.account_id == onboarding.account_id
            assert (step.status == TaskStatus.DONE) == (step.completed_at is not None)
        progress = onboarding_progress(onboarding)
        assert (onboarding.completed_at is not None) == progress.complete


def test_the_summary_counts_every_kind_built():
    log = demo(*SMALL)

    summary = next(line for line in log.splitlines() if line.startswith("Done in"))
    for count, kind in (
        (Lead.objects.count(), "leads"),
        (Opportunity.objects.count(), "opportunities"),
        (Quote.objects.count(), "quotes"),
        (Order.objects.count(), "orders"),
        (Onboarding.objects.count(), "onboardings"),
        (Task.objects.filter(onboarding__isnull=True).count(), "tasks"),
        (Task.objects.filter(onboarding__isnull=False).count(), "onboarding steps"),
    ):
        assert f" {count} {kind}," in summary or summary.endswith(f" {count} {kind}.")


def test_done_summary_leaves_out_empty_kinds():
    assert done_summary({"users": 10, "quotes": 0, "orders": 3}) == "10 users, 3 orders"
    assert done_summary({}) == "nothing"
