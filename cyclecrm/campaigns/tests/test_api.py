"""The campaigns API: CRUD with rights, costs, members, touches, UTM links and attribution."""

import datetime as dt
from decimal import Decimal

import pytest

from cyclecrm.campaigns.models import Campaign, CampaignMember, CampaignTouch, UtmLink
from cyclecrm.campaigns.tests.factories import add_cost, make_campaign
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.leads.tests.factories import make_lead
from cyclecrm.pipeline.tests.factories import make_opportunity
from cyclecrm.segments.models import Segment, SegmentKind, SegmentMember

URL = "/api/v1/campaigns"


def test_marketer_creates_and_updates_a_campaign(api_client, marketer):
    client = api_client(marketer)

    created = client.post(
        URL,
        {"name": "Spring Webinar", "type": "webinar", "budget": "1200.50"},
        content_type="application/json",
    )
    body = created.json()
    patched = client.patch(
        f"{URL}/{body['id']}",
        {"status": "active", "version": body["version"]},
        content_type="application/json",
    )

    assert created.status_code == 201, body
    assert body["code"] == "spring-webinar" and Decimal(body["budget"]) == Decimal("1200.50")
    assert body["owner_id"] == marketer.pk
    assert patched.status_code == 200 and patched.json()["status"] == "active"


def test_errors_name_the_field(api_client, marketer):
    client = api_client(marketer)
    make_campaign(marketer, code="taken")

    bad_budget = client.post(
        URL, {"name": "X", "type": "ads", "budget": "lots"}, content_type="application/json"
    )
    taken = client.post(
        URL, {"name": "Y", "type": "ads", "code": "Taken"}, content_type="application/json"
    )
    dates = client.post(
        URL,
        {"name": "Z", "type": "ads", "start_date": "2026-05-02", "end_date": "2026-05-01"},
        content_type="application/json",
    )

    assert bad_budget.status_code == 422 and "budget" in bad_budget.json()["error"]["fields"]
    assert taken.status_code == 422 and "code" in taken.json()["error"]["fields"]
    assert dates.status_code == 422 and "end_date" in dates.json()["error"]["fields"]


def test_sales_reads_but_may_not_write(api_client, marketer, rep_a):
    campaign = make_campaign(marketer)
    client = api_client(rep_a)

    listing = client.get(URL)
    created = client.post(URL, {"name": "X", "type": "ads"}, content_type="application/json")
    cost = client.post(
        f"{URL}/{campaign.pk}/costs", {"amount": "5"}, content_type="application/json"
    )

    assert [row["id"] for row in listing.json()["items"]] == [campaign.pk]
    assert created.status_code == 403 and cost.status_code == 403


def test_support_agents_do_not_see_campaigns(api_client, marketer, support_agent):
    campaign = make_campaign(marketer)

    response = api_client(support_agent).get(f"{URL}/{campaign.pk}")

    assert response.status_code == 404


def test_list_filters_by_type_and_status_with_keyset_pages(api_client, marketer):
    for i in range(3):
        make_campaign(marketer, name=f"Ads {i}", type="ads", status="active")
    make_campaign(marketer, name="Mail", type="email", status="active")
    make_campaign(marketer, name="Old ads", type="ads", status="completed")
    client = api_client(marketer)

    first = client.get(URL, {"type": "ads", "status": "active", "limit": 2, "ordering": "name"})
    second = client.get(
        URL,
        {
            "type": "ads",
            "status": "active",
            "limit": 2,
            "ordering": "name",
            "cursor": first.json()["next_cursor"],
        },
    )
    bad = client.get(URL, {"type": "radio"})

    names = [row["name"] for row in first.json()["items"] + second.json()["items"]]
    assert names == ["Ads 0", "Ads 1", "Ads 2"] and second.json()["next_cursor"] is None
    assert bad.status_code == 422


def test_costs_members_and_attribution(api_client, marketer, admin, pipeline):
    campaign = make_campaign(marketer)
    contact = make_contact(admin, last_name="Member")
    lead = make_lead(admin, source_campaign=campaign)
    client = api_client(marketer)
    base = f"{URL}/{campaign.pk}"

    cost = client.post(f"{base}/costs", {"amount": "100.00", "category": "media"},
                       content_type="application/json")  # fmt: skip
    added = client.post(f"{base}/members", {"contact_ids": [contact.pk], "lead_ids": [lead.pk]},
                        content_type="application/json")  # fmt: skip
    members = client.get(f"{base}/members").json()["items"]
    member_id = next(m["id"] for m in members if m["contact_id"] == contact.pk)
    status = client.post(f"{base}/members/status",
                         {"member_ids": [member_id], "status": "responded"},
                         content_type="application/json")  # fmt: skip
    deal = make_opportunity(
        admin, pipeline=pipeline, stage_name="Closed won", amount=Decimal("500"), contact=contact
    )
    touched = client.post(f"{base}/touches",
                          {"contact_id": contact.pk, "channel": "email_click",
                           "at": (deal.closed_at - dt.timedelta(days=1)).isoformat()},
                          content_type="application/json")  # fmt: skip
    figures = client.get(f"{base}/attribution").json()

    assert cost.status_code == 201 and added.json() == {"changed": 2}
    assert status.json() == {"changed": 1} and touched.status_code == 201
    assert figures["members"] == {"sent": 1, "responded": 1, "converted": 0}
    assert Decimal(figures["actual_cost"]) == Decimal("100.00")
    assert figures["leads_sourced"] == 1 and figures["customers"] == 1
    assert Decimal(figures["linear"]["revenue"]) == Decimal("500.00")
    assert Decimal(figures["first_touch"]["roi"]) == Decimal("4")
    assert Decimal(figures["cost_per_lead"]) == Decimal("100.00")


