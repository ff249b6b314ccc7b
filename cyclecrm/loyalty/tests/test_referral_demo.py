import io

import pytest
from django.core.management import call_command

from cyclecrm.loyalty.ledger import balance_from_ledger
from cyclecrm.loyalty.models import Member, Referral, ReferralCode, ReferralStatus

pytestmark = pytest.mark.django_db


def test_demo_builds_referrals_with_rewards_through_the_ledger() -> None:
    call_command(
        "demo", "--contacts", "60", "--accounts", "6", stdout=io.StringIO(), stderr=io.StringIO()
    )

    assert ReferralCode.objects.count() == 12
    referrals = Referral.objects.all()
    assert referrals.filter(status=ReferralStatus.REFUSED).exclude(refusal_reason="").count() == 2
    converted = referrals.filter(status=ReferralStatus.CONVERTED)
    assert converted.exists()
    assert all(referral.reward_points > 0 for referral in converted)
    for member in Member.objects.filter(contact__referrals_made__in=converted).distinct():
        assert member.balance == balance_from_ledger(member) > 0
