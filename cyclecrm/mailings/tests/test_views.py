"""Mailing pages: list (query count), editor with the live audience count, detail with
statistics and actions, the sandboxed preview, test send; permissions."""

import pytest

from cyclecrm.mailings.models import Mailing, MailingStatus
from cyclecrm.mailings.services.sending import mailing_send_batch

pytestmark = pytest.mark.django_db


def test_list_query_count_does_not_grow_with_mailings(
    web_client, marketer, segment, django_assert_max_num_queries
):
    for n in range(30):
        Mailing.objects.create(name=f"Mailing {n}", subject="S", segment=segment, owner=marketer)
    client = web_client(marketer)
    client.get("/mailings/")  # warm per-process caches

    with django_assert_max_num_queries(11):
        response = client.get("/mailings/")

    assert response.content.decode().count("Mailing ") >= 25


def test_create_through_the_form_and_see_the_audience_count(web_client, marketer, segment):
    client = web_client(marketer)

    count = client.get(f"/mailings/audience-count/?segment={segment.pk}")
    response = client.post(
        "/mailings/new/",
        {
            "name": "Winter",
            "subject": "Hi {{ contact.first_name }}",
            "segment": segment.pk,
            "html_body": '<p onclick="x()">Hi</p><script>alert(1)</script>',
            "rate_per_minute": 30,
        },
    )

    assert "<strong>8</strong> contacts" in count.content.decode()
    mailing = Mailing.objects.get(name="Winter")
    assert response.status_code == 302 and response["Location"] == f"/mailings/{mailing.pk}/"
    assert mailing.html_body == "<p>Hi</p>"  # sanitized when saved
    assert mailing.status == MailingStatus.DRAFT and mailing.owner == marketer


def test_a_template_error_is_shown_on_its_field(web_client, marketer, segment):
    response = web_client(marketer).post(
        "/mailings/new/",
        {"name": "Bad", "subject": "{% if %}", "segment": segment.pk, "rate_per_minute": 30},
    )

    assert response.status_code == 200 and "Template error" in response.content.decode()
    assert not Mailing.objects.filter(name="Bad").exists()


def test_preview_is_personal_sanitized_and_sandboxed(web_client, marketer, mailing, audience):
    response = web_client(marketer).get(
        f"/mailings/{mailing.pk}/preview/?contact={audience['ada'].pk}"
    )

    body = response.content.decode()
    assert "Hello Ada," in body and "See you in Paris!" in body
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_test_send_and_send_now_from_the_detail_page(
    web_client, marketer, mailing, audience, smtp_server
):
    client = web_client(marketer)
    test = client.post(
        f"/mailings/{mailing.pk}/action/",
        {"action": "test", "to": "me@shop.example", "contact": audience["bob"].pk},
    )
    [mail] = smtp_server.received
    assert test.status_code == 302 and mail.rcpt_tos == ["me@shop.example"]
    assert mail.message["Subject"] == "[Test] News for Bob"
    assert mail.message["List-Unsubscribe"] is None  # no tracking in a test

    client.post(f"/mailings/{mailing.pk}/action/", {"action": "send"})
    mailing_send_batch(mailing_id=mailing.pk)
    page = client.get(f"/mailings/{mailing.pk}/").content.decode()

    assert 'data-stat="sent">2<' in page and 'data-stat="suppressed">6<' in page
    assert "no_consent 1" in page


def test_others_cannot_see_or_act_on_a_mailing(web_client, rep_a, mailing):
    client = web_client(rep_a)

    assert client.get(f"/mailings/{mailing.pk}/").status_code == 404
    assert client.post(f"/mailings/{mailing.pk}/action/", {"action": "send"}).status_code == 404
    assert client.get("/mailings/new/").status_code == 200  # reps may draft their own
