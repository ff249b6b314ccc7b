"""Importing leads: statuses and their rules, the score, re-import by external_id, rights."""

import pytest

from cyclecrm.dataquality.tests.import_targets_support import counts, problem, run_import
from cyclecrm.leads.models import Lead, LeadGrade, LeadStatusChange, ScoringRule

CSV = (
    "Lead ID,First Name,Last Name,Email,Company,Lead Status,Reason,Budget,Currency,Country\n"
    'L-1,Ada,Lovelace,ADA@Example.com,Engines Ltd,Contacted,,"12,500.50",eur,United Kingdom\n'
    "L-2,Alan,Turing,alan@example.com,Bletchley,Unqualified,,,,UK\n"
    "L-3,,,,,,,,,\n"
    "L-4,Grace,Hopper,grace@example,Navy,Open,,,,US\n"
    "L-5,Kurt,Gödel,kurt@example.com,IAS,closed,,,,AT\n"
)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def test_leads_import_with_their_rules(rep_a):
    ScoringRule.objects.create(
        name="Has budget", category="bant", field="budget", operator="is_set", points=30
    )
    LeadGrade.objects.create(letter="B", min_score=20, marks_mql=True)

    job = run_import(rep_a, "lead", CSV)

    assert job.status == "done", job.error
    assert counts(job) == {"created": 1, "updated": 0, "skipped": 0, "rejected": 4}
    ada = Lead.objects.get(external_id="L-1")
    assert (ada.email, ada.status, ada.source) == ("ada@example.com", "contacted", "import")
    assert (str(ada.budget), ada.budget_currency, ada.country) == ("12500.5000", "EUR", "GB")
    assert ada.owner == rep_a and ada.created_by == rep_a
    assert (ada.score, ada.grade) == (30, "B") and ada.mql_at is not None
    assert LeadStatusChange.objects.filter(lead=ada, to_status="contacted").count() == 1
    assert problem(job, 3) == {
        "row": 3,
        "column": "Reason",
        "value": "",
        "reason": "Say why the lead is unqualified.",
    }
    assert problem(job, 4)["reason"] == "Give at least a name, a company or an e-mail address."
    assert problem(job, 5)["column"] == "Email" and problem(job, 5)["value"] == "grace@example"
    assert problem(job, 6)["column"] == "Lead Status" and "closed" in problem(job, 6)["reason"]


def test_reimport_by_external_id_updates_and_moves_status_by_the_rules(rep_a):
    run_import(rep_a, "lead", "Lead ID,Last Name,Email,Lead Status\nL-1,Lovelace,a@x.io,Open\n")
    first = Lead.objects.get(external_id="L-1")

    again = run_import(
        rep_a,
        "lead",
        "Lead ID,Last Name,Email,Lead Status,Title\nL-1,Lovelace,a@x.io,Qualified,Countess\n",
    )
    stale = run_import(rep_a, "lead", "Lead ID,Last Name,Lead Status\nL-1,Lovelace,Open\n")

    assert counts(again) == {"created": 0, "updated": 1, "skipped": 0, "rejected": 0}
    lead = Lead.objects.get()
    assert lead.pk == first.pk and lead.title == "Countess" and lead.status == "qualified"
    assert lead.version == 2
    assert list(
        LeadStatusChange.objects.filter(lead=lead).values_list("from_status", "to_status")
    ) == [("open", "qualified"), ("", "open")]
    # qualified -> open is not a transition a lead may make: the status stays.
    assert stale.status == "done"
    lead.refresh_from_db()
    assert lead.status == "qualified"


def test_email_is_the_natural_duplicate_key(rep_a):
    run_import(rep_a, "lead", "Last Name,Email\nLovelace,ada@example.com\n")

    job = run_import(rep_a, "lead", "Last Name,Email,Company\nLovelace,Ada@Example.com,Engines\n")

    assert counts(job)["updated"] == 1
    assert Lead.objects.get().company == "Engines"


def test_converted_lead_is_left_alone(rep_a):
    run_import(rep_a, "lead", "Lead ID,Last Name\nL-9,Babbage\n")
    Lead.objects.filter(external_id="L-9").update(converted_at="2024-01-01T00:00:00Z")

    job = run_import(rep_a, "lead", "Lead ID,Last Name,Title\nL-9,Babbage,Engineer\n")

    assert counts(job)["skipped"] == 1
    assert Lead.objects.get().title == ""


def test_another_reps_lead_is_not_updated(rep_a, rep_b):
    run_import(rep_b, "lead", "Lead ID,Last Name\nL-7,Hamilton\n")

    job = run_import(rep_a, "lead", "Lead ID,Last Name,Title\nL-7,Hamilton,Director\n")

    assert counts(job) == {"created": 0, "updated": 0, "skipped": 0, "rejected": 1}
    assert "may not edit" in problem(job, 2)["reason"]
    assert Lead.objects.get().title == ""
