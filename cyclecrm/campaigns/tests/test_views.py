"""Campaign pages: list with filters and keyset pages (query count), detail figures and tabs,
the form, costs and members through the page, the htmx UTM preview, and the record panels."""

import datetime as dt
from decimal import Decimal

from cyclecrm.campaigns.models import Campaign, CampaignCost, CampaignMember, UtmLink
from cyclecrm.campaigns.tests.factories import add_cost, make_campaign, touch
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.leads.tests.factories import make_lead
from cyclecrm.pipeline.tests.factories import make_opportunity


def test_list_filters_by_type_and_status(web_client, marketer):
    make_campaign(marketer, name="Summer ads", type="ads", status="active")
    make_campaign(marketer, name="Newsletter", type="email", status="active")
    make_campaign(marketer, name="Old ads", type="ads", status="completed")

    page = web_client(marketer).get("/campaigns/", {"type": "ads", "status": "active"})

    text = page.content.decode()
    assert "Summer ads" in text and "Newsletter" not in text and "Old ads" not in text


def test_list_query_count_does_not_grow_and_pages_by_cursor(
    web_client, marketer, django_assert_max_num_queries
):
    for i in range(60):
        add_cost(make_campaign(marketer, name=f"Camp {i:02}"), "10")
    client = web_client(marketer)
    client.get("/campaigns/")

    with django_assert_max_num_queries(11):
        first = client.get("/campaigns/", {"ordering": "name"})

    text = first.content.decode()
    assert text.count("Camp ") == 50 and "Camp 49" in text and "Camp 50" not in text
    more = first.context["page"].next_cursor
    second = client.get("/campaigns/", {"ordering": "name", "cursor": more}, HTTP_HX_REQUEST="true")
    assert second.content.decode().count("Camp ") == 10 and "Camp 59" in second.content.decode()


def test_detail_shows_the_figures(web_client, marketer, admin, pipeline):
    campaign = make_campaign(marketer, budget=Decimal("1000"))
    add_cost(campaign, "200.00")
    contact = make_contact(admin, last_name="Buyer")
    make_lead(admin, source_campaign=campaign)
    deal = make_opportunity(
        admin, pipeline=pipeline, stage_name="Closed won", amount=Decimal("800"), contact=contact
    )
    touch(campaign, deal.closed_at - dt.timedelta(days=3), contact=contact)

    response = web_client(marketer).get(f"/campaigns/{campaign.pk}/")

    text = response.content.decode()
    figures = response.context["figures"]
    assert figures.revenue["linear"] == Decimal("800.00") and figures.roi["linear"] == Decimal("3")
    assert 'id="figure-actual-cost">200.00<' in text
    assert 'id="figure-leads">1<' in text and "300 %" in text


def test_tabs_render(web_client, marketer, admin):
    campaign = make_campaign(marketer)
    lead = make_lead(admin, last_name="Tabbed")
    CampaignMember.objects.create(campaign=campaign, lead=lead)
    touch(campaign, dt.datetime(2026, 1, 5, tzinfo=dt.UTC), lead=lead)
    client = web_client(marketer)

    for tab in ("overview", "members", "links", "touches"):
        response = client.get(f"/campaigns/{campaign.pk}/", {"tab": tab})
        assert response.status_code == 200, tab
    members = client.get(f"/campaigns/{campaign.pk}/", {"tab": "members"}).content.decode()
    assert "Tabbed" in members


def test_create_edit_and_field_errors(web_client, marketer):
    client = web_client(marketer)
    form = {"name": "Launch", "type": "event", "status": "planned", "budget": "500"}

    created = client.post("/campaigns/new/", form)
    campaign = Campaign.objects.get()
    bad = client.post(f"/campaigns/{campaign.pk}/edit/", {**form, "budget": "-3"})
    edited = client.post(f"/campaigns/{campaign.pk}/edit/", {**form, "status": "active"})

    assert created.status_code == 302 and campaign.code == "launch"
    assert bad.status_code == 200 and "Cannot be negative." in bad.content.decode()
    campaign.refresh_from_db()
    assert edited.status_code == 302 and campaign.status == "active"


