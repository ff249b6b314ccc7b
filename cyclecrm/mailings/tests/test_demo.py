import io

import pytest
from django.core.management import call_command

from cyclecrm.mailings.models import Mailing
from cyclecrm.mailings.selectors import ab_results, mailing_stats

pytestmark = pytest.mark.django_db


def test_demo_has_a_sent_mailing_with_engagement() -> None:
    call_command(
        "demo", "--contacts", "60", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )

    mailing = Mailing.objects.get(name="Autumn trade fair invitation")
    stats = mailing_stats(mailing=mailing)
    assert mailing.status == "sent"
    assert stats["sent"] >= 3 and stats["suppressed"] + stats["sent"] == 25
    assert stats["opened"] >= 1 and stats["clicked"] >= 1
    assert stats["bounced"] == 1 and stats["unsubscribed"] == 1
    test = Mailing.objects.get(name__endswith="(A/B test)")
    results = ab_results(mailing=test)
    assert test.status == "sent" and test.ab_state == "winner_sent" and test.ab_winner == "B"
    assert results["verdict"] == "not_enough_data" and "trials" in test.ab_reason
    assert not test.recipients.filter(state__in=("held", "pending")).exists()
    assert test.recipients.filter(held_back=True, variant="B", state="sent").exists()
