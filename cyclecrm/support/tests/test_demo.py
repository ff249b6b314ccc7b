"""The demo step for support: queues with hours, policies, cases in every state, articles."""

import io

import pytest
from django.core.management import call_command

from cyclecrm.support.models import Article, BusinessCalendar, Case, CaseStatus, SlaPolicy

pytestmark = pytest.mark.django_db


def test_demo_builds_cases_and_articles() -> None:
    call_command(
        "demo", "--contacts", "40", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert Case.objects.count() == 40
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    assert Case.objects.filter(first_response_breached_at__isnull=False).exists() or (
        Case.objects.filter(resolution_breached_at__isnull=False).exists()
    )
    assert BusinessCalendar.objects.count() == 3
    assert SlaPolicy.objects.filter(team__isnull=True).count() == 4
    assert Article.objects.filter(status="published").count() == 9
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 40 and "CASE-000001" in numbers
