"""Campaign services: the UTM builder, touches (idempotency), members' statuses, costs, capture
forms naming a campaign, and what a lead's conversion carries over."""

import datetime as dt
from decimal import Decimal

import pytest

from cyclecrm.campaigns import services
from cyclecrm.campaigns.models import CampaignMember, CampaignTouch, MemberStatus, TouchChannel
from cyclecrm.campaigns.tests.factories import make_campaign, touch
from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.leads.capture.testing import make_capture_form, submit_json
from cyclecrm.leads.models import Lead
from cyclecrm.leads.services import lead_convert
from cyclecrm.leads.tests.factories import make_lead


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://ex.com", "https://ex.com?utm_source=s&utm_medium=m&utm_campaign=c"),
        ("https://ex.com/a?b=1&b=2", "https://ex.com/a?b=1&b=2&utm_source=s&utm_medium=m&utm_campaign=c"),
        ("http://ex.com/#frag", "http://ex.com/?utm_source=s&utm_medium=m&utm_campaign=c#frag"),
        ("https://ex.com/?utm_medium=old&x=", "https://ex.com/?x=&utm_source=s&utm_medium=m&utm_campaign=c"),
    ],
)  # fmt: skip
def test_utm_builder_keeps_query_and_fragment(base, expected):
    built = services.utm_build(base_url=base, utm_source="s", utm_medium="m", utm_campaign="c")

    assert built.url == expected


def test_utm_builder_encodes_values_and_optional_parts():
    built = services.utm_build(
        base_url="https://ex.com/p",
        utm_source="news letter",
        utm_medium="e-mail",
        utm_campaign="spring&summer",
        utm_term="crm tool",
        utm_content="",
    )

    assert built.url == (
        "https://ex.com/p?utm_source=news+letter&utm_medium=e-mail"
        "&utm_campaign=spring%26summer&utm_term=crm+tool"
    )


@pytest.mark.parametrize(
    ("base", "field"),
    [
        ("", "base_url"),
        ("example.com/page", "base_url"),
        ("javascript:alert(1)", "base_url"),
        ("https://exa mple.com", "base_url"),
        ("https://ex.com:99999/", "base_url"),
    ],
)
def test_utm_builder_refuses_bad_urls(base, field):
    with pytest.raises(ValidationFailed) as caught:
        services.utm_build(base_url=base, utm_source="s", utm_medium="m", utm_campaign="c")

    assert field in caught.value.fields


def test_utm_builder_requires_source_and_medium():
    with pytest.raises(ValidationFailed) as caught:
        services.utm_build(base_url="https://ex.com", utm_campaign="c")

    assert set(caught.value.fields) == {"utm_source", "utm_medium"}


def test_record_touch_is_idempotent_per_day_and_channel(admin, t0):
    campaign = make_campaign(admin)
    lead = make_lead(admin)

    first = services.record_touch(campaign=campaign, lead=lead, channel="email_click", at=t0)
    same_day = services.record_touch(
        campaign=campaign, lead=lead, channel="email_click", at=t0 + dt.timedelta(hours=5)
    )
    other_channel = services.record_touch(campaign=campaign, lead=lead, channel="web_form", at=t0)
    next_day = services.record_touch(
        campaign=campaign, lead=lead, channel="email_click", at=t0 + dt.timedelta(days=1)
    )

    assert same_day.pk == first.pk and same_day.touched_at == t0
    assert len({first.pk, other_channel.pk, next_day.pk}) == 3


def test_record_touch_refuses_unknown_channel_and_checks_the_actor(admin, rep_a):
    campaign = make_campaign(admin)
    lead = make_lead(admin)

    with pytest.raises(ValidationFailed) as caught:
        services.record_touch(campaign=campaign, lead=lead, channel="pigeon")
    with pytest.raises(Forbidden):
        services.record_touch(campaign=campaign, lead=lead, channel="manual", actor=rep_a)

    assert "channel" in caught.value.fields and not CampaignTouch.objects.exists()


