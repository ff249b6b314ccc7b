"""Quotas: /api/v1/quotas and Settings → Sales quotas, with their rules and permissions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cyclecrm.analytics.models import Quota
from cyclecrm.core.models import HistoryEntry

pytestmark = pytest.mark.django_db

URL = "/api/v1/quotas"
MARCH = {"period_start": "2026-03-01", "period_end": "2026-03-31"}


def _quota(target: dict, start: str = "2026-03-01", end: str = "2026-03-31", amount: int = 1000):
    return Quota.objects.create(
        period_start=dt.date.fromisoformat(start),
        period_end=dt.date.fromisoformat(end),
        amount=Decimal(amount),
        **target,
    )


def test_manager_creates_quotas_for_their_reps_and_teams(api_client, manager, rep_a, teams):
    client = api_client(manager)
    response = client.post(
        URL, {"user_id": rep_a.pk, "amount": "5000.50", **MARCH}, "application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user_id"] == rep_a.pk and body["amount"] == "5000.50" and body["team_id"] is None
    team = client.post(
        URL, {"team_id": teams["north"].pk, "amount": "9000", **MARCH}, "application/json"
    )
    assert team.status_code == 201
    assert HistoryEntry.objects.filter(object_id=body["id"]).exists()


def test_manager_cannot_set_a_quota_outside_their_teams(api_client, manager, support_agent, teams):
    client = api_client(manager)
    for target in ({"user_id": support_agent.pk}, {"team_id": teams["support"].pk}):
        response = client.post(URL, {**target, "amount": "10", **MARCH}, "application/json")
        assert response.status_code == 403


def test_rep_reads_only_their_own_quota_and_cannot_create(api_client, rep_a, rep_b, teams):
    mine = _quota({"user": rep_a})
    _quota({"user": rep_b})
    _quota({"team": teams["north"]})
    client = api_client(rep_a)
    assert [item["id"] for item in client.get(URL).json()["items"]] == [mine.pk]
    response = client.post(URL, {"user_id": rep_a.pk, "amount": "1", **MARCH}, "application/json")
    assert response.status_code == 403
    assert (
        client.patch(
            f"{URL}/{mine.pk}", {"version": 1, "amount": "2"}, "application/json"
        ).status_code
        == 403
    )
    assert client.delete(f"{URL}/{mine.pk}").status_code == 403


def test_overlapping_quota_for_the_same_user_is_a_conflict(api_client, admin, rep_a):
    _quota({"user": rep_a})
    body = {
        "user_id": rep_a.pk,
        "amount": "1",
        "period_start": "2026-03-31",
        "period_end": "2026-04-30",
    }
    response = api_client(admin).post(URL, body, "application/json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "quota_overlap" and "period_start" in error["fields"]
    # the next day is fine, and a team quota on the same days too
    body["period_start"] = "2026-04-01"
    assert api_client(admin).post(URL, body, "application/json").status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "1", **MARCH}, "user_id"),
        ({"user_id": "me", "team_id": 1, "amount": "1", **MARCH}, "user_id"),
        ({"amount": "1", "period_start": "2026-03-10", "period_end": "2026-03-01"}, "period_end"),
        ({"amount": "-5", **MARCH}, "amount"),
        ({"amount": "1", "period_start": "2026-03-01"}, "period_end"),
    ],
)
def test_invalid_quotas_name_the_field(api_client, admin, rep_a, teams, payload, field):
    if "team_id" in payload:
        payload = {**payload, "user_id": rep_a.pk, "team_id": teams["north"].pk}
    response = api_client(admin).post(URL, payload, "application/json")
    assert response.status_code == 422, response.content
    assert field in str(response.json()["error"]["fields"])


def test_filters_get_patch_delete(api_client, admin, rep_a, teams):
    march = _quota({"user": rep_a})
    april = _quota({"user": rep_a}, "2026-04-01", "2026-04-30")
    north = _quota({"team": teams["north"]})
    client = api_client(admin)
    ids = lambda **params: {item["id"] for item in client.get(URL, params).json()["items"]}  # noqa: E731
    assert ids(user_id=rep_a.pk) == {march.pk, april.pk}
    assert ids(team_id=teams["north"].pk) == {north.pk}
    assert ids(period_from="2026-04-01") == {april.pk}
    assert ids(period_to="2026-03-31") == {march.pk, north.pk}
    assert client.get(f"{URL}/{march.pk}").json()["period_end"] == "2026-03-31"
    response = client.patch(
        f"{URL}/{march.pk}", {"version": 1, "period_end": "2026-04-15"}, "application/json"
    )
    assert response.status_code == 409  # would overlap April
    response = client.patch(
        f"{URL}/{march.pk}", {"version": 1, "amount": "1500"}, "application/json"
    )
    assert response.json()["amount"] == "1500.00"
    assert client.delete(f"{URL}/{march.pk}").status_code == 204
    assert client.get(f"{URL}/{march.pk}").status_code == 404


def test_list_query_count_does_not_grow(
    api_client, admin, rep_a, teams, django_assert_max_num_queries
):
    for month in range(1, 13):
        _quota({"user": rep_a}, f"2025-{month:02}-01", f"2025-{month:02}-28")
        _quota({"team": teams["north"]}, f"2025-{month:02}-01", f"2025-{month:02}-28")
    client = api_client(admin)
    with django_assert_max_num_queries(8):
        body = client.get(URL, {"limit": 20}).json()
    assert len(body["items"]) == 20 and body["next_cursor"]


def test_settings_page_lists_adds_edits_and_deletes(
    web_client, manager, rep_a, django_assert_max_num_queries
):
    for month in range(1, 7):
        _quota({"user": rep_a}, f"2025-{month:02}-01", f"2025-{month:02}-28")
    client = web_client(manager)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("quota_list"))
    assert page.status_code == 200 and b"2025-06-01" in page.content
    response = client.post(reverse("quota_list"), {"user": rep_a.pk, "amount": "700", **MARCH})
    assert response.status_code == 302
    quota = Quota.objects.get(period_start="2026-03-01")
    clash = client.post(reverse("quota_list"), {"user": rep_a.pk, "amount": "1", **MARCH})
    assert clash.status_code == 422 and b"already has a quota" in clash.content
    edit = client.post(
        reverse("quota_edit", args=[quota.pk]),
        {"user": rep_a.pk, "amount": "800", **MARCH, "version": 1},
    )
    assert edit.status_code == 302
    quota.refresh_from_db()
    assert quota.amount == Decimal(800)
    client.post(reverse("quota_delete", args=[quota.pk]))
    assert not Quota.objects.filter(pk=quota.pk).exists()


def test_rep_sees_the_settings_page_without_the_form(web_client, rep_a):
    _quota({"user": rep_a})
    page = web_client(rep_a).get(reverse("quota_list"))
    assert page.status_code == 200 and b"Add a quota" not in page.content
    assert web_client(rep_a).post(reverse("quota_list"), {"amount": "1"}).status_code == 403
