import io

import pytest
from django.core.management import call_command

from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.advocacy.models import AdvocateScore

pytestmark = pytest.mark.django_db


def test_demo_scores_advocates_from_promoters_and_their_mentions() -> None:
    call_command(
        "demo", "--contacts", "40", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )
    scored = AdvocateScore.objects.filter(score__gt=0)
    assert scored.filter(promoter_answers__gt=0).exists()
    assert scored.filter(mentions__gt=0).exists()
    social = Interaction.objects.filter(channel=Channel.SOCIAL, direction=Direction.INBOUND)
    assert social.exists()


def test_the_refresh_command_changes_nothing_after_the_demo() -> None:
    call_command(
        "demo", "--contacts", "40", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )
    out = io.StringIO()
    call_command("advocates", "refresh", "--json", stdout=out)
    assert '"changed": 0' in out.getvalue() and '"removed": 0' in out.getvalue()
