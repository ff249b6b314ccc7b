"""A mailing linked to a campaign: its recipients become members when sent, a tracked click
records a touch and moves the member to responded; linking needs the campaign's edit right."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cyclecrm.campaigns.models import CampaignMember, CampaignTouch, MemberStatus, TouchChannel
from cyclecrm.campaigns.selectors import campaign_figures
from cyclecrm.campaigns.tests.factories import make_campaign
from cyclecrm.mailings import tokens
from cyclecrm.mailings.selectors import mailing_stats
from cyclecrm.mailings.services.audience import mailing_start
from cyclecrm.mailings.services.campaign_link import all_sent_members
from cyclecrm.mailings.services.mailings import mailing_update
from cyclecrm.mailings.services.sending import mailing_send_batch
from cyclecrm.mailings.services.tracking import track_click
from cyclecrm.pipeline.tests.factories import make_opportunity, make_pipeline

pytestmark = pytest.mark.django_db
JSON = "application/json"


def members(campaign) -> dict[int, str]:
    return dict(
        CampaignMember.objects.filter(campaign=campaign).values_list("contact_id", "status")
    )


def test_sent_recipients_become_members_and_a_click_a_response(
    marketer, mailing, audience, smtp_server
):
    campaign = make_campaign(marketer)
    CampaignMember.objects.create(
        campaign=campaign, contact=audience["bob"], status=MemberStatus.CONVERTED
    )
    mailing = mailing_update(actor=marketer, mailing=mailing, data={"campaign_id": campaign.pk})

    mailing_start(actor=marketer, mailing=mailing)
    mailing_send_batch(mailing_id=mailing.pk)
    joined_again = all_sent_members(mailing)
    after_send = members(campaign)
    ada = mailing.recipients.get(contact=audience["ada"])
    link = mailing.links.get()
    signed = tokens.sign("click", f"{ada.token}.{link.pk}")
    track_click(signed=signed)
    track_click(signed=signed)

    # only the two who got the message; Bob keeps his later status
    assert after_send == {audience["ada"].pk: "sent", audience["bob"].pk: "converted"}
    assert joined_again == 0
    assert members(campaign)[audience["ada"].pk] == MemberStatus.RESPONDED
    touches = CampaignTouch.objects.filter(campaign=campaign)
    assert list(touches.values_list("contact_id", "channel")) == [
        (audience["ada"].pk, TouchChannel.EMAIL_CLICK)
    ]


def test_clicks_of_a_mailing_without_campaign_touch_nothing(marketer, mailing, smtp_server):
    mailing_start(actor=marketer, mailing=mailing)
    mailing_send_batch(mailing_id=mailing.pk)
    recipient = mailing.recipients.filter(sent_at__isnull=False).first()
    link = mailing.links.get()

    assert track_click(signed=tokens.sign("click", f"{recipient.token}.{link.pk}"))
    assert not CampaignTouch.objects.exists() and not CampaignMember.objects.exists()


def test_linking_needs_the_campaigns_edit_right(
    api_client, web_client, marketer, rep_a, segment, mailing
):
    campaign = make_campaign(marketer)
    body = {"name": "R", "subject": "S", "segment_id": segment.pk, "campaign_id": campaign.pk}

    refused = api_client(rep_a).post("/api/v1/mailings", body, content_type=JSON)
    allowed = api_client(marketer).post("/api/v1/mailings", body, content_type=JSON)
    mailing_update(actor=marketer, mailing=mailing, data={"campaign_id": campaign.pk})
    page = web_client(marketer).get(f"/mailings/{mailing.pk}/").content.decode()

    assert refused.status_code == 422
    assert "campaign_id" in refused.json()["error"]["fields"]
    assert allowed.status_code == 201 and allowed.json()["campaign_id"] == campaign.pk
    assert f'href="/campaigns/{campaign.pk}/"' in page


def test_mailing_conversions_and_campaign_customers_follow_their_definitions(
    admin, marketer, mailing, audience, smtp_server
):
    campaign = make_campaign(marketer)
    mailing = mailing_update(actor=marketer, mailing=mailing, data={"campaign_id": campaign.pk})
    mailing_start(actor=marketer, mailing=mailing)
    mailing_send_batch(mailing_id=mailing.pk)
    ada = mailing.recipients.get(contact=audience["ada"])
    track_click(signed=tokens.sign("click", f"{ada.token}.{mailing.links.get().pk}"))
    pipeline = make_pipeline("Sales", is_default=True)
    later = timezone.now() + dt.timedelta(hours=1)
    for name in ("ada", "bob"):  # both buy; only Ada clicked
        make_opportunity(
            admin, pipeline=pipeline, stage_name="Closed won", amount=Decimal("100.00"),
            contact=audience[name], created_at=later,
        )  # fmt: skip

    # a mailing conversion needs only the message; a campaign customer needs a touch
    assert mailing_stats(mailing=mailing)["conversions"] == 2
    assert campaign_figures(campaign=campaign).customers == 1
