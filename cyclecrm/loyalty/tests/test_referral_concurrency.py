"""Two conversions of one referral at the same time (a lead conversion and a paid order, say)
grant one reward: the referral row is locked while converting."""

import threading

import pytest
from django.db import connection

from cyclecrm.core.testing.factories import make_contact, make_user
from cyclecrm.identity.system import system_actor
from cyclecrm.loyalty.models import (
    EarningAction,
    EarningRule,
    LoyaltyProgram,
    Member,
    Referral,
    ReferralSource,
    ReferralStatus,
)
from cyclecrm.loyalty.referral_rewards import referral_convert
from cyclecrm.loyalty.referrals import referral_attach, referral_code_create

RACERS = 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_racing_conversions_reward_once():
    actor = system_actor()
    owner = make_user("owner-race")
    program = LoyaltyProgram.objects.create(name="Race", currency="USD")
    EarningRule.objects.create(
        program=program, name="Ref", action=EarningAction.REFERRAL_CONVERTED, points=100
    )
    code = referral_code_create(actor=actor, contact=make_contact(owner, last_name="Ref"))
    referred = make_contact(owner, last_name="New")
    referral = referral_attach(actor=actor, code=code, source=ReferralSource.API, contact=referred)
    winners: list[object] = []
    errors: list[BaseException] = []
    start = threading.Barrier(RACERS)

    def convert() -> None:
        try:
            start.wait()
            winners.append(referral_convert(actor=actor, referral_id=referral.pk))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=convert) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert len([won for won in winners if won is not None]) == 1
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CONVERTED
    assert Member.objects.get(program=program, contact=code.contact).balance == 100
