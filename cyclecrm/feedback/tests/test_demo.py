import io

import pytest
from django.core.management import call_command
from django.db.models import F

from cyclecrm.feedback.models import QueueSurvey, Survey, SurveyResponse

pytestmark = pytest.mark.django_db


def test_demo_builds_surveys_with_answers() -> None:
    call_command(
        "demo", "--contacts", "40", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert set(Survey.objects.values_list("kind", flat=True)) == {"nps", "csat"}
    assert SurveyResponse.objects.count() == 150
    assert SurveyResponse.objects.filter(survey__kind="csat", case__isnull=False).exists()
    assert QueueSurvey.objects.get().team.name == "Support"
    assert not SurveyResponse.objects.filter(invitation__isnull=True).exists()
    # a case's CSAT answer comes after the case was resolved
    assert not SurveyResponse.objects.filter(
        case__isnull=False, answered_at__lt=F("case__resolved_at")
    ).exists()