def test_sales_may_not_create(web_client, rep_a):
    assert web_client(rep_a).get("/campaigns/new/").status_code == 403


def test_costs_and_members_through_the_page(web_client, marketer, admin):
    campaign = make_campaign(marketer)
    contacts = [make_contact(admin) for _ in range(2)]
    client = web_client(marketer)
    ids = ", ".join(str(c.pk) for c in contacts)

    client.post(f"/campaigns/{campaign.pk}/costs/", {"amount": "12.50", "category": "media"})
    client.post(f"/campaigns/{campaign.pk}/members/", {"action": "add", "contact_ids": ids})
    member = CampaignMember.objects.order_by("id").first()
    client.post(
        f"/campaigns/{campaign.pk}/members/",
        {"action": "status", "member_ids": str(member.pk), "status": "responded"},
    )

    assert CampaignCost.objects.get().amount == Decimal("12.50")
    assert CampaignMember.objects.count() == 2
    member.refresh_from_db()
    assert member.status == "responded"


def test_utm_preview_and_save(web_client, marketer):
    campaign = make_campaign(marketer, code="fall")
    client = web_client(marketer)
    fields = {"base_url": "https://ex.com/?a=1#x", "utm_source": "li", "utm_medium": "social",
              "utm_campaign": "fall"}  # fmt: skip

    preview = client.post(f"/campaigns/{campaign.pk}/utm/", fields, HTTP_HX_REQUEST="true")
    broken = client.post(f"/campaigns/{campaign.pk}/utm/", {**fields, "base_url": "nope"})
    client.post(f"/campaigns/{campaign.pk}/utm/", {**fields, "action": "save"})

    assert (
        "https://ex.com/?a=1&amp;utm_source=li&amp;utm_medium=social&amp;utm_campaign=fall#x"
        in (preview.content.decode())
    )
    assert "base_url" in broken.content.decode()
    assert UtmLink.objects.get().url.endswith("utm_campaign=fall#x")


def test_lead_and_opportunity_pages_show_campaigns(web_client, admin, pipeline, t0):
    source = make_campaign(admin, name="Sourcing webinar")
    other = make_campaign(admin, name="Retargeting ads")
    lead = make_lead(admin, source_campaign=source)
    deal = make_opportunity(admin, pipeline=pipeline, campaign=source)
    lead.converted_opportunity = deal
    lead.save()
    touch(other, t0, lead=lead)
    client = web_client(admin)

    lead_page = client.get(f"/leads/{lead.pk}/").content.decode()
    deal_page = client.get(f"/opportunities/{deal.pk}/").content.decode()

    for page in (lead_page, deal_page):
        assert 'id="record-campaigns"' in page
        assert "Sourcing webinar" in page and "Retargeting ads" in page


def test_support_agents_see_no_campaign_card(web_client, support_agent, admin):
    lead = make_lead(support_agent, source_campaign=make_campaign(admin))

    response = web_client(support_agent).get(f"/leads/{lead.pk}/")

    assert response.status_code in (200, 404)
    assert 'id="record-campaigns"' not in response.content.decode()


def test_detail_query_count_does_not_grow_with_deals(
    web_client, marketer, admin, pipeline, t0, django_assert_max_num_queries
):
    campaign = make_campaign(marketer)
    add_cost(campaign, "50")
    for i in range(20):
        contact = make_contact(admin, last_name=f"D{i}")
        make_opportunity(admin, pipeline=pipeline, stage_name="Closed won", contact=contact)
        touch(campaign, t0 - dt.timedelta(days=400), contact=contact)
        CampaignMember.objects.create(campaign=campaign, contact=contact)
    client = web_client(marketer)
    client.get(f"/campaigns/{campaign.pk}/")

    with django_assert_max_num_queries(20):
        response = client.get(f"/campaigns/{campaign.pk}/")

    assert response.context["figures"].customers == 20
