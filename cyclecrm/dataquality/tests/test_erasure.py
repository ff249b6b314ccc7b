"""Erasure leaves no personal value in any related row nor in the history, and KPIs stay."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from cyclecrm.analytics.kpis.definitions import metrics
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.contacts.models import Contact
from cyclecrm.core.models import HistoryEntry
from cyclecrm.dataquality.models import SuppressedAddress
from cyclecrm.dataquality.privacy.erasure import email_hash
from cyclecrm.dataquality.privacy.subject_access import related_querysets
from cyclecrm.dataquality.tests.privacy_data import EMAIL, PERSONAL, person_with_data
from cyclecrm.leads.models import Lead

pytestmark = pytest.mark.django_db

TEXT = ("CharField", "TextField", "JSONField")


def _texts(row: models.Model) -> str:
    return " ".join(
        json.dumps(getattr(row, f.attname), default=str)
        for f in row._meta.concrete_fields
        if f.get_internal_type() in TEXT
    )


def _all_personal_text(contact: Contact) -> str:
    """Every text column of the contact, every related row and their children, the leads and
    every history entry of those records."""
    parts = [_texts(contact)]
    for _label, rows in related_querysets(contact):
        for row in rows:
            parts.append(_texts(row))
            for rel in row._meta.related_objects:
                if rel.many_to_many or rel.related_model is Contact:
                    continue
                children = rel.related_model._default_manager.filter(**{rel.field.name: row})
                parts += [_texts(child) for child in children]
    parts += [_texts(lead) for lead in Lead.objects.all()]
    parts += [json.dumps(e.changes) + e.object_repr for e in HistoryEntry.objects.all()]
    return " ".join(parts).lower()


def _kpis(actor) -> dict[str, str]:
    today = timezone.now().date()
    query = KpiQuery(start=today - dt.timedelta(days=30), end=today)
    return {m.name: repr(m.compute(actor, query).value) for m in metrics()}


def test_erasure_scrubs_every_related_row_and_the_history_and_keeps_kpis(api_client, admin):
    # given
    person = person_with_data(admin)
    contact = person.contact
    before_text = _all_personal_text(contact)
    assert all(value.lower() in before_text for value in PERSONAL)
    kpis_before = _kpis(admin)
    # when
    response = api_client(admin).post(f"/api/v1/privacy/contacts/{contact.pk}/erase")
    # then
    assert response.status_code == 200, response.content
    assert response.json()["rows"]["activities.Interaction"] == 1
    contact.refresh_from_db()
    after_text = _all_personal_text(contact)
    leftovers = [value for value in PERSONAL if value.lower() in after_text]
    assert not leftovers
    assert contact.last_name == f"Erased contact {contact.pk}"
    assert contact.birth_date is None and contact.country == "DE"
    assert not contact.consent_email and contact.do_not_contact
    assert _kpis(admin) == kpis_before
    order = person.records["order"]
    order.refresh_from_db()
    assert order.total == person.records["order_total"]
    assert contact.loyalty_memberships.get().entries.get().points == 120
    assert SuppressedAddress.objects.filter(email_hash=email_hash(EMAIL)).exists()
    erasure = HistoryEntry.objects.filter(record_type="contact", object_id=contact.pk).first()
    assert "erasure" in erasure.changes and erasure.actor == admin


def test_erasure_needs_the_contact_delete_right_on_all(api_client, admin, manager):
    person = person_with_data(admin)
    response = api_client(manager).post(f"/api/v1/privacy/contacts/{person.contact.pk}/erase")
    assert response.status_code in (403, 404)
    person.contact.refresh_from_db()
    assert person.contact.email == EMAIL


def test_cli_erase_with_yes(admin, capsys):
    person = person_with_data(admin)
    call_command("privacy", "erase", str(person.contact.pk), "--yes")
    assert json.loads(capsys.readouterr().out)["contact_id"] == person.contact.pk
    assert not Contact.objects.filter(email=EMAIL).exists()
