"""The acquisition demo step: deterministic and idempotent, and it feeds the metrics."""

import pytest
from django.utils import timezone
from faker import Faker

from cyclecrm.analytics.tests.kpi_helpers import kpi
from cyclecrm.core.demo.acquisition import build_acquisition
from cyclecrm.core.demo.context import DemoContext, DemoOptions
from cyclecrm.leads.models import FormSubmission, FormView

pytestmark = pytest.mark.django_db


def _run(now, teams) -> DemoContext:
    context = DemoContext(options=DemoOptions(), now=now, log=lambda _: None, faker=Faker())
    context.teams = teams
    build_acquisition(context)
    return context


def _snapshot():
    return (
        list(FormView.objects.order_by("day").values_list("day", "views")),
        FormSubmission.objects.count(),
    )


def test_demo_step_is_deterministic_and_idempotent(api_client, admin, teams):
    now = timezone.now()
    _run(now, teams)
    before = _snapshot()
    _run(now, teams)
    assert _snapshot() == before
    assert FormView.objects.count() == 90
    body = kpi(api_client(admin), "form_conversion_rate")
    assert body["value"] is not None and body["denominator"] > 0