def test_member_status_moves_stamp_times(marketer, admin):
    campaign = make_campaign(marketer)
    contact = make_contact(admin)
    services.members_add(actor=marketer, campaign=campaign, contact_ids=[contact.pk])
    member = CampaignMember.objects.get()

    services.member_status_set(
        actor=marketer, campaign=campaign, member_ids=[member.pk], status="converted"
    )
    member.refresh_from_db()
    converted = (member.status, member.responded_at is not None, member.converted_at is not None)
    services.member_status_set(
        actor=marketer, campaign=campaign, member_ids=[member.pk], status="sent"
    )
    member.refresh_from_db()

    assert converted == (MemberStatus.CONVERTED, True, True)
    assert (member.status, member.responded_at, member.converted_at) == ("sent", None, None)


def test_members_add_is_all_or_nothing(marketer, admin):
    campaign = make_campaign(marketer)
    contact = make_contact(admin)

    with pytest.raises(ValidationFailed) as caught:
        services.members_add(
            actor=marketer, campaign=campaign, contact_ids=[contact.pk], lead_ids=[987654]
        )

    assert "lead_ids" in caught.value.fields and not CampaignMember.objects.exists()


def test_costs_are_recorded_in_the_campaign_history(marketer):
    campaign = make_campaign(marketer)

    cost = services.cost_add(actor=marketer, campaign=campaign, amount="19.999", category="tools")
    with pytest.raises(ValidationFailed) as caught:
        services.cost_add(actor=marketer, campaign=campaign, amount="-1")

    assert cost.amount == Decimal("20.00") and "amount" in caught.value.fields
    entry = HistoryEntry.objects.get(record_type="campaign", object_id=campaign.pk)
    assert "costs" in entry.changes


def test_capture_form_utm_campaign_sets_source_and_touch(db):
    campaign = make_campaign(None, code="spring-launch")
    form = make_capture_form(fields=["email", "last_name"], required_fields=["email"])

    response = submit_json(form, {"email": "a@example.com", "utm_campaign": "Spring Launch"})

    lead = Lead.objects.get()
    assert response.status_code == 201 and lead.source_campaign == campaign
    touch_row = CampaignTouch.objects.get()
    assert (touch_row.lead, touch_row.channel) == (lead, TouchChannel.WEB_FORM)


def test_capture_form_campaign_parameter_wins_and_first_source_stays(db):
    first, second = make_campaign(None, code="first"), make_campaign(None, code="second")
    form = make_capture_form(fields=["email"], required_fields=["email"])

    submit_json(form, {"email": "b@example.com", "campaign": str(first.pk), "utm_campaign": "x"})
    submit_json(form, {"email": "b@example.com", "campaign": "second"})

    lead = Lead.objects.get()
    assert lead.source_campaign == first
    assert set(CampaignTouch.objects.values_list("campaign", flat=True)) == {first.pk, second.pk}


def test_unknown_campaign_on_a_form_is_ignored(db):
    form = make_capture_form(fields=["email"], required_fields=["email"])

    response = submit_json(form, {"email": "c@example.com", "campaign": "nope"})

    assert response.status_code == 201 and Lead.objects.get().source_campaign is None
    assert not CampaignTouch.objects.exists()


def test_conversion_carries_campaigns_to_the_contact_and_deal(rep_a, admin, pipeline, t0):
    campaign = make_campaign(admin)
    lead = make_lead(rep_a, status="qualified", source_campaign=campaign, company="Acme")
    touch(campaign, t0, lead=lead)
    CampaignMember.objects.create(campaign=campaign, lead=lead)

    result = lead_convert(actor=rep_a, lead=lead, create_opportunity=True, amount="100")

    touch_row = CampaignTouch.objects.get()
    assert result.opportunity.campaign == campaign
    assert (touch_row.contact, touch_row.opportunity) == (result.contact, result.opportunity)
    assert CampaignMember.objects.get().status == MemberStatus.CONVERTED
