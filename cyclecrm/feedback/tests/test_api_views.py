import datetime as dt

import pytest

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.feedback.models import Survey, SurveyResponse, score_category


def _answer(survey, contact, score, days_ago=1):
    return SurveyResponse.objects.create(
        survey=survey,
        contact=contact,
        score=score,
        category=score_category(survey.kind, score),
        answered_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago),
    )


@pytest.mark.parametrize(("role", "status"), [("marketer", 201), ("manager", 201), ("rep_a", 403)])
def test_who_may_create_surveys(api_client, request, role, status):
    client = api_client(request.getfixturevalue(role))

    response = client.post(
        "/api/v1/surveys",
        {"name": "Q1 NPS", "kind": "nps", "email_subject": "One question"},
        content_type="application/json",
    )

    assert response.status_code == status
    if status == 201:
        assert response.json()["question"].startswith("How likely")


def test_crud_and_kind_is_fixed(api_client, marketer):
    client = api_client(marketer)
    created = client.post(
        "/api/v1/surveys",
        {"name": "CSAT", "kind": "csat", "email_subject": "How did we do?"},
        content_type="application/json",
    ).json()
    url = f"/api/v1/surveys/{created['id']}"

    patched = client.patch(
        url, {"name": "CSAT 2", "version": created["version"]}, content_type="application/json"
    )
    refused = client.patch(
        url, {"queue_ids": [], "version": 2, "name": ""}, content_type="application/json"
    )

    assert patched.status_code == 200 and patched.json()["name"] == "CSAT 2"
    assert refused.status_code == 422
    assert client.get(f"{url}/history").status_code == 200
    assert client.delete(url).status_code == 204
    assert not Survey.objects.exists()


