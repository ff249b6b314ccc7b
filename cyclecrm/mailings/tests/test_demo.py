import io

import pytest
from django.core.management import call_command

from cyclecrm.mailings.models import Mailing
from cyclecrm.mailings.selectors import mailing_stats

pytestmark = pytest.mark.django_db


def test_demo_has_a_sent_mailing_with_engagement() -> None:
    call_command(
        "demo", "--contacts", "60", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )

    mailing = Mailing.objects.get()
    stats = mailing_stats(mailing=mailing)
    assert mailing.status == "sent"
    assert stats["sent"] >= 3 and stats["suppressed"] + stats["sent"] == 25
    assert stats["opened"] >= 1 and stats["clicked"] >= 1
    assert stats["bounced"] == 1 and stats["unsubscribed"] == 1
