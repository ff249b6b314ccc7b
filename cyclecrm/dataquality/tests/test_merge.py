"""Merge moves every related row to the survivor; undo restores both records and every row."""

from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps

from cyclecrm.activities.models import Interaction, Task
from cyclecrm.campaigns.models import Campaign, CampaignMember
from cyclecrm.catalog.models import Order
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import Conflict, Forbidden, NotFound
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.records import record_update
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.dataquality.duplicates import relations
from cyclecrm.dataquality.duplicates.merge import merge_undo, record_merge
from cyclecrm.dataquality.models import ConsentRecord
from cyclecrm.feedback.models import Survey, SurveyKind, SurveyResponse
from cyclecrm.identity.models import RecordShare
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.models import LoyaltyProgram, Member
from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage
from cyclecrm.segments.models import Segment, SegmentMember
from cyclecrm.support.models import Case


def _related(contact: Contact, program: LoyaltyProgram, segment: Segment, tag: str) -> None:
    """One row of each related kind pointing at `contact`."""
    pipeline = Pipeline.objects.first() or Pipeline.objects.create(name="Sales")
    stage = Stage.objects.filter(pipeline=pipeline).first() or Stage.objects.create(
        pipeline=pipeline, name="New"
    )
    Opportunity.objects.create(
        name=f"Deal {tag}", pipeline=pipeline, stage=stage, currency="EUR", contact=contact
    )
    Order.objects.create(number=f"SO-{tag}", currency="EUR", contact=contact, total=Decimal(9))
    Task.objects.create(title=f"Call {tag}", contact=contact)
    meeting = Interaction.objects.create(channel="meeting", contact=contact)
    meeting.attendees.add(contact)
    Case.objects.create(number=f"C-{tag}", subject="Broken", contact=contact)
    SegmentMember.objects.create(segment=segment, contact=contact)
    member = Member.objects.create(program=program, contact=contact)
    entry_post(member=member, kind="earn", points=10, reason="Welcome", source_key="welcome")
    campaign = Campaign.objects.create(name=f"Camp {tag}", code=f"camp-{tag}", type="email")
    CampaignMember.objects.create(campaign=campaign, contact=contact)
    ConsentRecord.objects.create(contact=contact, purpose="newsletter", granted=True)
    survey = Survey.objects.first() or Survey.objects.create(
        name="NPS", kind=SurveyKind.NPS, question="Q?", email_subject="S"
    )
    SurveyResponse.objects.create(survey=survey, contact=contact, score=9, category="promoter")
    RecordShare.objects.create(
        record_type="contact", object_id=contact.pk, user=contact.owner, can_edit=False
    )


