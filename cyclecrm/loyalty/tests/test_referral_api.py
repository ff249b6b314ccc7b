"""The referral API and pages: codes, the lead and contact APIs carrying `referral_code`, the
public capture form carrying `ref`, lists scoped by the referrer contact, statistics."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cyclecrm.catalog.models import Order
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.leads.models import CaptureForm, Lead
from cyclecrm.loyalty.models import Referral, ReferralCode, ReferralSource, ReferralStatus
from cyclecrm.loyalty.referral_selectors import referral_stats
from cyclecrm.loyalty.referrals import referral_attach, referral_code_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def rita(rep_a):
    return make_contact(rep_a, first_name="Rita", last_name="Ref", email="rita@acme.example")


@pytest.fixture
def code(admin, rita):
    return referral_code_create(actor=admin, contact=rita)


def _referral(admin, code, name: str, status: str = ReferralStatus.PENDING) -> Referral:
    contact = make_contact(admin, last_name=name)
    referral = referral_attach(
        actor=admin, code=code, source=ReferralSource.MANUAL, contact=contact
    )
    Referral.objects.filter(pk=referral.pk).update(status=status)
    return referral


def test_post_code_creates_then_returns_the_same_code(api_client, rep_a, rita):
    client = api_client(rep_a)
    first = client.post("/api/v1/referrals/codes", {"contact_id": rita.pk}, "application/json")
    again = client.post("/api/v1/referrals/codes", {"contact_id": rita.pk}, "application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["code"] == again.json()["code"]
    assert first.json()["link"].endswith(f"?ref={first.json()['code']}")
    got = client.get(f"/api/v1/referrals/codes/{rita.pk}")
    assert got.status_code == 200 and got.json()["code"] == first.json()["code"]


def test_codes_of_invisible_contacts_are_404(api_client, rep_b, rita, code):
    client = api_client(rep_b)
    created = client.post("/api/v1/referrals/codes", {"contact_id": rita.pk}, "application/json")
    assert created.status_code == 404
    assert client.get(f"/api/v1/referrals/codes/{rita.pk}").status_code == 404


def test_lead_api_attributes_and_names_an_unknown_code(api_client, admin, code):
    client = api_client(admin)
    bad = client.post(
        "/api/v1/leads", {"last_name": "Neu", "referral_code": "QQQQ2222"}, "application/json"
    )
    assert bad.status_code == 422 and "referral_code" in bad.json()["error"]["fields"]
    good = client.post(
        "/api/v1/leads", {"last_name": "Neu", "referral_code": code.code}, "application/json"
    )
    assert good.status_code == 201 and good.json()["referral_code"] == code.code
    referral = Referral.objects.get(lead_id=good.json()["id"])
    assert referral.source == ReferralSource.API and referral.referrer_id == code.contact_id


def test_contact_api_attributes_the_new_contact(api_client, admin, code):
    response = api_client(admin).post(
        "/api/v1/contacts", {"last_name": "Kunde", "referral_code": code.code}, "application/json"
    )
    assert response.status_code == 201
    assert Referral.objects.get(contact_id=response.json()["id"]).referrer == code.contact


def test_public_form_carries_ref_and_ignores_unknown_codes(client, admin, code):
    form = CaptureForm.objects.create(
        name="Refer a friend", public_key="refer", fields=["last_name", "email"]
    )
    page = client.get(f"/f/{form.public_key}/?ref={code.code}").content.decode()
    assert f'name="ref" value="{code.code}"' in page
    client.post(f"/f/{form.public_key}/", {"last_name": "Neu", "ref": code.code})
    lead = Lead.objects.get(last_name="Neu")
    assert lead.referral_code == code.code
    assert Referral.objects.get(lead=lead).source == ReferralSource.FORM
    response = client.post(f"/f/{form.public_key}/", {"last_name": "Spam", "ref": "NOPE2222"})
    assert response.status_code == 200
    spam = Lead.objects.get(last_name="Spam")
    assert spam.referral_code == "" and not Referral.objects.filter(lead=spam).exists()


def test_list_is_scoped_by_the_referrer_and_filters_by_status(api_client, admin, rep_b, code):
    _referral(admin, code, "One")
    _referral(admin, code, "Two", ReferralStatus.CONVERTED)
    client = api_client(admin)
    converted = client.get("/api/v1/referrals?status=converted").json()["items"]
    assert [row["status"] for row in converted] == ["converted"]
    first = client.get("/api/v1/referrals?limit=1").json()
    second = client.get(f"/api/v1/referrals?limit=1&cursor={first['next_cursor']}").json()
    assert {first["items"][0]["id"], second["items"][0]["id"]} == set(
        Referral.objects.values_list("id", flat=True)
    )
    assert api_client(rep_b).get("/api/v1/referrals").json()["items"] == []
    one = Referral.objects.first()
    assert api_client(rep_b).get(f"/api/v1/referrals/{one.pk}").status_code == 404


def test_stats_count_rate_revenue_and_rank_referrers(api_client, admin, code):
    converted = _referral(admin, code, "Buyer", ReferralStatus.CONVERTED)
    _referral(admin, code, "Maybe")
    _referral(admin, code, "Self", ReferralStatus.REFUSED)
    other = referral_code_create(actor=admin, contact=make_contact(admin, last_name="Otto"))
    _referral(admin, other, "Other")
    after, before = timezone.now() + dt.timedelta(hours=1), converted.created_at - dt.timedelta(1)
    orders = [("A", "100.00", "paid", after), ("B", "50.00", "fulfilled", after),
              ("C", "999.00", "cancelled", after), ("D", "70.00", "paid", before)]  # fmt: skip
    for number, total, status, ordered_at in orders:
        Order.objects.create(
            number=number, contact=converted.contact, total=Decimal(total), currency="EUR",
            status=status, ordered_at=ordered_at,
        )  # fmt: skip
    body = api_client(admin).get("/api/v1/referrals/stats").json()
    assert (body["sent"], body["converted"], body["refused"], body["pending"]) == (4, 1, 1, 2)
    assert body["conversion_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert Decimal(body["revenue"]["EUR"]) == Decimal("150.00")
    assert [row["name"] for row in body["top_referrers"]] == ["Rita Ref", "Ada Otto"]


def test_stats_only_count_visible_referrals(rep_b, admin, code):
    _referral(admin, code, "Hidden")
    assert referral_stats(actor=rep_b).sent == 0
    assert referral_stats(actor=admin).sent == 1


def test_referral_page_shows_figures_and_rows(web_client, admin, code):
    _referral(admin, code, "Shown", ReferralStatus.CONVERTED)
    page = web_client(admin).get("/referrals/").content.decode()
    assert 'data-stat="sent">1<' in page and "Shown" in page and "Rita Ref" in page


def test_referral_page_query_count_does_not_grow(
    web_client, admin, code, django_assert_max_num_queries
):
    for number in range(30):
        _referral(admin, code, f"Friend {number}")
    client = web_client(admin)
    client.get("/referrals/")
    with django_assert_max_num_queries(14):
        response = client.get("/referrals/")
    assert response.content.decode().count("Friend ") == 30


def test_contact_panel_creates_and_shows_the_code(web_client, rep_a, rita):
    client = web_client(rep_a)
    page = client.get(f"/contacts/{rita.pk}/").content.decode()
    assert "Create a referral code" in page
    client.post(f"/referrals/codes/{rita.pk}/")
    code = ReferralCode.objects.get(contact=rita)
    page = client.get(f"/contacts/{rita.pk}/").content.decode()
    assert code.code in page and f"?ref={code.code}" in page


def test_a_contact_page_says_who_referred_the_contact(web_client, admin, code):
    referral = _referral(admin, code, "Newbie")
    page = web_client(admin).get(f"/contacts/{referral.contact_id}/").content.decode()
    assert 'id="referred-by"' in page and "Rita Ref" in page


def test_staff_record_a_referral_by_hand_once(api_client, rep_a, rita):
    friend = make_contact(rep_a, last_name="Friend", email="friend@else.example")
    client = api_client(rep_a)
    body = {"referrer_id": rita.pk, "contact_id": friend.pk}
    created = client.post("/api/v1/referrals", body, "application/json")
    assert created.status_code == 201
    assert (created.json()["source"], created.json()["status"]) == ("manual", "pending")
    assert created.json()["code"] == ReferralCode.objects.get(contact=rita).code
    again = client.post("/api/v1/referrals", body, "application/json")
    assert again.status_code == 409 and "contact_id" in again.json()["error"]["fields"]


def test_recording_by_hand_needs_edit_rights_and_one_target(api_client, rep_a, rep_b, rita):
    theirs = make_contact(rep_b, last_name="Theirs")
    client = api_client(rep_a)
    hidden = client.post(
        "/api/v1/referrals", {"referrer_id": rita.pk, "contact_id": theirs.pk}, "application/json"
    )
    assert hidden.status_code == 404
    neither = client.post("/api/v1/referrals", {"referrer_id": rita.pk}, "application/json")
    assert neither.status_code == 422 and "contact_id" in neither.json()["error"]["fields"]
    assert not Referral.objects.exists()


def test_stats_accept_any_utc_offset_pydantic_accepts(api_client, admin, code):
    """PostgreSQL refuses literal offsets beyond ±15:59; the period is resolved to UTC first."""
    _referral(admin, code, "Early")
    response = api_client(admin).get(
        "/api/v1/referrals/stats", {"until": "2549-03-22T19:57:11-21:03"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["sent"] == 1
