"""The public review page /r/<token>/ and its API: one review per link, per-field errors,
expired and used links explained, consent flags honoured, the review.submitted event."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from cyclecrm.activities.models import Channel, Interaction
from cyclecrm.advocacy.models import Review, ReviewRequest, ReviewStatus, ReviewTrigger
from cyclecrm.core.events import subscribe, unsubscribe
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.feedback.tokens import token_new


def make_request(contact, *, days: int = 30, sent: bool = True) -> tuple[ReviewRequest, str]:
    token, digest = token_new()
    now = timezone.now()
    request = ReviewRequest.objects.create(
        trigger=ReviewTrigger.MANUAL,
        contact=contact,
        account=contact.account,
        token_hash=digest,
        sent_at=now if sent else None,
        expires_at=now + dt.timedelta(days=days),
    )
    return request, token


@pytest.fixture
def events():
    seen = []
    subscribe("review.submitted", seen.append)
    yield seen
    unsubscribe("review.submitted", seen.append)


def test_a_review_is_taken_once_logged_and_announced(
    rep_a, events, django_capture_on_commit_callbacks
):
    # given
    account = make_account(rep_a, name="Acme")
    ada = make_contact(rep_a, account=account)
    request, token = make_request(ada)
    client = Client()
    page = client.get(f"/r/{token}/")
    assert page.status_code == 200 and "Acme" in page.content.decode()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            f"/r/{token}/",
            {
                "rating": "4",
                "title": "Solid",
                "text": "<script>alert(1)</script> Good service",
                "publish_consent": "1",
                "publish_company": "1",
            },
        )

    # then
    assert answer.status_code == 200
    review = Review.objects.get()
    assert (review.rating, review.status, review.account, review.request) == (
        4,
        ReviewStatus.PENDING,
        account,
        request,
    )
    assert (review.publish_consent, review.publish_name, review.publish_company) == (
        True,
        False,
        True,
    )
    assert review.owner == rep_a
    note = Interaction.objects.get(contact=ada, channel=Channel.NOTE)
    assert note.subject.startswith("Review 4/5")
    [event] = events
    assert (event.record_type, event.object_id) == ("review", review.pk)
    assert event.data == {"review_id": review.pk, "contact_id": ada.pk}
    # and the link is used up
    again = client.post(f"/r/{token}/", {"rating": "5", "text": "Again"})
    assert again.status_code == 200 and "already have your review" in again.content.decode()
    assert Review.objects.count() == 1


def test_name_and_company_without_permission_to_publish_are_not_kept(rep_a):
    _, token = make_request(make_contact(rep_a))
    data = {"rating": "5", "text": "Fine", "publish_name": "1", "publish_company": "1"}
    assert Client().post(f"/r/{token}/", data).status_code == 200
    review = Review.objects.get()
    assert not (review.publish_consent or review.publish_name or review.publish_company)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rating": "0", "text": "x"}, "rating"),
        ({"rating": "six", "text": "x"}, "rating"),
        ({"rating": "3"}, "text"),
        ({"rating": "3", "text": "x" * 5001}, "text"),
        ({"rating": "3", "text": "x", "title": "t" * 201}, "title"),
    ],
)
def test_invalid_answers_are_shown_per_field(rep_a, data, field):
    _, token = make_request(make_contact(rep_a))
    response = Client().post(f"/r/{token}/", data)
    assert response.status_code == 422
    assert field in response.context["errors"]
    assert not Review.objects.exists()


def test_expired_unknown_and_unsent_links(rep_a):
    ada = make_contact(rep_a)
    _, expired = make_request(ada, days=-1)
    _, unsent = make_request(ada, sent=False)
    client = Client()
    gone = client.get(f"/r/{expired}/")
    assert gone.status_code == 410 and "expired" in gone.content.decode()
    assert client.get(f"/r/{unsent}/").status_code == 404
    assert client.get("/r/not-a-token/").status_code == 404
    assert client.get(f"/r/{expired[:-1]}x/").status_code == 404


def test_public_api(rep_a, client):
    ada = make_contact(rep_a)
    _, token = make_request(ada)
    url = f"/api/v1/public/reviews/{token}"
    bad = client.post(url, {"rating": 9, "text": "x"}, content_type="application/json")
    assert bad.status_code == 422 and "rating" in bad.json()["error"]["fields"]
    body = {"rating": 5, "text": "Lovely", "publish_consent": True, "publish_name": True}
    assert client.post(url, body, content_type="application/json").status_code == 201
    used = client.post(url, body, content_type="application/json")
    assert used.status_code == 410 and "token" in used.json()["error"]["fields"]
    assert (
        client.post("/api/v1/public/reviews/x", body, content_type="application/json").status_code
        == 404
    )
    assert Review.objects.get().publish_name is True


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_racing_submissions_of_one_link_store_one_review():
    # given
    _, token = make_request(make_contact(None))
    statuses: list[int] = []
    start = threading.Barrier(6)

    def submit() -> None:
        try:
            start.wait()
            body = {"rating": 5, "text": "Twice?"}
            response = Client().post(
                f"/api/v1/public/reviews/{token}", body, content_type="application/json"
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    # when six submissions race
    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then exactly one is stored, the others are refused
    assert sorted(statuses)[0] == 201 and statuses.count(201) == 1
    assert set(statuses) == {201, 410}
    assert Review.objects.count() == 1
