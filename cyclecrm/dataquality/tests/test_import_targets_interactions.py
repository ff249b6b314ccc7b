"""Importing interactions: channel rules, the body sanitized, the contact by external id or
e-mail among visible contacts, the account from the contact, re-import by external id."""

import datetime as dt

import pytest

from cyclecrm.activities.models import Interaction
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.dataquality.tests.import_targets_support import counts, problem, run_import

HEADER = "Activity ID,Type,Date,Subject,Notes,Contact ID,Email,Duration,Location\n"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def test_interactions_import_with_their_rules(rep_a, rep_b):
    acme = make_account(owner=rep_a, name="Acme")
    ann = make_contact(owner=rep_a, last_name="Ann", email="ann@acme.example", account=acme)
    make_contact(owner=rep_a, last_name="Bo", external_id="C-2")
    make_contact(owner=rep_b, last_name="Hidden", email="hidden@example.com")
    csv = HEADER + (
        "A1,Call,2024-05-01T10:00:00+00:00,Intro,<p>Hi<script>alert(1)</script></p>,,"
        "ANN@acme.example,300,\n"
        'A2,Meeting,2024-05-02 09:00,Demo,"Line one\nLine two",C-2,,,Room 4\n'
        "A3,Note,2024-05-03,Private,,,hidden@example.com,,\n"
        "A4,Note,2024-05-03,Loose,,,,,\n"
        "A5,Email,2024-05-03,Long call,,C-2,,60,\n"
        "A6,Fax,2024-05-03,Old,,C-2,,,\n"
    )

    job = run_import(rep_a, "interaction", csv)

    assert job.status == "done", job.error
    assert counts(job) == {"created": 2, "updated": 0, "skipped": 0, "rejected": 4}
    call = Interaction.objects.get(external_id="A1")
    assert (call.channel, call.contact, call.account, call.duration_seconds) == (
        "call",
        ann,
        acme,
        300,
    )
    assert "script" not in call.body and "Hi" in call.body
    assert call.occurred_at == dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)
    meeting = Interaction.objects.get(external_id="A2")
    assert meeting.body == "<p>Line one<br>Line two</p>" and meeting.location == "Room 4"
    assert meeting.starts_at == meeting.occurred_at
    ann.refresh_from_db()
    assert ann.last_interaction_at == call.occurred_at
    assert problem(job, 4) == {
        "row": 4,
        "column": "Email",
        "value": "hidden@example.com",
        "reason": "No contact you may see has this e-mail address.",
    }
    assert problem(job, 5)["column"] == "" and "Link the interaction" in problem(job, 5)["reason"]
    assert problem(job, 6)["column"] == "Duration"
    assert problem(job, 7)["column"] == "Type"


def test_reimport_by_external_id_updates(rep_a):
    make_contact(owner=rep_a, last_name="Bo", external_id="C-2")
    run_import(rep_a, "interaction", HEADER + "A1,Note,2024-05-03,First,,C-2,,,\n")

    job = run_import(rep_a, "interaction", HEADER + "A1,Note,2024-05-03,Second,,C-2,,,\n")

    assert counts(job) == {"created": 0, "updated": 1, "skipped": 0, "rejected": 0}
    assert Interaction.objects.get().subject == "Second"
