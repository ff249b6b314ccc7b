"""Web pages: board, list, detail, move, forecast, settings, the account's onboarding panel;
query counts that do not grow with the number of opportunities."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.pipeline import services
from cyclecrm.pipeline.models import ExchangeRate, OnboardingTemplate, Stage, StageChange
from cyclecrm.pipeline.tests.factories import make_opportunity, make_rate, stage

HX = {"HTTP_HX_REQUEST": "true"}


def _deals(pipeline, owner, n):
    names = ["Prospecting", "Qualification", "Proposal", "Closed won", "Closed lost"]
    for i in range(n):
        make_opportunity(
            owner,
            pipeline=pipeline,
            stage_name=names[i % len(names)],
            account=make_account(owner=owner),
            currency="EUR" if i % 2 else "USD",
            expected_close_date=timezone.localdate() + dt.timedelta(days=i),
        )


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


@pytest.mark.parametrize("url", ["pipeline_board", "opportunity_list", "pipeline_forecast"])
def test_query_counts_do_not_grow_with_opportunities(url, pipeline, rep_a, web_client):
    make_rate("EUR", dt.date(2020, 1, 1), "1.1")
    client = web_client(rep_a)
    _deals(pipeline, rep_a, 2)
    client.get(reverse(url))  # warm caches (content types, sessions)
    few = _queries(client, reverse(url))
    _deals(pipeline, rep_a, 8)
    many = _queries(client, reverse(url))
    assert few == many


def test_board_columns_totals_and_cards(pipeline, rep_a, rep_b, web_client):
    make_rate("EUR", dt.date(2020, 1, 1), "1.5")
    make_opportunity(rep_a, pipeline=pipeline, name="Mine USD", amount=Decimal("100"))
    make_opportunity(rep_a, pipeline=pipeline, name="Mine EUR", amount=Decimal("100"),
                     currency="EUR")  # fmt: skip
    make_opportunity(rep_b, pipeline=pipeline, name="Not mine", amount=Decimal("999"))
    response = web_client(rep_a).get(reverse("pipeline_board"))
    body = response.content.decode()
    assert "Mine USD" in body and "Mine EUR" in body and "Not mine" not in body
    assert "250.00 USD" in body  # 100 USD + 100 EUR at 1.5
    assert f'data-stage-id="{stage(pipeline, "Proposal").pk}"' in body
    filtered = web_client(rep_a).get(
        reverse("pipeline_board"), {"pipeline": pipeline.pk, "q": "EUR"}, **HX
    )
    assert "Mine EUR" in filtered.content.decode()
    assert "Mine USD" not in filtered.content.decode()
    assert "<html" not in filtered.content.decode()


def test_board_caps_cards_per_column(pipeline, rep_a, web_client, monkeypatch):
    from cyclecrm.pipeline import board

    monkeypatch.setattr(board, "CARD_LIMIT", 2)
    for _ in range(3):
        make_opportunity(rep_a, pipeline=pipeline)
    body = web_client(rep_a).get(reverse("pipeline_board")).content.decode()
    assert body.count('class="card board-card') == 2
    assert "+1 more in the list" in body


def test_board_move_answers_card_and_headers_or_json_errors(pipeline, rep_a, web_client):
    deal = make_opportunity(rep_a, pipeline=pipeline, amount=Decimal("300"))
    client = web_client(rep_a)
    url = reverse("opportunity_move", args=[deal.pk])
    proposal = stage(pipeline, "Proposal")
    moved = client.post(url, {"stage_id": proposal.pk, "version": 1}, **HX)
    assert moved.status_code == 200
    body = moved.content.decode()
    assert f'id="card-{deal.pk}"' in body and 'data-version="2"' in body
    assert body.count('hx-swap-oob="true"') == Stage.objects.filter(pipeline=pipeline).count()
    stale = client.post(url, {"stage_id": stage(pipeline, "Negotiation").pk, "version": 1}, **HX)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    lost = client.post(url, {"stage_id": stage(pipeline, "Closed lost").pk, "version": 2}, **HX)
    assert lost.status_code == 422 and "lost_reason" in lost.json()["error"]["fields"]


def test_detail_page_moves_and_shows_history(pipeline, rep_a, web_client):
    account = make_account(owner=rep_a)
    make_contact(owner=rep_a, account=account)
    deal = services.opportunity_create(
        actor=rep_a, data={"name": "Deal", "account_id": account.pk, "amount": "10"}
    )
    client = web_client(rep_a)
    detail = reverse("opportunity_detail", args=[deal.pk])
    page = client.get(detail).content.decode()
    assert "Stage history" in page and "Closed won" in page
    response = client.post(
        reverse("opportunity_move", args=[deal.pk]),
        {"stage_id": stage(pipeline, "Closed won").pk, "version": 1},
    )
    assert response.status_code == 302 and response["Location"] == detail
    page = client.get(detail).content.decode()
    assert "Onboarding" in page and "0 of 4 steps done" in page
    history = client.get(reverse("opportunity_history", args=[deal.pk]))
    assert history.status_code == 200
    assert "Closed won" in history.content.decode()
    account_page = client.get(reverse("account_detail", args=[account.pk])).content.decode()
    assert "Onboarding" in account_page and "Kick-off call" in account_page


def test_create_form_defaults_to_the_stage_probability(pipeline, rep_a, web_client):
    response = web_client(rep_a).post(
        reverse("opportunity_create"),
        {"name": "From the form", "stage": stage(pipeline, "Proposal").pk, "amount": "120",
         "currency": "USD", "expected_close_date": "2026-09-30", "owner": rep_a.pk},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    deal = pipeline.opportunities.get(name="From the form")
    assert deal.stage.name == "Proposal" and deal.probability == Decimal("50")
    assert StageChange.objects.filter(opportunity=deal).count() == 1


def test_edit_form_into_a_lost_stage_needs_a_reason(pipeline, rep_a, web_client):
    deal = make_opportunity(rep_a, pipeline=pipeline)
    url = reverse("opportunity_edit", args=[deal.pk])
    data = {"name": deal.name, "stage": stage(pipeline, "Closed lost").pk, "amount": "1000",
            "currency": "USD", "expected_close_date": deal.expected_close_date.isoformat(),
            "version": 1, "owner": rep_a.pk}  # fmt: skip
    refused = web_client(rep_a).post(url, data)
    assert refused.status_code == 422
    assert services.LOST_REASON_REQUIRED in refused.content.decode()
    accepted = web_client(rep_a).post(url, {**data, "lost_reason": "Timing"})
    assert accepted.status_code == 302


def test_a_rep_sees_settings_but_cannot_change_them(pipeline, rep_a, web_client):
    client = web_client(rep_a)
    for name in ("pipeline_settings", "exchange_rate_list", "onboarding_template_list"):
        page = client.get(reverse(name))
        assert page.status_code == 200
        assert 'method="post"' not in page.content.decode().split("</nav>")[-1]
    refused = client.post(reverse("stage_create", args=[pipeline.pk]), {"name": "X"})
    assert refused.status_code == 403


def test_admin_configures_pipelines_rates_and_templates(pipeline, admin, rep_a, web_client):
    client = web_client(admin)
    created = client.post(reverse("pipeline_settings"), {"name": "Renewals", "is_active": "on"})
    assert created.status_code == 302
    renewals = pipeline.__class__.objects.get(name="Renewals")
    added = client.post(reverse("stage_create", args=[renewals.pk]),
                        {"name": "Demo", "probability": "35", "kind": "open"})  # fmt: skip
    assert added.status_code == 302
    ids = list(
        Stage.objects.filter(pipeline=renewals).order_by("-position").values_list("pk", flat=True)
    )
    order_url = reverse("stage_order", args=[renewals.pk])
    reordered = client.post(order_url, {"stage_ids": ids, "version": renewals.version})
    assert reordered.json() == {"ok": True, "version": renewals.version + 1}
    stale = client.post(order_url, {"stage_ids": ids[::-1], "version": renewals.version})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    make_opportunity(rep_a, pipeline=pipeline, stage_name="Proposal")
    proposal = stage(pipeline, "Proposal")
    refused = client.post(reverse("stage_delete", args=[pipeline.pk, proposal.pk]))
    assert refused.status_code == 302
    assert Stage.objects.filter(pk=proposal.pk).exists()
    merged = client.post(reverse("stage_delete", args=[pipeline.pk, proposal.pk]),
                         {"merge_into": stage(pipeline, "Negotiation").pk})  # fmt: skip
    assert merged.status_code == 302 and not Stage.objects.filter(pk=proposal.pk).exists()
    rate = client.post(reverse("exchange_rate_list"),
                       {"currency": "CHF", "valid_from": "2026-01-01", "rate": "1.13"})  # fmt: skip
    assert rate.status_code == 302 and ExchangeRate.objects.filter(currency="CHF").exists()
    template = client.post(reverse("onboarding_template_list"), {"name": "VIP"})
    assert template.status_code == 302
    vip = OnboardingTemplate.objects.get(name="VIP")
    step = client.post(reverse("onboarding_template_steps", args=[vip.pk]),
                       {"action": "add", "title": "Call", "due_offset_days": "2",
                        "version": vip.version})  # fmt: skip
    assert step.status_code == 302 and vip.steps.get().title == "Call"