def _dump() -> dict[str, list[dict[str, Any]]]:
    """Every row of every model that references a contact, plus the contacts and members."""
    labels = {ref.label for ref in relations.references(Contact)} | {
        "contacts.Contact",
        "loyalty.Member",
        "loyalty.PointsEntry",
    }
    dump = {}
    for label in sorted(labels):
        model = apps.get_model(label)
        rows = model._base_manager.order_by("pk")
        dump[label] = [
            {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
            for row in rows
        ]
    return dump


@pytest.fixture
def pair(admin):
    program = LoyaltyProgram.objects.create(name="Club")
    segment = Segment.objects.create(name="VIP", kind="static")
    survivor = make_contact(admin, first_name="Ann", last_name="Lee", email="ann@example.com")
    merged = make_contact(admin, first_name="Anne", last_name="Lee", phone="+4930123456")
    _related(survivor, program, segment, "s")
    _related(merged, program, segment, "m")
    return survivor, merged


def test_merge_moves_every_reference_and_undo_restores_exactly(admin, pair):
    # given
    survivor, merged = pair
    before = _dump()
    # when
    merge = record_merge(
        actor=admin,
        type_key="contact",
        survivor_id=survivor.pk,
        merged_id=merged.pk,
        choices={"first_name": merged.pk, "phone": merged.pk},
    )
    # then
    assert not Contact.objects.filter(pk=merged.pk).exists()
    for ref in relations.references(Contact):
        left = ref.rows(merged.pk)
        if ref.model is HistoryEntry:
            assert list(left.values_list("changes", flat=True)) == [
                {"merged_into": [None, survivor.pk]}
            ]
        else:
            assert not left.exists(), ref
    survivor.refresh_from_db()
    assert (survivor.first_name, survivor.phone) == ("Anne", "+4930123456")
    assert survivor.email == "ann@example.com"
    member = Member.objects.get(contact=survivor)
    assert member.balance == 20 == member.entries.count() * 10
    assert SegmentMember.objects.filter(contact=survivor).count() == 1
    assert Opportunity.objects.filter(contact=survivor).count() == 2
    assert Interaction.objects.filter(attendees=survivor).count() == 2
    # when
    merge_undo(actor=admin, merge=merge)
    # then
    after = _dump()
    survivor_before = before.pop("contacts.Contact")
    survivor_after = after.pop("contacts.Contact")
    history_before = before.pop("core.HistoryEntry")
    history_after = after.pop("core.HistoryEntry")
    assert after == before
    for row_before, row_after in zip(survivor_before, survivor_after, strict=True):
        assert row_after.pop("version") == row_before.pop("version") + (
            2 if row_before["id"] == survivor.pk else 0
        )
        assert row_after == row_before
    kept = {row["id"]: row for row in history_after}
    for row in history_before:
        assert kept[row["id"]] == row


def test_undo_refused_when_survivor_changed(admin, pair):
    survivor, merged = pair
    merge = record_merge(
        actor=admin, type_key="contact", survivor_id=survivor.pk, merged_id=merged.pk
    )
    survivor.refresh_from_db()
    record_update(actor=admin, instance=survivor, data={"title": "CEO"}, version=survivor.version)
    with pytest.raises(Conflict) as caught:
        merge_undo(actor=admin, merge=merge)
    assert caught.value.code == "changed_since_merge"
    assert not Contact.objects.filter(pk=merged.pk).exists()


def test_undo_refused_when_a_moved_row_changed(admin, pair):
    survivor, merged = pair
    merge = record_merge(
        actor=admin, type_key="contact", survivor_id=survivor.pk, merged_id=merged.pk
    )
    Task.objects.filter(contact=survivor).update(contact=None)
    with pytest.raises(Conflict):
        merge_undo(actor=admin, merge=merge)
    assert not Contact.objects.filter(pk=merged.pk).exists()
    with pytest.raises(Conflict):
        merge_undo(actor=admin, merge=merge)


def test_merge_needs_edit_rights_on_both_and_hides_unreadable(rep_a, rep_b, admin):
    mine = make_contact(rep_a, last_name="Lee")
    theirs = make_contact(rep_b, last_name="Lee")
    with pytest.raises((NotFound, Forbidden)):
        record_merge(actor=rep_a, type_key="contact", survivor_id=mine.pk, merged_id=theirs.pk)
    assert Contact.objects.filter(pk=theirs.pk).exists()


def test_account_merge_moves_contacts_and_unlinks_self_parent(admin):
    survivor = make_account(admin, name="Acme")
    merged = make_account(admin, name="ACME Inc")
    survivor.parent = merged
    survivor.save(update_fields=["parent"])
    child = make_account(admin, name="Acme Kids", parent=merged)
    person = make_contact(admin, last_name="Roe", account=merged)
    merge = record_merge(
        actor=admin, type_key="account", survivor_id=survivor.pk, merged_id=merged.pk
    )
    survivor.refresh_from_db()
    assert survivor.parent_id is None
    assert Account.objects.get(pk=child.pk).parent_id == survivor.pk
    assert Contact.objects.get(pk=person.pk).account_id == survivor.pk
    merge_undo(actor=admin, merge=merge)
    assert Account.objects.get(pk=survivor.pk).parent_id == merged.pk
    assert Account.objects.get(pk=child.pk).parent_id == merged.pk
    assert Contact.objects.get(pk=person.pk).account_id == merged.pk


def test_lead_merge_moves_tasks_and_status_changes_and_undo_restores(admin):
    from cyclecrm.leads.models import Lead, LeadStatusChange
    from cyclecrm.leads.tests.factories import make_lead

    survivor = make_lead(admin, last_name="Lee", company="Acme")
    merged = make_lead(admin, last_name="Lee", company="ACME", email="lee@acme.test")
    Task.objects.create(title="Call", lead=merged)
    LeadStatusChange.objects.create(lead=merged, to_status=merged.status, actor=admin)
    merge = record_merge(
        actor=admin,
        type_key="lead",
        survivor_id=survivor.pk,
        merged_id=merged.pk,
        choices={"email": merged.pk},
    )
    assert Lead.objects.get(pk=survivor.pk).email == "lee@acme.test"
    assert Task.objects.get().lead_id == survivor.pk
    assert not LeadStatusChange.objects.filter(lead_id=merged.pk).exists()
    merge_undo(actor=admin, merge=merge)
    assert Task.objects.get().lead_id == merged.pk
    assert LeadStatusChange.objects.filter(lead_id=merged.pk).count() == 1
    assert Lead.objects.get(pk=survivor.pk).email == survivor.email != "lee@acme.test"
