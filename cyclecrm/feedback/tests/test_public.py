import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from cyclecrm.activities.models import Channel, Interaction, Task
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.feedback.models import SurveyResponse
from cyclecrm.feedback.tests.conftest import make_invitation


def _url(token: str) -> str:
    return f"/s/{token}/"


@pytest.mark.django_db
def test_answered_once(nps, rep_a):
    # given
    contact = make_contact(rep_a)
    invitation, token = make_invitation(nps, contact)
    client = Client()

    # when
    page = client.get(_url(token))
    first = client.post(_url(token), {"score": "9", "comment": "Great service"})
    second = client.post(_url(token), {"score": "0"})

    # then
    assert page.status_code == 200 and b'name="score"' in page.content
    assert first.status_code == 200 and b"Thank you" in first.content
    assert b"Already answered" in second.content
    assert b"Already answered" in client.get(_url(token)).content
    [response] = SurveyResponse.objects.all()
    assert (response.score, response.category, response.comment) == (9, "promoter", "Great service")
    invitation.refresh_from_db()
    assert invitation.answered_at is not None


@pytest.mark.django_db
def test_expired_link_is_refused(nps, rep_a):
    invitation, token = make_invitation(nps, make_contact(rep_a))
    invitation.expires_at = timezone.now() - dt.timedelta(minutes=1)
    invitation.save()

    page = Client().get(_url(token))
    post = Client().post(_url(token), {"score": "10"})

    assert page.status_code == 410 and b"expired" in page.content
    assert post.status_code == 410
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("mutate", ["flip", "short", "junk", "unicode", "long"])
def test_tampered_or_unknown_tokens_get_the_same_not_found_page(nps, rep_a, mutate):
    _, token = make_invitation(nps, make_contact(rep_a))
    bad = {
        "flip": token[:-1] + ("A" if token[-1] != "A" else "B"),
        "short": token[:20],
        "junk": "%27%3B DROP TABLE--",
        "unicode": "é" * 43,
        "long": "a" * 5000,
    }[mutate]

    page = Client().get(_url(bad))
    post = Client().post(_url(bad), {"score": "10"})

    assert page.status_code == 404 and b"Survey not found" in page.content
    assert post.status_code == 404
    assert nps.name.encode() not in page.content
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("score", ["11", "-1", "", "abc", "9.5", "\x00"])
def test_invalid_scores_are_form_errors(nps, rep_a, score):
    _, token = make_invitation(nps, make_contact(rep_a))

    response = Client().post(_url(token), {"score": score})

    assert response.status_code in (400, 422)
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_csat_scale_is_one_to_five(csat, rep_a):
    _, token = make_invitation(csat, make_contact(rep_a))

    assert Client().post(_url(token), {"score": "0"}).status_code == 422
    page = Client().get(_url(token))

    assert b'value="5"' in page.content and b'value="6"' not in page.content


@pytest.mark.django_db
def test_detractor_opens_a_follow_up_task_and_the_answer_is_on_the_timeline(nps, rep_a):
    # given
    contact = make_contact(rep_a)
    _, token = make_invitation(nps, contact)

    # when
    Client().post(_url(token), {"score": "3", "comment": "Slow answers"})

    # then
    [task] = Task.objects.filter(contact=contact)
    assert task.owner == rep_a and "NPS 3" in task.title and "Slow answers" in task.description
    [note] = Interaction.objects.filter(contact=contact, channel=Channel.NOTE)
    assert note.subject.startswith("NPS 3 — detractor")


@pytest.mark.django_db
def test_promoter_opens_no_task(nps, rep_a):
    contact = make_contact(rep_a)
    _, token = make_invitation(nps, contact)

    Client().post(_url(token), {"score": "10"})

    assert not Task.objects.filter(contact=contact).exists()


@pytest.mark.django_db
def test_public_api_answers_once(nps, rep_a, client):
    _, token = make_invitation(nps, make_contact(rep_a))
    url = f"/api/v1/public/surveys/{token}"

    created = client.post(url, {"score": 8}, content_type="application/json")
    again = client.post(url, {"score": 8}, content_type="application/json")
    unknown = client.post(url + "x", {"score": 8}, content_type="application/json")

    assert (created.status_code, again.status_code, unknown.status_code) == (201, 410, 404)
    assert again.json()["error"]["code"] == "gone"


@pytest.mark.django_db
def test_follow_up_for_an_unowned_contact_goes_to_the_case_agent(csat, support_agent):
    from cyclecrm.support.services import case_create

    contact = make_contact(None)
    case = case_create(actor=support_agent, data={"subject": "Broken", "contact": contact.pk})
    _, token = make_invitation(csat, contact, case=case)

    response = Client().post(_url(token), {"score": "1"})

    assert response.status_code == 200 and b"Thank you" in response.content
    [task] = Task.objects.filter(contact=contact)
    assert task.owner == support_agent and case.number in task.description
