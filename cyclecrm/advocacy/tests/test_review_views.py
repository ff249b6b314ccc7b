"""Review pages: the moderation queue (filters, htmx actions, constant query count), detail,
testimonials download, policies in settings, and the contact/account/product panels."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.advocacy.models import Review, ReviewPolicy, ReviewRequest, ReviewStatus
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.integrations.tests import conftest as mail_fixtures

smtp_server = mail_fixtures.smtp_server
huey_immediate = mail_fixtures.huey_immediate
attachments_in_tmp = mail_fixtures.attachments_in_tmp


def make_review(contact, **fields) -> Review:
    fields.setdefault("rating", 4)
    fields.setdefault("text", "Nice")
    fields.setdefault("account", contact.account)
    return Review.objects.create(contact=contact, **fields)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_queue_query_count_does_not_grow_with_rows(web_client, marketer, rep_a):
    # given
    client = web_client(marketer)
    acme = make_account(rep_a)
    for _ in range(3):
        make_review(make_contact(rep_a, account=acme))
    few = _queries(client, "/reviews/")

    # when there are many more rows
    for _ in range(20):
        make_review(make_contact(rep_a, account=acme))

    # then the page costs the same
    assert _queries(client, "/reviews/") == few


def test_queue_shows_pending_by_default_and_filters(web_client, marketer, rep_a):
    ada = make_contact(rep_a)
    make_review(ada, title="Waiting review")
    make_review(ada, title="Approved one", status=ReviewStatus.APPROVED, rating=2)
    client = web_client(marketer)
    page = client.get("/reviews/").content.decode()
    assert "Waiting review" in page and "Approved one" not in page
    page = client.get("/reviews/?status=approved&rating=2").content.decode()
    assert "Approved one" in page and "Waiting review" not in page


def test_htmx_moderation_answers_with_the_row(web_client, marketer, rep_a):
    review = make_review(make_contact(rep_a), publish_consent=True)
    client = web_client(marketer)
    headers = {"HX-Request": "true"}
    row = client.post(f"/reviews/{review.pk}/approve/", headers=headers)
    assert row.status_code == 200 and f'id="review-{review.pk}"' in row.content.decode()
    assert "Feature" in row.content.decode()
    assert 'id="review-summary"' in row.content.decode()
    assert "1 approved review, average 4" in row.content.decode()
    client.post(f"/reviews/{review.pk}/feature/", headers=headers)
    review.refresh_from_db()
    assert (review.status, review.featured) == (ReviewStatus.APPROVED, True)
    # a reason is required to reject: the row shows the error
    row = client.post(f"/reviews/{review.pk}/reject/", {"reason": ""}, headers=headers)
    assert "Say why" in row.content.decode()
    detail = client.post(f"/reviews/{review.pk}/reject/", {"reason": "Spam"})
    assert detail.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.featured, review.rejection_reason) == ("rejected", False, "Spam")
    assert web_client(rep_a).post(f"/reviews/{review.pk}/approve/").status_code == 403
    assert client.post(f"/reviews/{review.pk}/delete/").status_code == 404


def test_detail_and_download(web_client, marketer, rep_a):
    ada = make_contact(rep_a, first_name="Ada", last_name="Byron")
    review = make_review(ada, status=ReviewStatus.APPROVED, publish_consent=True)
    client = web_client(marketer)
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert "anonymous: no permission to show the name" in page
    download = client.get("/reviews/testimonials.csv")
    content = b"".join(download.streaming_content).decode()
    assert download.status_code == 200 and "Nice" in content and "Byron" not in content
    assert web_client(rep_a).get("/reviews/testimonials.csv").status_code == 403


def test_policy_settings_pages(web_client, marketer, rep_a):
    client = web_client(marketer)
    data = {
        "name": "After onboarding",
        "trigger": "onboarding_completed",
        "is_active": "on",
        "delay_days": "3",
        "quiet_days": "90",
        "link_valid_days": "30",
        "email_subject": "Tell us",
    }
    assert client.post("/settings/review-policies/new/", data).status_code == 302
    policy = ReviewPolicy.objects.get()
    assert (policy.delay_days, policy.created_by) == (3, marketer)
    assert "After onboarding" in client.get("/settings/review-policies/").content.decode()
    bad = client.post(f"/settings/review-policies/{policy.pk}/", {**data, "delay_days": "-1"})
    assert bad.status_code == 200 and "delay_days" in bad.context["form"].errors
    assert web_client(rep_a).get("/settings/review-policies/new/").status_code == 403
    assert (
        web_client(rep_a).post(f"/settings/review-policies/{policy.pk}/delete/").status_code == 403
    )
    assert client.post(f"/settings/review-policies/{policy.pk}/delete/").status_code == 302
    assert not ReviewPolicy.objects.exists()


def test_contact_panel_ask_and_log(web_client, rep_a, marketer, smtp_server, huey_immediate):
    # given
    acme = make_account(rep_a)
    ada = make_contact(rep_a, account=acme)
    rep = web_client(rep_a)
    page = rep.get(f"/contacts/{ada.pk}/").content.decode()
    assert "Ask for a review" in page and "Log a review" not in page

    # when the rep asks, then a request is sent and shown
    assert rep.post(f"/contacts/{ada.pk}/ask-for-review/").status_code == 302
    assert ReviewRequest.objects.get().contact == ada
    assert "Last review request: sent" in rep.get(f"/contacts/{ada.pk}/").content.decode()

    # and marketing logs a review received by phone
    client = web_client(marketer)
    logged = client.post(
        f"/contacts/{ada.pk}/log-review/", {"rating": "5", "text": "Told us by phone"}
    )
    assert logged.status_code == 302
    review = Review.objects.get()
    assert (review.contact, review.account, review.request) == (ada, acme, None)
    # account page shows the summary once approved
    client.post(f"/reviews/{review.pk}/approve/")
    account_page = rep.get(f"/accounts/{acme.pk}/").content.decode()
    assert "from 1 approved review" in account_page


def test_product_panel_and_paging_keep_the_filter(web_client, marketer, rep_a):
    from cyclecrm.catalog.models import Product

    bike = Product.objects.create(name="Bike", sku="BIKE-9", unit_price=10)
    ada = make_contact(rep_a)
    Review.objects.bulk_create(
        [Review(contact=ada, rating=5, text=f"r{n}", product=bike) for n in range(52)]
    )
    make_review(ada, title="Old approved", status=ReviewStatus.APPROVED)
    Review.objects.filter(text="r0").update(status=ReviewStatus.APPROVED)
    page = web_client(rep_a).get(f"/products/{bike.pk}/").content.decode()
    assert "from 1 approved review" in page and "51 awaiting moderation" in page
    first = web_client(marketer).get("/reviews/")
    assert first.context["page"].next_cursor and "status=pending" in first.context["next_query"]
    second = web_client(marketer).get(f"/reviews/?{first.context['next_query']}")
    assert [row["review"].status for row in second.context["rows"]] == [ReviewStatus.PENDING]
