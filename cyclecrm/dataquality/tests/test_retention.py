"""Retention policies act only on rows past their age; runs are counted and audited."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from cyclecrm.activities.models import Interaction
from cyclecrm.activities.tests.factories import make_interaction
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.dataquality.models import RetentionPolicy, RetentionRun
from cyclecrm.dataquality.privacy.tasks import retention_daily
from cyclecrm.leads.models import Lead
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db


def _ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


@pytest.fixture
def aged(admin) -> dict[str, object]:
    old = make_lead(admin, email="old@example.org", last_name="Oldlead")
    new = make_lead(admin, email="new@example.org", last_name="Newlead")
    Lead.objects.filter(pk=old.pk).update(updated_at=_ago(400))
    Lead.objects.filter(pk=new.pk).update(updated_at=_ago(300))
    return {"old": old, "new": new}


def test_dry_count_then_policy_anonymizes_only_leads_past_the_age(api_client, admin, aged):
    client = api_client(admin)
    # given: the count shown before saving
    count = client.get(
        "/api/v1/privacy/retention-policies/dry-count?record_type=lead&max_age_days=365"
    )
    assert count.json()["matched"] == 1
    created = client.post(
        "/api/v1/privacy/retention-policies",
        {"record_type": "lead", "max_age_days": 365, "action": "anonymize"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    # when
    run = client.post(f"/api/v1/privacy/retention-policies/{created.json()['id']}/run")
    # then
    assert run.json()["matched"] == 1 and run.json()["handled"] == 1
    aged["old"].refresh_from_db()
    aged["new"].refresh_from_db()
    assert aged["old"].email == "" and aged["old"].last_name == ""
    assert aged["new"].email == "new@example.org"
    policy = RetentionPolicy.objects.get()
    assert policy.last_run_count == 1
    audit = HistoryEntry.objects.filter(record_type="retention_policy", object_id=policy.pk)
    assert {entry.action for entry in audit} == {"create", "update"}


def test_delete_policy_removes_old_interactions_and_the_daily_job_runs_it(admin):
    contact = make_contact(owner=admin)
    old = make_interaction(admin, contact=contact, occurred_at=_ago(100))
    recent = make_interaction(admin, contact=contact, occurred_at=_ago(10))
    RetentionPolicy.objects.create(record_type="interaction", max_age_days=90, action="delete")
    assert retention_daily.call_local() == 1
    assert not Interaction.objects.filter(pk=old.pk).exists()
    assert Interaction.objects.filter(pk=recent.pk).exists()
    assert RetentionRun.objects.get().handled == 1


def test_policies_are_admin_settings(api_client, manager):
    body = {"record_type": "lead", "max_age_days": 30, "action": "delete"}
    response = api_client(manager).post(
        "/api/v1/privacy/retention-policies", body, content_type="application/json"
    )
    assert response.status_code == 403


def test_invalid_policy_is_422_naming_the_field(api_client, admin):
    body = {"record_type": "lead", "max_age_days": 0, "action": "delete"}
    response = api_client(admin).post(
        "/api/v1/privacy/retention-policies", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert "max_age_days" in str(response.json()["error"]["fields"])


def test_cli_dry_run_counts_without_changing(admin, aged, capsys):
    RetentionPolicy.objects.create(record_type="lead", max_age_days=365, action="delete")
    call_command("privacy", "retention", "--dry-run")
    assert "lead: 1 matched, 0 deleted" in capsys.readouterr().out
    assert Lead.objects.count() == 2


def test_settings_page_saves_a_policy_and_runs_it(web_client, admin, aged):
    client = web_client(admin)
    assert client.get("/settings/retention/").status_code == 200
    count = client.get("/settings/retention/count?record_type=lead&max_age_days=365")
    assert b"<strong>1</strong>" in count.content
    saved = client.post(
        "/settings/retention/",
        {"record_type": "lead", "max_age_days": "365", "action": "anonymize", "is_active": "on"},
    )
    assert saved.status_code == 302
    policy = RetentionPolicy.objects.get()
    assert client.post(f"/settings/retention/{policy.pk}/run").status_code == 302
    assert b"1 matched, 1 anonymized" in client.get("/settings/retention/").content


def test_erase_page_asks_for_confirmation(web_client, admin, manager):
    contact = make_contact(owner=admin, last_name="Turing", email="alan@example.org")
    client = web_client(admin)
    assert b"Type the contact" in client.get(f"/contacts/{contact.pk}/erase").content
    client.post(f"/contacts/{contact.pk}/erase", {"confirm": "wrong"})
    contact.refresh_from_db()
    assert contact.email == "alan@example.org"
    client.post(f"/contacts/{contact.pk}/erase", {"confirm": str(contact.pk)})
    contact.refresh_from_db()
    assert contact.email == "" and contact.last_name.startswith("Erased contact")
    assert web_client(manager).get(f"/contacts/{contact.pk}/erase").status_code in (403, 404)
