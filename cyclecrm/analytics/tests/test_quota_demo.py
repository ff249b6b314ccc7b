import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from cyclecrm.analytics.models import Quota
from cyclecrm.analytics.tests.kpi_helpers import kpi
from cyclecrm.core.demo import quotas as demo_quotas
from cyclecrm.core.demo.context import DemoContext, DemoOptions
from cyclecrm.identity.models import User

pytestmark = pytest.mark.django_db


def test_demo_sets_monthly_quotas_once(api_client) -> None:
    call_command(
        "demo", "--contacts", "40", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )
    today = timezone.now().date()
    current = Quota.objects.filter(period_start=today.replace(day=1))
    # six reps and their three teams (North, South, West), five months each
    assert current.filter(user__isnull=False).count() == 6
    assert set(current.filter(team__isnull=False).values_list("team__name", flat=True)) == {
        "North",
        "South",
        "West",
    }
    assert Quota.objects.count() == 9 * 5

    context = DemoContext(options=DemoOptions(), now=timezone.now(), log=print, faker=None)
    context.reps = list(User.objects.filter(username__startswith="rep_"))
    context.home_team = {rep.pk: rep.teams.get() for rep in context.reps}
    demo_quotas.build_quotas(context)
    assert Quota.objects.count() == 9 * 5

    manager = User.objects.get(username="manager")
    month = {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    body = kpi(api_client(manager), "forecast_vs_quota", **month)
    assert body["extra"]["basis"] == "teams" and body["extra"]["quota"] > 0
