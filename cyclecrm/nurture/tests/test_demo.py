import io

import pytest
from django.core.management import call_command

from cyclecrm.nurture.models import Enrollment, Sequence
from cyclecrm.nurture.selectors import sequence_stats

pytestmark = pytest.mark.django_db


def test_demo_builds_an_active_sequence_with_people_at_different_steps() -> None:
    call_command(
        "demo", "--contacts", "60", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )
    sequence = Sequence.objects.get(status="active")
    positions = set(
        Enrollment.objects.filter(sequence=sequence, state="active").values_list(
            "position", flat=True
        )
    )
    assert len(positions) >= 3
    stats = sequence_stats(sequence=sequence)
    assert stats[0]["entered"] > 0
    send = next(row for row in stats if row["type"] == "send_email")
    assert send["sent"] == send["done"] > 0
    assert send["sent"] >= send["opened"] >= send["clicked"]
