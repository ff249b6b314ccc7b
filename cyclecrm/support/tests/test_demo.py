"""The demo step for support: queues with hours, policies, cases in every state, articles."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from cyclecrm.support.models import Article, BusinessCalendar, Case, CaseStatus, SlaPolicy

pytestmark = pytest.mark.django_db


def test_demo_builds_cases_and_articles() -> None:
    call_command(
        "demo", "--contacts", "40", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )
    recent = Case.objects.filter(created_at__gte=timezone.now() - dt.timedelta(days=11))
    assert recent.count() == 40
    assert set(recent.values_list("status", flat=True)) == set(CaseStatus.values)
    assert Case.objects.filter(first_response_breached_at__isnull=False).exists() or (
        Case.objects.filter(resolution_breached_at__isnull=False).exists()
    )
    assert BusinessCalendar.objects.count() == 3
    assert SlaPolicy.objects.filter(team__isnull=True).count() == 4
    assert Article.objects.filter(status="published").count() == 9
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 100 and "CASE-000001" in numbers


def test_demo_has_resolved_cases_in_each_past_month() -> None:
    """The service dashboard's trends need history: 12 resolved or closed cases a month for five
    months before the last ten days, with first responses and SLA due times."""
    call_command(
        "demo", "--contacts", "40", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )
    past = Case.objects.filter(created_at__lt=timezone.now() - dt.timedelta(days=20))
    assert past.count() == 60
    assert not past.filter(resolved_at__isnull=True).exists()
    assert not past.filter(first_responded_at__isnull=True).exists()
    assert past.filter(first_response_due__isnull=False).count() == 60
    months = {case.created_at.strftime("%Y-%m") for case in past.only("created_at")}
    assert len(months) >= 4
