"""The daily tier job: members move up and down with the rolling window, a change is recorded
once, and a second run changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.models import EntryKind, Tier, TierChange
from cyclecrm.loyalty.tests.earning_factories import enrol, make_program
from cyclecrm.loyalty.tier_job import tiers_evaluate

pytestmark = pytest.mark.django_db


@pytest.fixture
def ladder():
    program = make_program(tier_window_days=30)
    silver = Tier.objects.create(program=program, name="Silver", rank=1, threshold=Decimal(100))
    gold = Tier.objects.create(program=program, name="Gold", rank=2, threshold=Decimal(500))
    return program, silver, gold


def test_members_are_placed_once_and_a_rerun_changes_nothing(admin, ladder):
    program, silver, gold = ladder
    high, low, none = (enrol(program, make_contact(owner=admin)) for _ in range(3))
    entry_post(member=high, kind=EntryKind.EARN, points=600, reason="orders")
    entry_post(member=low, kind=EntryKind.EARN, points=150, reason="orders")

    first = tiers_evaluate()
    second = tiers_evaluate()

    assert first == {"members": 3, "changed": 2}
    assert second == {"members": 3, "changed": 0}
    high.refresh_from_db()
    low.refresh_from_db()
    none.refresh_from_db()
    assert (high.tier, low.tier, none.tier) == (gold, silver, None)
    assert TierChange.objects.count() == 2
    change = TierChange.objects.get(member=high)
    assert change.from_tier is None and change.to_tier == gold


def test_members_drop_when_the_window_rolls_past_their_points(admin, ladder):
    program, silver, _ = ladder
    member = enrol(program, make_contact(owner=admin))
    entry_post(member=member, kind=EntryKind.EARN, points=200, reason="orders")
    tiers_evaluate()

    later = timezone.now() + dt.timedelta(days=31)
    assert tiers_evaluate(at=later) == {"members": 1, "changed": 1}

    member.refresh_from_db()
    assert member.tier is None
    last = member.tier_changes.order_by("-changed_at").first()
    assert (last.from_tier, last.to_tier) == (silver, None)


def test_the_command_runs_the_jobs(admin, ladder, capsys):
    program, _, _ = ladder
    member = enrol(program, make_contact(owner=admin))
    entry_post(member=member, kind=EntryKind.EARN, points=120, reason="orders")
    call_command("loyalty", "evaluate-tiers")
    call_command("loyalty", "expire-points")
    output = capsys.readouterr().out
    assert "1 members evaluated, 1 moved." in output
    assert "0 points expired" in output


def test_tier_changes_show_on_the_contact_page(web_client, admin, ladder):
    program = ladder[0]
    member = enrol(program, make_contact(owner=admin))
    entry_post(member=member, kind=EntryKind.EARN, points=600, reason="orders")
    tiers_evaluate()
    html = web_client(admin).get(f"/contacts/{member.contact_id}/").content.decode()
    assert html.count('id="loyalty-title"') == 1 and "no tier → Gold" in html
    assert "Loyalty tiers" not in html
    assert f'href="/loyalty/members/{member.pk}/"' in html  # the ledger and adjustments
