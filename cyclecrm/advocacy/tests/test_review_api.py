"""Review API: policies CRUD, moderation rules and rights, keyset list with filters, the
testimonials export (never a name the customer did not allow), summaries, logged reviews."""

import csv
import io

import pytest

from cyclecrm.advocacy.models import Review, ReviewPolicy, ReviewStatus
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.integrations.tests import conftest as mail_fixtures

smtp_server = mail_fixtures.smtp_server
huey_immediate = mail_fixtures.huey_immediate
attachments_in_tmp = mail_fixtures.attachments_in_tmp

JSON = "application/json"


def make_review(contact, **fields) -> Review:
    fields.setdefault("rating", 5)
    fields.setdefault("text", "Very good")
    fields.setdefault("account", contact.account)
    return Review.objects.create(contact=contact, **fields)


def test_policy_crud_for_marketing_read_only_for_reps(api_client, marketer, rep_a):
    # given
    client = api_client(marketer)
    body = {"name": "After won deals", "trigger": "opportunity_won", "email_subject": "Hi"}

    # when
    created = client.post("/api/v1/review-policies", body, content_type=JSON)

    # then
    assert created.status_code == 201, created.content
    policy = created.json()
    assert (policy["delay_days"], policy["quiet_days"], policy["is_active"]) == (0, 90, True)
    url = f"/api/v1/review-policies/{policy['id']}"
    patched = client.patch(url, {"delay_days": 7, "version": 1}, content_type=JSON)
    assert patched.json()["delay_days"] == 7
    assert client.patch(url, {"delay_days": 8, "version": 1}, content_type=JSON).status_code == 409
    bad = client.post("/api/v1/review-policies", {**body, "trigger": "x"}, content_type=JSON)
    assert bad.status_code == 422 and "trigger" in str(bad.json()["error"]["fields"])
    rep = api_client(rep_a)
    assert rep.get(url).status_code == 200
    assert rep.post("/api/v1/review-policies", body, content_type=JSON).status_code == 403
    assert rep.delete(url).status_code == 403
    assert client.delete(url).status_code == 204
    assert not ReviewPolicy.objects.exists()


def test_moderation_and_featuring_rules(api_client, marketer, rep_a):
    # given
    ada = make_contact(rep_a)
    private = make_review(ada, publish_consent=False)
    public = make_review(ada, publish_consent=True)
    client = api_client(marketer)

    # then a rep may read but not moderate
    assert api_client(rep_a).post(f"/api/v1/reviews/{public.pk}/approve").status_code == 403
    # a pending review cannot be featured
    early = client.post(f"/api/v1/reviews/{public.pk}/feature")
    assert early.status_code == 409 and "featured" in early.json()["error"]["fields"]
    approved = client.post(f"/api/v1/reviews/{public.pk}/approve").json()
    assert approved["status"] == "approved" and approved["moderated_by_id"] == marketer.pk
    featured = client.post(f"/api/v1/reviews/{public.pk}/feature").json()
    assert featured["featured"] is True
    # without permission to publish, never featured
    client.post(f"/api/v1/reviews/{private.pk}/approve")
    assert client.post(f"/api/v1/reviews/{private.pk}/feature").status_code == 409
    # rejecting needs a reason and unfeatures
    url = f"/api/v1/reviews/{public.pk}/reject"
    assert client.post(url, {"reason": " "}, content_type=JSON).status_code == 422
    rejected = client.post(url, {"reason": "Names a competitor"}, content_type=JSON).json()
    assert (rejected["status"], rejected["featured"]) == ("rejected", False)
    assert rejected["rejection_reason"] == "Names a competitor"
    history = client.get(f"/api/v1/reviews/{public.pk}/history").json()["items"]
    assert history[0]["changes"]["status"] == ["approved", "rejected"]


def test_list_filters_and_keyset_pages(api_client, marketer, rep_a):
    acme = make_account(rep_a)
    ada = make_contact(rep_a, account=acme)
    bob = make_contact(rep_a)
    for rating in (1, 3, 5):
        make_review(ada, rating=rating)
    make_review(bob, rating=5, status=ReviewStatus.APPROVED)
    client = api_client(marketer)
    page = client.get("/api/v1/reviews?limit=2").json()
    rest = client.get(f"/api/v1/reviews?limit=2&cursor={page['next_cursor']}").json()
    assert len(page["items"]) == 2 and len(rest["items"]) == 2 and rest["next_cursor"] is None
    assert {r["id"] for r in page["items"]} | {r["id"] for r in rest["items"]} == set(
        Review.objects.values_list("id", flat=True)
    )
    by_account = client.get(f"/api/v1/reviews?account={acme.pk}&rating=5").json()["items"]
    assert [r["contact_id"] for r in by_account] == [ada.pk]
    approved = client.get("/api/v1/reviews?status=approved").json()["items"]
    assert [r["contact_id"] for r in approved] == [bob.pk]
    assert client.get("/api/v1/reviews?status=nope").status_code == 422
    assert client.get("/api/v1/reviews?rating=6").status_code == 422


