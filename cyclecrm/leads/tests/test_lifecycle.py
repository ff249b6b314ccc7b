"""Lead creation, updates and the status lifecycle: allowed and refused transitions, reasons,
the status timeline, versions, visibility, and converted leads being read-only."""

import itertools

import pytest
from django.utils import timezone

from cyclecrm.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, VersionConflict
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_account
from cyclecrm.leads.models import Lead, LeadStatus, LeadStatusChange
from cyclecrm.leads.services import (
    TRANSITIONS,
    lead_change_status,
    lead_create,
    lead_delete,
    lead_update,
)
from cyclecrm.leads.tests.factories import make_lead

ALLOWED = {
    ("open", "contacted"),
    ("open", "qualified"),
    ("open", "unqualified"),
    ("contacted", "qualified"),
    ("contacted", "unqualified"),
    ("qualified", "contacted"),
    ("qualified", "unqualified"),
    ("unqualified", "open"),
}
PAIRS = list(itertools.product(LeadStatus.values, repeat=2))


def test_the_transition_table_is_the_documented_one():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


def test_create_normalizes_and_records_the_first_status(rep_a):
    # when
    lead = lead_create(
        actor=rep_a,
        data={"first_name": " Ada ", "email": "ADA@Example.COM", "country": "Germany"},
    )

    # then
    lead.refresh_from_db()
    assert (lead.first_name, lead.email, lead.country) == ("Ada", "ada@example.com", "DE")
    assert lead.owner == rep_a
    assert list(lead.status_changes.values_list("from_status", "to_status")) == [("", "open")]
    assert HistoryEntry.objects.filter(record_type="lead", object_id=lead.pk).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not an address", "last_name": "X"}, "email"),
        ({"title": "Nobody"}, "last_name"),
        ({"last_name": "X", "status": "qualified"}, "status"),
        ({"last_name": "X", "budget": 1.5}, "budget"),
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(rep_a, data, field):
    with pytest.raises(ValidationFailed) as caught:
        lead_create(actor=rep_a, data=data)

    assert field in caught.value.fields
    assert not Lead.objects.exists()
    assert not LeadStatusChange.objects.exists()


@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_status_transitions(rep_a, before, after):
    lead = make_lead(owner=rep_a, status=before)
    reason = "No budget" if after == "unqualified" else ""

    if (before, after) in ALLOWED:
        lead_change_status(actor=rep_a, lead=lead, status=after, reason=reason, version=1)
        lead.refresh_from_db()
        assert lead.status == after
        assert lead.version == 2
        change = LeadStatusChange.objects.get(lead=lead)
        assert (change.from_status, change.to_status, change.actor) == (before, after, rep_a)
        entry = HistoryEntry.objects.get(record_type="lead", object_id=lead.pk)
        assert entry.changes["status"] == [before, after]
    else:
        with pytest.raises(ValidationFailed) as caught:
            lead_change_status(actor=rep_a, lead=lead, status=after, reason=reason, version=1)
        message = caught.value.fields["status"][0]
        for target in TRANSITIONS[before]:
            assert target in message
        lead.refresh_from_db()
        assert lead.status == before
        assert not LeadStatusChange.objects.exists()


def test_unqualified_needs_a_reason_and_keeps_it(rep_a):
    lead = make_lead(owner=rep_a)

    with pytest.raises(ValidationFailed) as caught:
        lead_change_status(actor=rep_a, lead=lead, status="unqualified", reason=" ", version=1)
    assert "reason" in caught.value.fields

    lead_change_status(actor=rep_a, lead=lead, status="unqualified", reason="Student", version=1)
    lead.refresh_from_db()
    assert lead.unqualified_reason == "Student"
    assert lead.status_changes.get().reason == "Student"

    lead_change_status(actor=rep_a, lead=lead, status="open", version=2)
    lead.refresh_from_db()
    assert (lead.status, lead.unqualified_reason) == ("open", "")
    assert lead.status_changes.count() == 2


def test_status_change_with_a_stale_version_is_a_conflict(rep_a):
    lead = make_lead(owner=rep_a)
    Lead.objects.filter(pk=lead.pk).update(version=3)

    with pytest.raises(VersionConflict):
        lead_change_status(actor=rep_a, lead=lead, status="contacted", version=1)

    assert not LeadStatusChange.objects.exists()


def test_a_rep_cannot_change_another_reps_lead(rep_a, rep_b, marketer):
    lead = make_lead(owner=rep_a)

    with pytest.raises(NotFound):
        lead_change_status(actor=rep_b, lead=lead, status="contacted", version=1)
    with pytest.raises(Forbidden):  # reads every lead, edits only their own
        lead_change_status(actor=marketer, lead=lead, status="contacted", version=1)

    lead.refresh_from_db()
    assert lead.status == "open"


def test_update_keeps_at_least_one_identifying_field(rep_a):
    lead = make_lead(owner=rep_a, first_name="", company="", email="", last_name="Only")

    with pytest.raises(ValidationFailed) as caught:
        lead_update(actor=rep_a, lead=lead, data={"last_name": ""}, version=1)

    assert "last_name" in caught.value.fields
    lead.refresh_from_db()
    assert lead.last_name == "Only"


@pytest.fixture
def converted(rep_a):
    account = make_account(owner=rep_a)
    return make_lead(
        owner=rep_a,
        status="qualified",
        converted_at=timezone.now(),
        converted_by=rep_a,
        converted_account=account,
    )


def test_a_converted_lead_is_read_only(rep_a, converted):
    calls = [
        lambda: lead_update(actor=rep_a, lead=converted, data={"title": "CEO"}, version=1),
        lambda: lead_delete(actor=rep_a, lead=converted),
        lambda: lead_change_status(actor=rep_a, lead=converted, status="contacted", version=1),
    ]
    for call in calls:
        with pytest.raises(Conflict) as caught:
            call()
        assert caught.value.code == "lead_converted"
        assert caught.value.fields["converted_to"] == [f"account:{converted.converted_account_id}"]
        assert f"account #{converted.converted_account_id}" in caught.value.message

    converted.refresh_from_db()
    assert (converted.title, converted.status, converted.version) == ("", "qualified", 1)


def test_a_converted_lead_stays_invisible_to_others(rep_b, converted):
    with pytest.raises(NotFound):
        lead_update(actor=rep_b, lead=converted, data={"title": "CEO"}, version=1)
