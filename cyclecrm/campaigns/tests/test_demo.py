import io

import pytest
from django.core.management import call_command

from cyclecrm.campaigns import selectors
from cyclecrm.campaigns.models import Campaign

pytestmark = pytest.mark.django_db


def test_demo_campaigns_show_attributed_revenue_and_roi() -> None:
    call_command(
        "demo", "--contacts", "60", "--accounts", "8", stdout=io.StringIO(), stderr=io.StringIO()
    )

    campaigns = list(Campaign.objects.all())
    figures = [selectors.campaign_figures(campaign=c) for c in campaigns]
    assert len(campaigns) == 5
    assert sum(f.leads_sourced for f in figures) > 0
    assert any(f.revenue["linear"] > 0 and f.roi["linear"] is not None for f in figures)
    assert sum(f.members["sent"] + f.members["responded"] for f in figures) > 0
