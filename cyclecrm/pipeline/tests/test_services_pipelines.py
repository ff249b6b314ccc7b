"""Pipeline configuration: stages in use, merging, ordering, the default, rights."""

import pytest

from cyclecrm.core.errors import Conflict, Duplicate, Forbidden, ValidationFailed
from cyclecrm.core.models import HistoryEntry
from cyclecrm.pipeline import services
from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage, StageChange
from cyclecrm.pipeline.tests.factories import make_opportunity, stage


def _names(pipeline):
    return list(
        Stage.objects.filter(pipeline=pipeline).order_by("position").values_list("name", flat=True)
    )


def test_a_stage_with_opportunities_cannot_be_deleted(pipeline, admin, rep_a):
    make_opportunity(rep_a, pipeline=pipeline, stage_name="Proposal")
    with pytest.raises(Conflict) as caught:
        services.stage_delete(actor=admin, stage=stage(pipeline, "Proposal"))
    assert caught.value.status == 409 and caught.value.code == "stage_in_use"
    proposal = stage(pipeline, "Proposal")
    services.stage_update(
        actor=admin, stage=proposal, data={"name": "Offer"}, version=proposal.version
    )
    assert "Offer" in _names(pipeline)


def test_merging_moves_opportunities_and_history(pipeline, admin, rep_a):
    deal = make_opportunity(rep_a, pipeline=pipeline, stage_name="Qualification")
    into = services.stage_merge(
        actor=admin,
        stage=stage(pipeline, "Qualification"),
        into_id=stage(pipeline, "Prospecting").pk,
    )
    deal.refresh_from_db()
    assert deal.stage == into and deal.version == 2
    assert StageChange.objects.get(opportunity=deal).to_stage == into
    assert "Qualification" not in _names(pipeline)
    assert HistoryEntry.objects.filter(record_type="opportunity", object_id=deal.pk).exists()
    with pytest.raises(ValidationFailed):
        services.stage_merge(
            actor=admin, stage=stage(pipeline, "Proposal"), into_id=stage(pipeline, "Closed won").pk
        )


def test_new_open_stages_go_before_the_closed_ones_and_can_be_reordered(pipeline, admin):
    services.stage_create(
        actor=admin, pipeline=pipeline, data={"name": "Demo", "probability": "30"}
    )
    assert _names(pipeline)[-3:] == ["Demo", "Closed won", "Closed lost"]
    ids = list(
        Stage.objects.filter(pipeline=pipeline).order_by("-position").values_list("pk", flat=True)
    )
    services.stage_reorder(actor=admin, pipeline=pipeline, stage_ids=ids, version=pipeline.version)
    assert _names(pipeline)[0] == "Closed lost"
    services.stage_shift(
        actor=admin, stage=stage(pipeline, "Closed lost"), offset=1, version=pipeline.version
    )
    assert _names(pipeline)[:2] == ["Closed won", "Closed lost"]
    with pytest.raises(ValidationFailed):
        services.stage_reorder(
            actor=admin, pipeline=pipeline, stage_ids=ids[:2], version=pipeline.version
        )


def test_the_last_open_stage_stays_open(admin):
    lean = services.pipeline_create(
        actor=admin,
        data={
            "name": "Lean",
            "stages": [
                {"name": "Talk", "probability": 20},
                {"name": "Won", "probability": 100, "kind": "won"},
            ],
        },
    )
    with pytest.raises(ValidationFailed):
        services.stage_delete(actor=admin, stage=stage(lean, "Talk"))
    with pytest.raises(ValidationFailed):
        talk = stage(lean, "Talk")
        services.stage_update(actor=admin, stage=talk, data={"kind": "lost"}, version=talk.version)


def test_one_default_pipeline_and_deleting_in_use(pipeline, admin, rep_a):
    other = services.pipeline_create(actor=admin, data={"name": "Partners", "is_default": True})
    assert list(Pipeline.objects.filter(is_default=True)) == [other]
    with pytest.raises(Duplicate):
        services.pipeline_create(actor=admin, data={"name": "Partners"})
    make_opportunity(rep_a, pipeline=other)
    with pytest.raises(Conflict):
        services.pipeline_delete(actor=admin, pipeline=other)
    Opportunity.objects.filter(pipeline=other).delete()
    services.pipeline_delete(actor=admin, pipeline=other)
    assert Pipeline.objects.get(pk=pipeline.pk).is_default


def test_only_administrators_configure(pipeline, manager, rep_a):
    for actor in (manager, rep_a):
        with pytest.raises(Forbidden):
            services.stage_update(
                actor=actor, stage=stage(pipeline, "Proposal"), data={"name": "x"}, version=1
            )
        with pytest.raises(Forbidden):
            services.exchange_rate_create(
                actor=actor, data={"currency": "EUR", "valid_from": "2026-01-01", "rate": "1.1"}
            )


def test_exchange_rates_validate(admin):
    rate = services.exchange_rate_create(
        actor=admin, data={"currency": "eur", "valid_from": "2026-01-01", "rate": "1.0850"}
    )
    assert rate.currency == "EUR"
    with pytest.raises(Duplicate):
        services.exchange_rate_create(
            actor=admin, data={"currency": "EUR", "valid_from": "2026-01-01", "rate": "1.2"}
        )
    with pytest.raises(ValidationFailed) as caught:
        services.exchange_rate_create(
            actor=admin, data={"currency": "USD", "valid_from": "soon", "rate": "-1"}
        )
    assert set(caught.value.fields) == {"currency", "valid_from", "rate"}