def test_testimonials_show_only_what_the_customer_allowed(api_client, marketer, rep_a):
    # given
    acme = make_account(rep_a, name="Acme")
    ada = make_contact(rep_a, account=acme, first_name="Ada", last_name="Lovelace")
    approved = {"status": ReviewStatus.APPROVED, "publish_consent": True}
    make_review(ada, text="anonymous", **approved)
    make_review(ada, text="named", publish_name=True, **approved)
    make_review(ada, text="=HYPERLINK(1)", publish_company=True, featured=True, **approved)
    make_review(ada, text="private", status=ReviewStatus.APPROVED)
    make_review(ada, text="pending", publish_consent=True, publish_name=True)

    # when
    client = api_client(marketer)
    rows = client.get("/api/v1/reviews/testimonials").json()
    response = client.get("/api/v1/reviews/testimonials?format=csv")

    # then
    shown = {row["text"]: (row["author"], row["company"]) for row in rows}
    assert shown == {
        "anonymous": ("", ""),
        "named": ("Ada Lovelace", ""),
        "=HYPERLINK(1)": ("", "Acme"),
    }
    assert rows[0]["featured"] is True
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    table = list(csv.DictReader(io.StringIO(text)))
    assert {row["text"] for row in table} == {"anonymous", "named", "'=HYPERLINK(1)"}
    assert "Lovelace" not in "".join(r["author"] for r in table if r["text"] != "named")
    # a rep has no export right
    assert api_client(rep_a).get("/api/v1/reviews/testimonials").status_code == 403


def test_summary_per_account_and_product(api_client, rep_a, admin):
    from cyclecrm.catalog.models import Product

    acme = make_account(rep_a)
    ada = make_contact(rep_a, account=acme)
    bike = Product.objects.create(name="Bike", sku="BIKE-1", unit_price=100)
    make_review(ada, rating=5, status=ReviewStatus.APPROVED, product=bike)
    make_review(ada, rating=4, status=ReviewStatus.APPROVED)
    make_review(ada, rating=1, status=ReviewStatus.REJECTED)
    make_review(ada, rating=2)
    client = api_client(rep_a)
    summary = client.get(f"/api/v1/reviews/summary?account={acme.pk}").json()
    assert summary == {
        "count": 2,
        "average": 4.5,
        "pending": 1,
        "by_rating": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1},
    }
    assert client.get(f"/api/v1/reviews/summary?product={bike.pk}").json()["count"] == 1


def test_staff_log_a_review_received_elsewhere(api_client, marketer, rep_a, rep_b):
    ada = make_contact(rep_a)
    body = {"contact_id": ada.pk, "rating": 4, "text": "Said so at the fair", "publish_name": True}
    created = api_client(marketer).post("/api/v1/reviews", body, content_type=JSON)
    assert created.status_code == 201, created.content
    review = created.json()
    assert (review["status"], review["request_id"], review["publish_name"]) == (
        "pending",
        None,
        False,
    )
    assert api_client(rep_a).post("/api/v1/reviews", body, content_type=JSON).status_code == 403
    hidden = api_client(rep_b).post("/api/v1/reviews", body, content_type=JSON)
    assert hidden.status_code == 422 and "contact_id" in hidden.json()["error"]["fields"]


@pytest.mark.parametrize("email", ["", "ada@example.com"])
def test_ask_for_a_review_through_the_api(api_client, rep_a, email, smtp_server, huey_immediate):
    ada = make_contact(rep_a, email=email)
    response = api_client(rep_a).post(
        "/api/v1/review-requests", {"contact_id": ada.pk}, content_type=JSON
    )
    if email:
        assert response.status_code == 201 and response.json()["trigger"] == "manual"
        listed = api_client(rep_a).get(f"/api/v1/review-requests?contact={ada.pk}").json()
        assert [r["contact_id"] for r in listed["items"]] == [ada.pk]
    else:
        assert response.status_code == 422
        assert response.json()["error"]["fields"] == {"contact": ["has no e-mail address"]}
