"""Demo step for the referral program: a dozen customers with personal codes who referred about
40 other contacts over the last six months. Buyers among the referred convert through the
referral service, so the referrers' points go through the ledger; two referrers who used their
own code are refused. Creates the "Cycle Rewards" program (with a referral rule) when the
loyalty step has not."""

import datetime as dt
import random

from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.contacts.models import Contact
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.identity.system import system_actor
from cyclecrm.loyalty.models import (
    EarningAction,
    EarningRule,
    LoyaltyProgram,
    Referral,
    ReferralCode,
    ReferralSource,
    ReferralStatus,
)
from cyclecrm.loyalty.referral_rewards import referral_convert
from cyclecrm.loyalty.referrals import SAME_PERSON, new_code

PROGRAM = "Cycle Rewards"
REFERRERS = 12
REFERRED = 40
REFUSED = 2
DAYS = 180
SOURCES = [ReferralSource.FORM] * 3 + [ReferralSource.API, ReferralSource.MANUAL]


def _program(context: DemoContext) -> LoyaltyProgram:
    owner = context.users.get("admin")
    program = LoyaltyProgram.objects.filter(name=PROGRAM).first()
    if program is None:
        program = LoyaltyProgram.objects.create(
            name=PROGRAM, currency="USD", owner=owner, created_by=owner
        )
    if not program.rules.filter(action=EarningAction.REFERRAL_CONVERTED).exists():
        EarningRule.objects.create(
            program=program,
            name="Referral converted",
            action=EarningAction.REFERRAL_CONVERTED,
            points=500,
            cap_points=5000,
            cap_period_days=365,
        )
    return program


def _people(rng: random.Random) -> tuple[list[int], list[int]]:
    buyers = set(
        Order.objects.filter(status__in=[OrderStatus.PAID, OrderStatus.FULFILLED]).values_list(
            "contact_id", flat=True
        )
    )
    # Contacts of an earlier demo run on the same database may already have a code or a referral.
    fresh = Contact.objects.filter(referral_code_record__isnull=True, referred_by__isnull=True)
    ids = list(fresh.order_by("id").values_list("id", flat=True)[:1500])
    pool = sorted(buyers & set(ids)) or ids
    referrers = rng.sample(pool, min(REFERRERS, len(pool)))
    others = [pk for pk in ids if pk not in set(referrers)]
    return referrers, rng.sample(others, min(REFERRED, len(others)))


def build_referrals(context: DemoContext) -> None:
    rng = context.rng("referrals")
    program = _program(context)
    referrers, referred = _people(rng)
    if not referrers:
        return
    codes = ReferralCode.objects.bulk_create(
        ReferralCode(contact_id=pk, code=new_code(), created_at=context.now - dt.timedelta(DAYS))
        for pk in referrers
    )
    rows = []
    for number, contact_id in enumerate(referred):
        code = codes[number % len(codes)]
        refused = number < REFUSED
        rows.append(
            Referral(
                program=program,
                code=code,
                referrer_id=code.contact_id,
                contact_id=code.contact_id if refused else contact_id,
                source=rng.choice(SOURCES),
                status=ReferralStatus.REFUSED if refused else ReferralStatus.PENDING,
                refusal_reason=SAME_PERSON if refused else "",
                created_at=context.now - dt.timedelta(days=rng.uniform(5, DAYS)),
            )
        )
    Referral.objects.bulk_create(rows)
    _convert_buyers(context, rng)
    context.counts["referrals"] = len(rows)


def _convert_buyers(context: DemoContext, rng: random.Random) -> None:
    """Referred contacts with a paid order convert (about 40% of them when orders are sparse)."""
    actor = system_actor()
    buyers = set(
        Order.objects.filter(status__in=[OrderStatus.PAID, OrderStatus.FULFILLED]).values_list(
            "contact_id", flat=True
        )
    )
    pending = Referral.objects.filter(status=ReferralStatus.PENDING).order_by("id")
    for referral in pending:
        if referral.contact_id in buyers or rng.random() < 0.4:
            referral_convert(actor=actor, referral_id=referral.pk)
            converted_at = min(
                context.now, referral.created_at + dt.timedelta(days=rng.uniform(1, 30))
            )
            Referral.objects.filter(pk=referral.pk).update(
                converted_at=converted_at, rewarded_at=converted_at
            )
