"""Web pages: the compose dialog on record pages and the mailbox / template settings."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cyclecrm.activities.models import DeliveryStatus, Interaction
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.integrations.credentials import decrypt_password
from cyclecrm.integrations.models import EmailTemplate, Mailbox

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_contact_page_offers_the_compose_dialog(web_client, rep_a):
    ada = make_contact(rep_a, email="ada@example.com")
    page = web_client(rep_a).get(reverse("contact_detail", args=[ada.pk]))
    assert page.status_code == 200
    assert reverse("email_compose", args=["contact", ada.pk]) in page.content.decode()


def test_compose_prefills_the_recipient_and_fills_a_template(web_client, rep_a):
    ada = make_contact(rep_a, first_name="Ada", email="ada@example.com")
    template = EmailTemplate.objects.create(
        name="Hi", subject="Hi {{ contact.first_name }}", body="Dear {{ contact.first_name }}"
    )
    client = web_client(rep_a)

    form = client.get(reverse("email_compose", args=["contact", ada.pk]), **HTMX)
    filled = client.get(
        reverse("email_compose_template", args=["contact", ada.pk]), {"template": template.pk}
    )

    assert 'value="ada@example.com"' in form.content.decode()
    assert "Hi" in form.content.decode()
    assert 'value="Hi Ada"' in filled.content.decode()
    assert "Dear Ada" in filled.content.decode()


def test_compose_post_queues_the_email_with_attachments(web_client, rep_a):
    ada = make_contact(rep_a, email="ada@example.com")
    response = web_client(rep_a).post(
        reverse("email_compose", args=["contact", ada.pk]),
        {
            "to": "ada@example.com",
            "subject": "Files",
            "body": "See attached",
            "attachments": [SimpleUploadedFile("a.txt", b"aaa", "text/plain")],
        },
        **HTMX,
    )

    assert response.status_code == 200, response.content
    assert "queued" in response.content.decode()
    interaction = Interaction.objects.get(contact=ada)
    assert interaction.delivery_status == DeliveryStatus.QUEUED
    assert [item.filename for item in interaction.attachments.all()] == ["a.txt"]


def test_compose_shows_service_errors_next_to_the_fields(web_client, rep_a):
    blocked = make_contact(rep_a, email="no@example.com", do_not_contact=True)
    response = web_client(rep_a).post(
        reverse("email_compose", args=["contact", blocked.pk]),
        {"to": "no@example.com", "subject": "x", "body": "y"},
        **HTMX,
    )
    assert response.status_code == 422
    assert "asked not to be contacted" in response.content.decode()
    assert not Interaction.objects.exists()


def test_mailbox_settings_for_admins_only(web_client, admin, rep_a):
    client = web_client(admin)
    created = client.post(
        reverse("mailbox_create"),
        {
            "name": "Sales",
            "host": "imap.example.com",
            "security": "ssl",
            "username": "sales@example.com",
            "password": "s3cret",
            "folder": "INBOX",
            "purpose": "sales",
            "is_active": "on",
        },
    )
    assert created.status_code == 302, created.content
    mailbox = Mailbox.objects.get()
    assert decrypt_password(mailbox.password_encrypted) == "s3cret"
    Mailbox.objects.filter(pk=mailbox.pk).update(last_error="Connection refused", failure_count=3)

    listing = client.get(reverse("mailbox_list"))
    edit = client.get(reverse("mailbox_edit", args=[mailbox.pk]))

    assert "Connection refused" in listing.content.decode()
    assert "failing \u00d73" in listing.content.decode()
    assert "s3cret" not in edit.content.decode()
    assert web_client(rep_a).get(reverse("mailbox_list")).status_code == 403


def test_template_settings_create(web_client, admin):
    response = web_client(admin).post(
        reverse("email_template_create"),
        {"name": "Hello", "subject": "Hi", "body": "{{ contact.first_name }}", "is_active": "on"},
    )
    assert response.status_code == 302
    assert EmailTemplate.objects.get().name == "Hello"
