"""Pinning KPI panels to the home page: web (htmx) and API, own pins only, the limit, errors."""

import pytest

from cyclecrm.analytics.models import PinnedKpi
from cyclecrm.analytics.services.pins import MAX_PINS, pin_create
from cyclecrm.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db


def test_pin_from_a_dashboard_panel_and_unpin(web_client, marketer):
    client = web_client(marketer)
    form = {"metric": "new_leads", "chart": "bar", "group_by": "source", "range": "last_90_days"}
    response = client.post("/analytics/pins/", form, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b'data-testid="unpin"' in response.content
    pin = PinnedKpi.objects.get(user=marketer)
    assert pin.options == {
        "chart": "bar",
        "group_by": "source",
        "split_by": None,
        "range": "last_90_days",
        "compare": False,
    }
    html = client.get("/analytics/marketing/").content.decode()
    assert f"/analytics/pins/{pin.pk}/delete/" in html  # the panel shows as pinned
    response = client.post(f"/analytics/pins/{pin.pk}/delete/", form, HTTP_HX_REQUEST="true")
    assert b'data-testid="pin"' in response.content and not PinnedKpi.objects.exists()


def test_home_shows_pinned_panels_evaluated_for_the_user(web_client, rep_a, rep_b):
    make_lead(owner=rep_a, source="event")
    make_lead(owner=rep_b, source="event")
    pin_create(actor=rep_a, metric="new_leads", options={})
    html = web_client(rep_a).get("/").content.decode()
    assert 'data-testid="pinned-kpis"' in html
    panel = html.split('data-testid="panel-new_leads-number"')[1].split("</section>")[0]
    assert 'data-testid="value">1<' in panel  # last 30 days, rep_a's own lead only
    assert "analytics/charts.js" in html


def test_home_without_pins_has_no_pinned_section(web_client, rep_a):
    html = web_client(rep_a).get("/").content.decode()
    assert 'data-testid="pinned-kpis"' not in html and "analytics/charts.js" not in html


def test_home_explains_a_pin_whose_filter_no_longer_holds(web_client, admin):
    pin = pin_create(actor=admin, metric="new_leads", options={"chart": "line", "group_by": "week"})
    PinnedKpi.objects.filter(pk=pin.pk).update(options={**pin.options, "group_by": "planet"})
    html = web_client(admin).get("/").content.decode()
    assert "cannot be grouped by" in html and f"/analytics/pins/{pin.pk}/delete/" in html


def test_home_unpin_removes_the_panel(web_client, admin):
    pin = pin_create(actor=admin, metric="new_leads", options={})
    response = web_client(admin).post(
        f"/analytics/pins/{pin.pk}/delete/", {"remove": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response.content == b""
    assert not PinnedKpi.objects.exists()


def test_cannot_unpin_someone_elses_pin(web_client, api_client, rep_a, rep_b):
    pin = pin_create(actor=rep_a, metric="new_leads", options={})
    assert web_client(rep_b).post(f"/analytics/pins/{pin.pk}/delete/").status_code == 404
    assert api_client(rep_b).delete(f"/api/v1/analytics/pins/{pin.pk}").status_code == 404
    assert PinnedKpi.objects.filter(pk=pin.pk).exists()


def test_web_pin_error_is_shown(web_client, admin):
    response = web_client(admin).post(
        "/analytics/pins/", {"metric": "new_leads", "group_by": "planet"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422 and b"cannot be grouped by" in response.content


def test_api_pins_list_create_delete(api_client, rep_a, rep_b):
    client = api_client(rep_a)
    response = client.post(
        "/api/v1/analytics/pins",
        {"metric": "new_leads", "options": {"chart": "line", "group_by": "month", "owner": 3}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["metric"] == "new_leads" and body["options"]["owner"] == 3
    assert body["position"] == 0
    pin_create(actor=rep_b, metric="new_leads", options={})
    items = client.get("/api/v1/analytics/pins").json()["items"]
    assert [item["id"] for item in items] == [body["id"]]  # only rep_a's own
    assert client.delete(f"/api/v1/analytics/pins/{body['id']}").status_code == 204
    assert client.get("/api/v1/analytics/pins").json()["items"] == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"metric": "no_such_metric"}, "metric"),
        ({"metric": "new_leads", "options": {"group_by": "planet"}}, "options.group_by"),
        ({"metric": "new_leads", "options": {"chart": "pie"}}, "options.chart"),
        ({"metric": "new_leads", "options": {"range": "custom"}}, "options.range"),
        (
            {"metric": "new_leads", "options": {"group_by": "source", "split_by": "source"}},
            "options.split_by",
        ),
    ],
)
def test_api_invalid_pin_is_422_naming_the_field(api_client, admin, payload, field):
    response = api_client(admin).post(
        "/api/v1/analytics/pins", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_at_most_24_pins(api_client, admin):
    for _ in range(MAX_PINS):
        pin_create(actor=admin, metric="new_leads", options={})
    response = api_client(admin).post(
        "/api/v1/analytics/pins", {"metric": "new_leads"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "At most 24" in response.json()["error"]["fields"]["metric"][0]
    assert PinnedKpi.objects.filter(user=admin).count() == MAX_PINS


def test_pins_are_appended_in_order(admin):
    first = pin_create(actor=admin, metric="new_leads", options={})
    second = pin_create(actor=admin, metric="new_leads", options={"chart": "bar"})
    assert (first.position, second.position) == (0, 1)