def test_members_from_a_segment_and_refusing_unknown_ids(api_client, marketer, admin):
    campaign = make_campaign(marketer)
    people = [make_contact(admin, last_name=f"S{i}") for i in range(3)]
    segment = Segment.objects.create(name="List", kind=SegmentKind.STATIC, owner=marketer)
    for person in people:
        SegmentMember.objects.create(segment=segment, contact=person)
    client = api_client(marketer)
    base = f"{URL}/{campaign.pk}/members"

    added = client.post(base, {"segment_id": segment.pk}, content_type="application/json")
    again = client.post(base, {"segment_id": segment.pk}, content_type="application/json")
    unknown = client.post(base, {"lead_ids": [999999]}, content_type="application/json")

    assert added.json() == {"changed": 3} and again.json() == {"changed": 0}
    assert unknown.status_code == 422 and "lead_ids" in unknown.json()["error"]["fields"]
    assert CampaignMember.objects.filter(campaign=campaign).count() == 3


def test_remove_members(api_client, marketer, admin):
    campaign = make_campaign(marketer)
    contact = make_contact(admin)
    member = CampaignMember.objects.create(campaign=campaign, contact=contact)

    response = api_client(marketer).delete(
        f"{URL}/{campaign.pk}/members", {"member_ids": [member.pk]}, content_type="application/json"
    )

    assert response.json() == {"changed": 1} and not CampaignMember.objects.exists()


def test_touch_is_idempotent_per_day_and_names_a_bad_subject(api_client, marketer, admin):
    campaign = make_campaign(marketer)
    lead = make_lead(admin)
    client = api_client(marketer)
    base = f"{URL}/{campaign.pk}/touches"
    body = {"lead_id": lead.pk, "channel": "web_form"}

    first = client.post(base, body, content_type="application/json")
    second = client.post(base, body, content_type="application/json")
    nobody = client.post(base, {"channel": "manual"}, content_type="application/json")
    hidden = client.post(base, {"opportunity_id": 424242}, content_type="application/json")

    assert first.json()["id"] == second.json()["id"] and CampaignTouch.objects.count() == 1
    assert nobody.status_code == 422 and "lead_id" in nobody.json()["error"]["fields"]
    assert hidden.status_code == 422 and "opportunity_id" in hidden.json()["error"]["fields"]
    assert client.get(base).json()["items"][0]["lead_id"] == lead.pk


def test_utm_builder_and_saved_links(api_client, marketer):
    campaign = make_campaign(marketer, code="spring-launch")
    client = api_client(marketer)
    params = {"base_url": "https://example.com/p?ref=x&utm_source=old#top",
              "utm_source": "newsletter", "utm_medium": "email"}  # fmt: skip

    built = client.post(f"{URL}/utm-builder", {**params, "campaign_id": campaign.pk},
                        content_type="application/json")  # fmt: skip
    saved = client.post(f"{URL}/{campaign.pk}/utm-links", params, content_type="application/json")
    ftp = {"base_url": "ftp://x", "utm_source": "a", "utm_medium": "b", "utm_campaign": "c"}
    bad = client.post(f"{URL}/utm-builder", ftp, content_type="application/json")

    expected = (
        "https://example.com/p?ref=x&utm_source=newsletter&utm_medium=email"
        "&utm_campaign=spring-launch#top"
    )
    assert built.json() == {"url": expected}
    assert saved.status_code == 201 and UtmLink.objects.get().url == expected
    assert bad.status_code == 422 and "base_url" in bad.json()["error"]["fields"]


def test_list_query_count_does_not_grow(api_client, marketer, django_assert_max_num_queries):
    for i in range(30):
        add_cost(make_campaign(marketer, name=f"C{i}"), "1")
    client = api_client(marketer)
    client.get(URL)

    with django_assert_max_num_queries(9):  # auth and rights, the page, its tags
        response = client.get(URL, {"limit": 30})

    assert len(response.json()["items"]) == 30


def test_delete_keeps_sourced_leads(api_client, marketer, admin):
    campaign = make_campaign(marketer)
    lead = make_lead(admin, source_campaign=campaign)

    response = api_client(marketer).delete(f"{URL}/{campaign.pk}")

    lead.refresh_from_db()
    assert response.status_code == 204 and not Campaign.objects.exists()
    assert lead.source_campaign_id is None


def test_lead_and_opportunity_api_show_their_source_campaign(api_client, admin, pipeline):
    campaign = make_campaign(admin)
    lead = make_lead(admin, source_campaign=campaign)
    deal = make_opportunity(admin, pipeline=pipeline, campaign=campaign)
    client = api_client(admin)

    assert client.get(f"/api/v1/leads/{lead.pk}").json()["source_campaign_id"] == campaign.pk
    assert client.get(f"/api/v1/opportunities/{deal.pk}").json()["campaign_id"] == campaign.pk


@pytest.mark.parametrize(
    ("role", "may_read", "may_create"),
    [
        ("admin", True, True),
        ("manager", True, True),
        ("marketer", True, True),
        ("rep_a", True, False),
        ("support_agent", False, False),
    ],
)
def test_role_matrix(request, api_client, marketer, role, may_read, may_create):
    campaign = make_campaign(marketer)
    client = api_client(request.getfixturevalue(role))

    read = client.get(f"{URL}/{campaign.pk}")
    created = client.post(URL, {"name": f"By {role}", "type": "content"},
                          content_type="application/json")  # fmt: skip

    assert (read.status_code == 200) is may_read
    assert (created.status_code == 201) is may_create
