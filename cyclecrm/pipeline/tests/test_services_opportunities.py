"""Opportunity writes: defaults, moves and their stage history, lost reasons, versions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cyclecrm.core.errors import NotFound, ValidationFailed, VersionConflict
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_account
from cyclecrm.pipeline import services
from cyclecrm.pipeline.models import DEFAULT_CLOSE_DAYS, StageChange
from cyclecrm.pipeline.tests.factories import make_opportunity, stage


def test_create_defaults_from_the_default_pipeline_and_its_first_open_stage(pipeline, rep_a):
    # when
    opportunity = services.opportunity_create(
        actor=rep_a, data={"name": "  Big deal ", "amount": "1200.505"}
    )
    # then
    assert opportunity.pipeline == pipeline
    assert opportunity.stage.name == "Prospecting"
    assert opportunity.probability == Decimal("10")
    assert opportunity.currency == "USD"
    assert opportunity.amount == Decimal("1200.51")
    assert opportunity.name == "Big deal"
    today = timezone.localdate()
    assert opportunity.expected_close_date == today + dt.timedelta(days=DEFAULT_CLOSE_DAYS)
    assert opportunity.owner == rep_a
    change = StageChange.objects.get(opportunity=opportunity)
    assert (change.from_stage, change.to_stage, change.actor) == (None, opportunity.stage, rep_a)


def test_create_refuses_floats_unknown_fields_and_foreign_stages(pipeline, rep_a):
    other = services.pipeline_create(actor=_superuser(), data={"name": "Other"})
    with pytest.raises(ValidationFailed) as caught:
        services.opportunity_create(
            actor=rep_a,
            data={
                "name": "x",
                "amount": 1.5,
                "colour": "red",
                "currency": "euro",
                "stage_id": other.stages.first().pk,
                "probability": "101",
            },
        )
    assert set(caught.value.fields) == {"amount", "colour", "currency", "stage_id", "probability"}


def test_move_records_the_change_and_follows_the_stage(pipeline, rep_a):
    # given
    opportunity = services.opportunity_create(actor=rep_a, data={"name": "Deal"})
    proposal = stage(pipeline, "Proposal")
    # when
    moved = services.opportunity_move(
        actor=rep_a, opportunity=opportunity, stage_id=proposal.pk, version=opportunity.version
    )
    # then
    assert moved.stage == proposal and moved.probability == Decimal("50")
    assert moved.version == 2 and moved.closed_at is None
    last = StageChange.objects.filter(opportunity=moved).order_by("at", "id").last()
    assert (last.from_stage.name, last.to_stage.name, last.actor) == (
        "Prospecting",
        "Proposal",
        rep_a,
    )
    assert last.at == moved.stage_changed_at
    entry = HistoryEntry.objects.filter(record_type="opportunity", object_id=moved.pk).first()
    assert entry.changes["stage_id"] == [stage(pipeline, "Prospecting").pk, proposal.pk]


def test_lost_needs_a_reason_and_reopening_clears_closed_at(pipeline, rep_a):
    opportunity = services.opportunity_create(actor=rep_a, data={"name": "Deal"})
    lost = stage(pipeline, "Closed lost")
    with pytest.raises(ValidationFailed) as caught:
        services.opportunity_move(
            actor=rep_a, opportunity=opportunity, stage_id=lost.pk, version=1, lost_reason="  "
        )
    assert caught.value.fields == {"lost_reason": [services.LOST_REASON_REQUIRED]}
    assert StageChange.objects.filter(opportunity=opportunity).count() == 1
    # with a reason
    moved = services.opportunity_move(
        actor=rep_a, opportunity=opportunity, stage_id=lost.pk, version=1, lost_reason="Price"
    )
    assert moved.closed_at is not None and moved.lost_reason == "Price"
    assert moved.probability == Decimal("0")
    # reopened
    reopened = services.opportunity_move(
        actor=rep_a,
        opportunity=moved,
        stage_id=stage(pipeline, "Negotiation").pk,
        version=moved.version,
    )
    assert reopened.closed_at is None and reopened.lost_reason == ""


def test_a_stale_version_is_a_conflict_and_records_nothing(pipeline, rep_a):
    opportunity = services.opportunity_create(actor=rep_a, data={"name": "Deal"})
    services.opportunity_update(
        actor=rep_a, opportunity=opportunity, data={"name": "Renamed"}, version=1
    )
    stale = type(opportunity).objects.get(pk=opportunity.pk)
    stale.version = 1  # what a second browser tab still shows
    with pytest.raises(VersionConflict):
        services.opportunity_move(
            actor=rep_a, opportunity=stale, stage_id=stage(pipeline, "Proposal").pk, version=1
        )
    opportunity.refresh_from_db()
    assert opportunity.stage.name == "Prospecting" and opportunity.version == 2
    assert StageChange.objects.filter(opportunity=opportunity).count() == 1


def test_a_rep_cannot_move_another_reps_opportunity(pipeline, rep_a, rep_b):
    theirs = make_opportunity(rep_b, pipeline=pipeline)
    with pytest.raises(NotFound):
        services.opportunity_move(
            actor=rep_a, opportunity=theirs, stage_id=stage(pipeline, "Proposal").pk, version=1
        )
    assert StageChange.objects.filter(opportunity=theirs).count() == 1


def test_update_naming_another_pipeline_moves_to_its_first_open_stage(pipeline, admin):
    other = services.pipeline_create(actor=admin, data={"name": "Renewals"})
    opportunity = services.opportunity_create(actor=admin, data={"name": "Deal"})
    updated = services.opportunity_update(
        actor=admin, opportunity=opportunity, data={"pipeline_id": other.pk}, version=1
    )
    assert updated.pipeline == other and updated.stage.name == "Prospecting"
    assert updated.stage.pipeline_id == other.pk
    assert StageChange.objects.filter(opportunity=updated).count() == 2


def test_the_close_date_cannot_be_cleared(pipeline, rep_a):
    opportunity = services.opportunity_create(actor=rep_a, data={"name": "Deal"})
    with pytest.raises(ValidationFailed) as caught:
        services.opportunity_update(
            actor=rep_a, opportunity=opportunity, data={"expected_close_date": None}, version=1
        )
    assert "expected_close_date" in caught.value.fields


def test_lead_conversion_signature_still_works(pipeline, rep_a):
    account = make_account(owner=rep_a)
    opportunity = services.opportunity_create(
        actor=rep_a,
        data={
            "name": "From lead",
            "account_id": account.pk,
            "contact_id": None,
            "amount": Decimal("500.00"),
            "source_campaign": "Spring",
        },
    )
    assert opportunity.account == account and opportunity.source_campaign == "Spring"


def _superuser():
    from cyclecrm.identity.system import system_actor

    return system_actor()
