"""Subject access export: everything held about a contact, and every relation covered."""

import json

import pytest
from django.core.management import call_command

from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.dataquality.privacy.coverage import ERASE_FIELDS, EXCLUDED
from cyclecrm.dataquality.tests.privacy_data import EMAIL, FIRST, person_with_data

pytestmark = pytest.mark.django_db


def test_every_model_referencing_contact_is_covered_or_excluded_with_a_reason():
    labels = {rel.related_model._meta.label for rel in Contact._meta.related_objects}
    missing = labels - set(ERASE_FIELDS) - set(EXCLUDED)
    assert not missing, f"Decide how export and erasure treat: {sorted(missing)}"
    assert all(reason.strip() for reason in EXCLUDED.values())


def test_api_export_holds_the_contact_and_everything_related(api_client, admin):
    # given
    person = person_with_data(admin)
    # when
    response = api_client(admin).get(f"/api/v1/privacy/contacts/{person.contact.pk}/export")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["format"] == "cyclecrm.subject-access/1"
    assert body["contact"]["email"] == EMAIL
    assert body["contact"]["tags"] == ["vip"]
    assert body["account"]["name"] == "Quist Bakery GmbH"
    related = body["related"]
    for label in (
        "activities.Interaction",
        "activities.Task",
        "catalog.Order",
        "support.Case",
        "advocacy.Review",
        "feedback.SurveyResponse",
        "loyalty.Member",
        "dataquality.ConsentRecord",
    ):
        assert related.get(label), label
    member = related["loyalty.Member"][0]
    assert member["children"]["loyalty.PointsEntry"][0]["points"] == 120
    assert related["catalog.Order"][0]["children"]["catalog.OrderLine"]
    assert [lead["first_name"] for lead in body["leads"]] == [FIRST]
    assert {entry["action"] for entry in body["history"]} >= {"create", "update"}
    assert "token_hash" not in json.dumps(related.get("feedback.SurveyInvitation", []))


def test_export_needs_the_export_right(api_client, admin, rep_a):
    person = person_with_data(admin)
    response = api_client(rep_a).get(f"/api/v1/privacy/contacts/{person.contact.pk}/export")
    assert response.status_code == 404


def test_cli_export_prints_the_document(admin, capsys):
    person = person_with_data(admin)
    call_command("privacy", "export", str(person.contact.pk), "--as", "admin")
    body = json.loads(capsys.readouterr().out)
    assert body["contact"]["id"] == person.contact.pk


def test_export_needs_the_read_right_on_everything_it_holds(api_client, marketer):
    """A marketer may export contacts but not read every case or opportunity: the complete
    subject access document would show them (found by the permission matrix)."""
    contact = make_contact(owner=marketer)
    response = api_client(marketer).get(f"/api/v1/privacy/contacts/{contact.pk}/export")
    assert response.status_code == 403
    assert "case" in response.json()["error"]["message"]
