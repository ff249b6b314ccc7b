"""form_conversion_rate and the daily view counter behind it."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from cyclecrm.analytics.tests.kpi_helpers import at, kpi
from cyclecrm.leads.capture.testing import make_capture_form
from cyclecrm.leads.models import FormSubmission, FormView

pytestmark = pytest.mark.django_db
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def test_serving_the_public_page_counts_one_view_per_get(db):
    form = make_capture_form(fields=["email"], required_fields=["email"])
    client = Client()
    for _ in range(3):
        assert client.get(f"/f/{form.public_key}/").status_code == 200
    client.head(f"/f/{form.public_key}/")  # a HEAD is no view
    (row,) = FormView.objects.filter(form=form)
    assert (row.day, row.views) == (timezone.now().date(), 3)


@pytest.fixture
def forms():
    """Newsletter: 40 views in March (+ 10 on 28 Feb), 3 accepted, 1 rejected, 1 pending in
    March. Demo: 10 views, 2 accepted. Total 5 accepted / 50 views = 10 %."""
    news = make_capture_form(name="Newsletter")
    demo = make_capture_form(name="Demo request")
    FormView.objects.create(form=news, day=dt.date(2026, 3, 1), views=15)
    FormView.objects.create(form=news, day=dt.date(2026, 3, 31), views=25)
    FormView.objects.create(form=news, day=dt.date(2026, 2, 28), views=10)
    FormView.objects.create(form=demo, day=dt.date(2026, 3, 9), views=10)
    made = [(news, "accepted")] * 3 + [(news, "rejected"), (news, "pending")]
    made += [(demo, "accepted")] * 2
    for form, status in made:
        FormSubmission.objects.create(form=form, ip_hash="x", status=status, at=at("2026-03-10"))
    FormSubmission.objects.create(form=news, ip_hash="x", status="accepted", at=at("2026-02-28"))
    return {"news": news, "demo": demo}


def test_form_conversion_rate_overall_and_by_form(api_client, admin, forms):
    body = kpi(api_client(admin), "form_conversion_rate", group_by="form", **MARCH)
    assert body["value"] == 10.0 and (body["numerator"], body["denominator"]) == (5, 50)
    groups = {g["label"]: g["value"] for g in body["groups"]}
    assert groups == {"Demo request": 20.0, "Newsletter": 7.5}  # 2 / 10, 3 / 40


def test_no_views_is_no_data(api_client, admin, forms):
    body = kpi(
        api_client(admin), "form_conversion_rate", **{"from": "2025-01-01", "to": "2025-01-31"}
    )
    assert body["value"] is None and body["no_data"]


def test_forms_are_configuration_every_role_reads(api_client, rep_a, forms):
    # Capture forms have no owner and every role reads them (identity/roles.py), so a rep's
    # figure is the installation's.
    body = kpi(api_client(rep_a), "form_conversion_rate", **MARCH)
    assert (body["numerator"], body["denominator"]) == (5, 50)
