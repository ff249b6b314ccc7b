import io

import pytest
from django.core.management import call_command

from cyclecrm.segments.models import Persona, Segment, SegmentMember
from cyclecrm.segments.rules import compile_rules

pytestmark = pytest.mark.django_db


def test_demo_builds_segments_that_compile_and_are_counted() -> None:
    call_command(
        "demo", "--contacts", "40", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )

    segments = list(Segment.objects.all())
    assert {s.name for s in segments} >= {"German customers", "Big spenders", "Detractors"}
    for segment in segments:
        compile_rules(segment.rules or {"all": []})
        assert segment.member_count is not None
    static = Segment.objects.get(kind="static")
    assert SegmentMember.objects.filter(segment=static).count() == static.member_count == 25
    assert Segment.objects.get(name="Detractors").member_count > 0
    assert Persona.objects.filter(segment__name="Detractors").exists()
