"""Consent records: written at every capture point, listed, recorded by hand, exported."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.dataquality.models import ConsentRecord
from cyclecrm.dataquality.privacy.consent import consent_record_write
from cyclecrm.leads.services.conversion import lead_convert
from cyclecrm.leads.tests.factories import make_lead
from cyclecrm.mailings.models import MailingRecipient
from cyclecrm.mailings.services.mailings import mailing_create
from cyclecrm.mailings.services.tracking import recipient_unsubscribe
from cyclecrm.segments.models import Segment

pytestmark = pytest.mark.django_db

WORDING = "Yes, send me the monthly newsletter. I can unsubscribe at any time."


def test_contact_api_create_and_update_write_one_record_per_change(api_client, rep_a):
    client = api_client(rep_a)
    # given: a contact created with e-mail consent
    created = client.post(
        "/api/v1/contacts",
        {"last_name": "Lovelace", "consent_email": True, "consent_sms": False},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    first = ConsentRecord.objects.get(contact_id=pk)
    assert (first.purpose, first.granted, first.source) == ("email", True, "manual")
    assert first.recorded_by == rep_a
    # when: consent is withdrawn, and an unchanged flag is sent again
    version = created.json()["version"]
    client.patch(
        f"/api/v1/contacts/{pk}",
        {"consent_email": False, "consent_sms": False, "version": version},
        content_type="application/json",
    )
    # then
    rows = list(ConsentRecord.objects.filter(contact_id=pk).values_list("purpose", "granted"))
    assert rows == [("email", False), ("email", True)]
    assert Contact.objects.get(pk=pk).consent_email is False


def test_recording_consent_through_the_api_updates_the_flag_and_keeps_the_text(api_client, rep_a):
    contact = make_contact(owner=rep_a, last_name="Hopper")
    client = api_client(rep_a)
    url = f"/api/v1/privacy/contacts/{contact.pk}/consents"
    response = client.post(
        url,
        {"purpose": "email", "granted": True, "source": "phone call", "text_shown": WORDING},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["text_shown"] == WORDING
    assert response.json()["recorded_by"] == "rep_a"
    contact.refresh_from_db()
    assert contact.consent_email and contact.consent_email_source == "phone call"
    profiling = client.post(
        url, {"purpose": "profiling", "granted": False, "source": "web"}, "application/json"
    )
    assert profiling.status_code == 201
    listed = client.get(url + "?limit=1").json()
    assert [row["purpose"] for row in listed["items"]] == ["profiling"]
    assert listed["next_cursor"]
    rest = client.get(url + f"?limit=5&cursor={listed['next_cursor']}").json()
    assert [row["purpose"] for row in rest["items"]] == ["email"]


def test_bad_purpose_and_empty_source_are_422_naming_the_field(api_client, rep_a):
    contact = make_contact(owner=rep_a)
    url = f"/api/v1/privacy/contacts/{contact.pk}/consents"
    bad = api_client(rep_a).post(
        url, {"purpose": "telepathy", "granted": True, "source": "x"}, "application/json"
    )
    assert bad.status_code == 422
    assert "purpose" in str(bad.json()["error"]["fields"])
    empty = api_client(rep_a).post(
        url, {"purpose": "sms", "granted": True, "source": "  "}, "application/json"
    )
    assert empty.status_code == 422
    assert "source" in empty.json()["error"]["fields"]


def test_others_cannot_read_or_record(api_client, rep_a, rep_b):
    contact = make_contact(owner=rep_a)
    url = f"/api/v1/privacy/contacts/{contact.pk}/consents"
    assert api_client(rep_b).get(url).status_code == 404
    body = {"purpose": "sms", "granted": True, "source": "x"}
    assert api_client(rep_b).post(url, body, "application/json").status_code == 404


def test_lead_conversion_carries_the_wording_and_time_to_the_contact(rep_a):
    given_at = timezone.now() - dt.timedelta(days=40)
    lead = make_lead(
        rep_a,
        status="qualified",
        consent_email=True,
        consent_email_at=given_at,
        consent_text=WORDING,
    )
    conversion = lead_convert(actor=rep_a, lead=lead, create_opportunity=False)
    record = ConsentRecord.objects.get(contact=conversion.contact)
    assert record.text_shown == WORDING
    assert record.recorded_at == given_at
    assert record.source == f"lead #{lead.pk}"


def test_unsubscribe_records_the_withdrawal(marketer):
    contact = make_contact(owner=marketer, email="ada@example.org", consent_email=True)
    segment = Segment.objects.create(name="All", kind="static", owner=marketer)
    mailing = mailing_create(
        actor=marketer,
        data={
            "name": "November news",
            "subject": "News",
            "from_name": "News",
            "from_email": "news@shop.example",
            "html_body": "<p>Hello</p>",
            "segment_id": segment.pk,
        },
    )
    recipient = MailingRecipient.objects.create(
        mailing=mailing, contact=contact, email=contact.email, token="a" * 32
    )
    recipient_unsubscribe(recipient=recipient)
    record = ConsentRecord.objects.get(contact=contact)
    assert (record.granted, record.source) == (False, "unsubscribe: November news")


def test_consent_csv(api_client, rep_a):
    contact = make_contact(owner=rep_a)
    consent_record_write(
        actor=rep_a, contact_id=contact.pk, purpose="sms", granted=True, source="form, web"
    )
    response = api_client(rep_a).get(f"/api/v1/privacy/contacts/{contact.pk}/consents.csv")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("contact_id,purpose,granted,source")
    assert lines[1].startswith(f'{contact.pk},sms,yes,"form, web"')


def _page_queries(client, contact) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/contacts/{contact.pk}/")
    assert response.status_code == 200
    assert b'id="privacy"' in response.content
    return len(ctx.captured_queries)


def test_consent_panel_query_count_does_not_grow_with_records(web_client, rep_a):
    contact = make_contact(owner=rep_a)
    consent_record_write(
        actor=rep_a, contact_id=contact.pk, purpose="sms", granted=True, source="a"
    )
    client = web_client(rep_a)
    baseline = _page_queries(client, contact)
    for n in range(8):
        consent_record_write(
            actor=rep_a, contact_id=contact.pk, purpose="email", granted=n % 2 == 0, source="b"
        )
    assert _page_queries(client, contact) == baseline


def test_panel_records_consent_through_the_page(web_client, rep_a):
    contact = make_contact(owner=rep_a)
    response = web_client(rep_a).post(
        f"/contacts/{contact.pk}/consents/record",
        {"purpose": "phone", "granted": "1", "source": "booth", "text_shown": WORDING},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.consent_phone
    page = web_client(rep_a).get(f"/contacts/{contact.pk}/").content.decode()
    assert "booth" in page and "Phone calls" in page


def test_double_opt_in_confirmed_after_conversion_gives_the_contact_consent(
    rep_a, django_capture_on_commit_callbacks
):
    import re

    from django.core import mail
    from django.test import Client

    from cyclecrm.leads.capture.testing import make_capture_form, submit_json
    from cyclecrm.leads.models import Lead

    # given: a pending double opt-in submission whose lead is converted before the click
    form = make_capture_form(
        fields=["first_name", "email"],
        required_fields=["email"],
        consent_text=WORDING,
        double_opt_in=True,
    )
    payload = {"first_name": "Ada", "email": "ada@example.com", "consent": True}
    with django_capture_on_commit_callbacks(execute=True):
        submit_json(form, payload)
    lead = Lead.objects.get()
    Lead.objects.filter(pk=lead.pk).update(status="qualified", owner=rep_a)
    lead.refresh_from_db()
    contact = lead_convert(actor=rep_a, lead=lead, create_opportunity=False).contact
    assert not ConsentRecord.objects.filter(contact=contact).exists()
    # when: the person confirms
    path = re.search(r"http://testserver(/f/confirm/[^/\s]+/)", mail.outbox[-1].body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        Client().get(path)
    # then
    record = ConsentRecord.objects.get(contact=contact)
    assert record.granted and record.text_shown == WORDING
    assert record.source.startswith("double opt-in: ")
    contact.refresh_from_db()
    assert contact.consent_email
