"""The create form shows likely duplicates with links instead of saving, and "Save anyway"
(force) saves; the public capture form never blocks and queues the pair for review."""

from django.urls import reverse

from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.dataquality.duplicates.flagging import flag_new_record
from cyclecrm.dataquality.models import DuplicateCluster

FORM = {
    "first_name": "Ann",
    "last_name": "Lee",
    "email": "ann.lee@example.com",
    "lifecycle_stage": "lead",
}


def test_form_shows_candidates_then_save_anyway(admin, web_client):
    existing = make_contact(admin, first_name="Ann", last_name="Lee", email="ann.lee@example.com")
    client = web_client(admin)
    response = client.post(reverse("contact_create"), {**FORM, "owner": admin.pk})
    assert response.status_code == 409
    body = response.content.decode()
    assert "looks like one that already exists" in body
    assert reverse("contact_detail", args=[existing.pk]) in body
    assert 'name="force"' in body
    assert Contact.objects.count() == 1
    saved = client.post(reverse("contact_create"), {**FORM, "owner": admin.pk, "force": "1"})
    assert saved.status_code == 302
    assert Contact.objects.count() == 2


def test_record_saved_without_asking_is_queued_for_review(admin):
    existing = make_contact(admin, first_name="Ann", last_name="Lee", email="ann.lee@example.com")
    new = make_contact(admin, first_name="Ann", last_name="Lee", email="ann.lee@example.com")
    cluster = flag_new_record(actor=admin, instance=new)
    assert cluster is not None
    assert set(cluster.record_ids) == {existing.pk, new.pk}
    assert DuplicateCluster.objects.get().status == "open"
    assert flag_new_record(actor=admin, instance=make_contact(admin, last_name="Zed")) is None
