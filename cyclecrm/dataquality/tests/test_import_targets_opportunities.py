"""Importing opportunities: pipeline and stage by name, links by external id or name/e-mail
among visible records, money, re-import by external_id moving the stage, rights."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.dataquality.imports.targets import target
from cyclecrm.dataquality.imports.targets.base import CleanRow
from cyclecrm.dataquality.tests.import_targets_support import counts, problem, run_import
from cyclecrm.pipeline.models import Opportunity, StageChange

HEADER = "ID,Name,Stage,Amount,Currency,Close date,Account name,Contact e-mail,Lost reason\n"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def test_opportunities_import_with_lookups_and_rules(rep_a, rep_b):
    acme = make_account(owner=rep_a, name="ACME Corp")
    ann = make_contact(owner=rep_a, last_name="Ann", email="ann@acme.example", account=acme)
    make_account(owner=rep_b, name="Hidden Ltd")
    csv = HEADER + (
        'D1,Big deal,proposal,"1,234.567",jpy,2030-01-31,acme corp,ANN@acme.example,\n'
        "D2,Hidden,,10,,,Hidden Ltd,,\n"
        "D3,Lost one,Closed lost,5,,,,,\n"
        "D4,Odd stage,Dreaming,5,,,,,\n"
        "D5,Bad money,,-3,XYZ,,,,\n"
        "D6,Lost two,Closed lost,5,,,,,Too expensive\n"
    )

    job = run_import(rep_a, "opportunity", csv)

    assert job.status == "done", job.error
    assert counts(job) == {"created": 2, "updated": 0, "skipped": 0, "rejected": 4}
    big = Opportunity.objects.get(external_id="D1")
    assert (big.account, big.contact, big.owner) == (acme, ann, rep_a)
    assert (big.amount, big.currency) == (Decimal("1235"), "JPY")
    assert (big.stage.name, big.probability, big.closed_at) == ("Proposal", Decimal(50), None)
    lost = Opportunity.objects.get(external_id="D6")
    assert lost.stage.kind == "lost" and lost.closed_at is not None
    assert lost.lost_reason == "Too expensive" and lost.probability == 0
    assert problem(job, 3) == {
        "row": 3,
        "column": "Account name",
        "value": "Hidden Ltd",
        "reason": "No account you may see has this name.",
    }
    assert problem(job, 4)["column"] == "Lost reason"
    assert problem(job, 5)["column"] == "Stage" and "Prospecting" in problem(job, 5)["reason"]
    assert {item["column"] for item in job.problems if item["row"] == 6} == {"Currency", "Amount"}


def test_reimport_by_external_id_moves_the_stage(rep_a):
    run_import(rep_a, "opportunity", "ID,Name,Stage\nD1,Deal,Prospecting\n")

    job = run_import(rep_a, "opportunity", "ID,Name,Stage,Amount\nD1,Deal,Closed won,900\n")

    assert counts(job) == {"created": 0, "updated": 1, "skipped": 0, "rejected": 0}
    deal = Opportunity.objects.get()
    assert (deal.stage.name, deal.probability, deal.amount) == ("Closed won", 100, 900)
    assert deal.closed_at is not None and deal.version == 2
    moves = StageChange.objects.filter(opportunity=deal).order_by("id")
    assert [(m.from_stage and m.from_stage.name, m.to_stage.name) for m in moves] == [
        (None, "Prospecting"),
        ("Prospecting", "Closed won"),
    ]


def _rows(count: int) -> list[CleanRow]:
    return [
        CleanRow(
            row + 2,
            {},
            {
                "name": f"Deal {row}",
                "stage": "Proposal",
                "account_external_id": f"A-{row % 3}",
                "account_name": "ACME Corp",
                "contact_email": "ann@acme.example",
            },
        )
        for row in range(count)
    ]


def test_lookups_are_resolved_in_bulk_per_chunk(rep_a, django_assert_num_queries):
    acme = make_account(owner=rep_a, name="ACME Corp", external_id="A-1")
    make_contact(owner=rep_a, last_name="Ann", email="ann@acme.example", account=acme)
    target("opportunity").resolve(_rows(1), actor=rep_a, options={})  # the default pipeline
    small, large = _rows(3), _rows(60)

    with CaptureQueriesContext(connection) as few:
        target("opportunity").resolve(small, actor=rep_a, options={})
    with django_assert_num_queries(len(few.captured_queries)):
        target("opportunity").resolve(large, actor=rep_a, options={})

    assert all(row.ok for row in large)
    assert {row.values["account_id"] for row in large} == {acme.pk}
    assert {row.values["stage_id"] for row in large} == {small[0].values["stage_id"]}