def test_nps_may_not_have_queues(api_client, admin, teams):
    response = api_client(admin).post(
        "/api/v1/surveys",
        {"name": "N", "kind": "nps", "email_subject": "S", "queue_ids": [teams["support"].pk]},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert "queue_ids" in response.json()["error"]["fields"]


def test_a_rep_sees_only_responses_of_contacts_they_can_read(api_client, nps, rep_a, rep_b):
    # given: one answer from a contact of each rep
    mine, theirs = make_contact(rep_a), make_contact(rep_b)
    _answer(nps, mine, 10)
    _answer(nps, theirs, 0)
    client = api_client(rep_a)

    # when
    listed = client.get(f"/api/v1/surveys/{nps.pk}/responses").json()["items"]
    metrics = client.get(f"/api/v1/surveys/{nps.pk}/metrics").json()

    # then
    assert [item["contact_id"] for item in listed] == [mine.pk]
    assert (metrics["overall"]["n"], metrics["overall"]["score"]) == (1, 100.0)
    assert len(metrics["trend"]) == 1


def test_metrics_with_no_answers_have_no_figure(api_client, nps, rep_a):
    metrics = api_client(rep_a).get(f"/api/v1/surveys/{nps.pk}/metrics?period=week").json()

    assert metrics["overall"]["n"] == 0 and metrics["overall"]["score"] is None
    assert metrics["trend"] == []


def test_send_through_the_api_names_unknown_contacts(api_client, admin, nps, rep_a):
    response = api_client(admin).post(
        f"/api/v1/surveys/{nps.pk}/send", {"contact_ids": [999999]}, content_type="application/json"
    )

    assert response.status_code == 422
    assert "contact_ids" in response.json()["error"]["fields"]


def test_detail_page_respects_contact_visibility_and_query_count(
    web_client, nps, rep_a, rep_b, django_assert_max_num_queries
):
    # given
    for n in range(12):
        _answer(nps, make_contact(rep_a, first_name=f"Mine{n}"), n % 11, days_ago=n * 9)
    _answer(nps, make_contact(rep_b, first_name="Hidden"), 0)
    client = web_client(rep_a)

    # when
    with django_assert_max_num_queries(16):
        page = client.get(f"/surveys/{nps.pk}/")

    # then
    assert page.status_code == 200
    assert b"Mine0" in page.content and b"Hidden" not in page.content
    assert b"n = 12" in page.content
    assert b"survey-data" in page.content


def test_list_page_query_count(web_client, rep_a, admin, django_assert_max_num_queries):
    for n in range(8):
        Survey.objects.create(
            name=f"S{n}", kind="nps", question="Q", email_subject="S", owner=admin
        )
    client = web_client(rep_a)
    client.get("/surveys/")  # warm the per-user caches

    with django_assert_max_num_queries(10):
        page = client.get("/surveys/")

    assert page.status_code == 200 and b"S7" in page.content
    assert b"New survey" not in page.content


def test_contact_page_shows_latest_scores(web_client, nps, csat, rep_a):
    contact = make_contact(rep_a)
    _answer(nps, contact, 4, days_ago=30)
    _answer(nps, contact, 9, days_ago=2)
    _answer(csat, contact, 5, days_ago=1)

    page = web_client(rep_a).get(f"/contacts/{contact.pk}/").content.decode()

    assert 'id="survey-scores"' in page
    assert "Latest NPS" in page and "Latest CSAT" in page
    assert ">9<" in page and ">4<" not in page


def test_send_dialog_sends_to_contacts_by_address(
    web_client, admin, nps, rep_a, smtp_server, huey_immediate, django_capture_on_commit_callbacks
):
    contact = make_contact(rep_a, email="lin@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = web_client(admin).post(
            f"/surveys/{nps.pk}/send/", {"contacts": f"lin@example.com, {contact.pk}"}, follow=True
        )

    assert b"Survey sent to 1 contact." in response.content
    assert [mail.rcpt_tos for mail in smtp_server.received] == [["lin@example.com"]]


def test_survey_form_creates_a_csat_with_a_queue(web_client, manager, teams):
    response = web_client(manager).post(
        "/surveys/new/",
        {
            "name": "Support CSAT",
            "kind": "csat",
            "email_subject": "How did we do?",
            "link_valid_days": "7",
            "is_active": "on",
            "queues": [str(teams["support"].pk)],
        },
    )

    survey = Survey.objects.get()
    assert response.status_code == 302
    assert survey.queue_settings.get().team == teams["support"]


def test_survey_form_edits_targets_and_schedule(web_client, admin, nps, rep_a):
    contact = make_contact(rep_a)
    client = web_client(admin)
    form = client.get(f"/surveys/{nps.pk}/edit/")

    saved = client.post(
        f"/surveys/{nps.pk}/edit/",
        {
            "name": nps.name,
            "kind": "nps",
            "email_subject": "S",
            "link_valid_days": "14",
            "targets": f"{contact.pk}",
            "schedule_days": "30",
        },
    )
    junk = client.post(
        f"/surveys/{nps.pk}/edit/",
        {"name": "x", "kind": "nps", "email_subject": "S", "link_valid_days": "14",
         "targets": "abc"},
    )  # fmt: skip

    nps.refresh_from_db()
    assert form.status_code == 200
    assert saved.status_code == 302, saved.content
    assert (nps.target_contact_ids, nps.schedule_days) == ([contact.pk], 30)
    assert junk.status_code == 200 and b"contact ids" in junk.content


def test_send_dialog_refuses_contacts_the_sender_cannot_see(
    web_client, manager, nps, marketer, rep_a
):
    # given: a contact of the marketer's own, outside the manager's team scope
    hidden = make_contact(marketer, email="hidden@example.com")

    # when
    response = web_client(manager).post(
        f"/surveys/{nps.pk}/send/", {"contacts": "hidden@example.com, nobody"}, follow=True
    )

    # then
    assert b"No contact you may see: hidden@example.com, nobody" in response.content
    assert not hidden.survey_invitations.exists()
