"""Bulk membership of static lists from a filtered contact query."""

from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.segments.models import Segment, SegmentMember
from cyclecrm.segments.services import members, segment_members_add_matching


def test_adds_all_matching_in_batches_and_only_what_the_actor_sees(
    monkeypatch, manager, rep_a, marketer
):
    """The manager sees the north team's contacts, not the marketing team's."""
    monkeypatch.setattr(members, "MAX_BATCH", 2)
    north = [make_contact(rep_a, last_name=f"North{i}", country="DE") for i in range(5)]
    make_contact(rep_a, last_name="Elsewhere", country="FR")
    make_contact(marketer, last_name="Marketing", country="DE")
    vip = Segment.objects.create(name="VIP", kind="static", owner=manager)
    SegmentMember.objects.create(segment=vip, contact=north[0])

    added = segment_members_add_matching(
        actor=manager, segment=vip, contacts=Contact.objects.filter(country="DE")
    )

    ids = set(SegmentMember.objects.filter(segment=vip).values_list("contact_id", flat=True))
    assert ids == {contact.pk for contact in north}
    assert added == 4
    vip.refresh_from_db()
    assert vip.member_count == 5
