import pytest

from cyclecrm.contacts import selectors, services
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import Forbidden, NotFound, ValidationFailed, VersionConflict
from cyclecrm.core.models import CustomField, HistoryEntry
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.identity.models import RecordShare


def test_create_normalizes_input_and_records_history(rep_a):
    contact = services.contact_create(
        actor=rep_a,
        data={
            "first_name": "  Grace  ",
            "last_name": "Hopper",
            "email": " Grace.Hopper@Example.COM ",
            "phone": "(202) 555-0147",
            "country": "Germany",
            "consent_email": True,
        },
        tags=["vip", " vip ", "navy"],
    )
    contact.refresh_from_db()
    assert contact.first_name == "Grace"
    assert contact.email == "grace.hopper@example.com"
    assert contact.phone == "+12025550147"
    assert contact.country == "DE"
    assert contact.owner == rep_a
    assert contact.team.name == "North"
    assert contact.consent_email_at is not None
    assert contact.consent_email_source == "manual"
    assert sorted(t.name for t in contact.tags.all()) == ["navy", "vip"]
    entry = HistoryEntry.objects.get(record_type="contact", object_id=contact.pk)
    assert entry.action == "create"
    assert entry.changes["email"] == [None, "grace.hopper@example.com"]
    assert entry.changes["tags"] == [None, ["navy", "vip"]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"last_name": "X", "email": "not-an-email"}, "email"),
        ({"last_name": "X", "phone": "12"}, "phone"),
        ({"last_name": "X", "country": "Atlantis"}, "country"),
        ({"last_name": "X" * 101}, "last_name"),
        ({"last_name": "X", "favourite_colour": "blue"}, "favourite_colour"),
        ({"first_name": "No last name"}, "last_name"),
        ({"last_name": "X", "lifecycle_stage": "bogus"}, "lifecycle_stage"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(rep_a, data, field):
    with pytest.raises(ValidationFailed) as caught:
        services.contact_create(actor=rep_a, data=data)
    assert field in caught.value.fields
    assert Contact.objects.count() == 0
    assert HistoryEntry.objects.count() == 0


def test_update_with_stale_version_conflicts_and_changes_nothing(rep_a):
    contact = make_contact(owner=rep_a, title="Engineer")
    services.contact_update(actor=rep_a, contact=contact, data={"title": "Admiral"}, version=1)
    stale = Contact.objects.get(pk=contact.pk)
    stale.version = 1
    with pytest.raises(VersionConflict):
        services.contact_update(actor=rep_a, contact=stale, data={"title": "Captain"}, version=1)
    contact.refresh_from_db()
    assert contact.title == "Admiral"
    assert contact.version == 2
    changes = HistoryEntry.objects.filter(action="update").values_list("changes", flat=True)
    assert list(changes) == [{"title": ["Engineer", "Admiral"]}]


def test_rep_cannot_see_or_change_another_reps_contact(rep_a, rep_b):
    contact = make_contact(owner=rep_a)
    assert list(selectors.contact_list(actor=rep_b)) == []
    with pytest.raises(NotFound):
        selectors.contact_get(actor=rep_b, pk=contact.pk)
    with pytest.raises(NotFound):
        services.contact_update(actor=rep_b, contact=contact, data={"title": "x"}, version=1)
    with pytest.raises(NotFound):
        services.contact_delete(actor=rep_b, contact=contact)


def test_manager_sees_teams_below_and_share_grants_read(manager, rep_a, rep_b, marketer):
    mine = make_contact(owner=rep_a)
    theirs = make_contact(owner=rep_b)
    assert set(selectors.contact_list(actor=manager)) == {mine, theirs}
    RecordShare.objects.create(record_type="contact", object_id=mine.pk, user=rep_b)
    assert set(selectors.contact_list(actor=rep_b)) == {mine, theirs}
    with pytest.raises(NotFound):
        selectors.contact_get(actor=rep_b, pk=mine.pk, action="edit")


def test_marketer_reads_all_but_cannot_edit(marketer, rep_a):
    contact = make_contact(owner=rep_a)
    assert list(selectors.contact_list(actor=marketer)) == [contact]
    with pytest.raises(Forbidden):
        services.contact_update(actor=marketer, contact=contact, data={"title": "x"}, version=1)
    with pytest.raises(Forbidden):
        services.contact_create(actor=marketer, data={"last_name": "New"})


def test_rep_cannot_link_to_invisible_account(rep_a, rep_b):
    hidden = make_account(owner=rep_b)
    with pytest.raises(ValidationFailed) as caught:
        services.contact_create(actor=rep_a, data={"last_name": "X", "account_id": hidden.pk})
    assert "account_id" in caught.value.fields


def test_custom_fields_are_validated(rep_a):
    CustomField.objects.create(
        record_type="contact",
        key="shoe_size",
        label="Shoe size",
        kind="number",
        min_value=30,
        max_value=50,
    )
    CustomField.objects.create(
        record_type="contact", key="tier", label="Tier", kind="choice", choices=["gold", "silver"]
    )
    contact = services.contact_create(
        actor=rep_a, data={"last_name": "X"}, custom={"shoe_size": "42", "tier": "gold"}
    )
    assert contact.custom == {"shoe_size": 42, "tier": "gold"}
    with pytest.raises(ValidationFailed) as caught:
        services.contact_create(
            actor=rep_a,
            data={"last_name": "Y"},
            custom={"shoe_size": 60, "tier": "bronze", "nope": 1},
        )
    assert set(caught.value.fields) == {"custom.shoe_size", "custom.tier", "custom.nope"}
