"""Demo step for the loyalty program (earning part): the "Cycle Rewards" program with spend and
action rules and three tiers; a few dozen customers are enrolled and earn for their paid orders
through the real earning code (the ledger is written only by `loyalty.ledger`), then tiers are
evaluated. Later loyalty steps (rewards, referrals) reuse the program by name."""

from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from cyclecrm.catalog.models import Order
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.loyalty.models import EarningAction, EarningRule, LoyaltyProgram, Member, Tier
from cyclecrm.loyalty.spend import EARNING_STATUSES, order_earn
from cyclecrm.loyalty.tier_job import member_tier_evaluate

PROGRAM_NAME = "Cycle Rewards"
MEMBERS = 40
RULES = [
    ("Points on purchases", EarningAction.SPEND, "", Decimal("0.1"), 0),
    ("Double points on software", EarningAction.SPEND, "Software", Decimal("0.2"), 0),
    ("Welcome: first purchase", EarningAction.FIRST_PURCHASE, "", Decimal(0), 100),
    ("Birthday", EarningAction.BIRTHDAY, "", Decimal(0), 50),
    ("Review written", EarningAction.REVIEW_WRITTEN, "", Decimal(0), 25),
    ("Referral converted", EarningAction.REFERRAL_CONVERTED, "", Decimal(0), 200),
    ("Survey answered", EarningAction.SURVEY_ANSWERED, "", Decimal(0), 10),
]
TIERS = [
    ("Silver", 1, 500, "Free shipping", "#8a8d91"),
    ("Gold", 2, 2000, "Free shipping, priority support", "#c9a227"),
    ("Platinum", 3, 5000, "Everything in Gold and a named account manager", "#5b6b7a"),
]


def demo_program(context: DemoContext) -> LoyaltyProgram:
    """The demo program, created on first use (other loyalty steps call this too)."""
    existing = LoyaltyProgram.objects.filter(name=PROGRAM_NAME).first()
    if existing is not None:
        return existing
    owner = context.users.get("marketer") or context.users.get("admin")
    program = LoyaltyProgram.objects.create(
        name=PROGRAM_NAME,
        description="Points on every purchase, tiers with benefits, rewards for loyal customers.",
        currency=settings.CYCLECRM.get("DEFAULT_CURRENCY", "USD"),
        owner=owner,
        created_by=owner,
        updated_by=owner,
    )
    EarningRule.objects.bulk_create(
        EarningRule(
            program=program,
            name=name,
            action=action,
            category=category,
            points_per_unit=rate,
            points=points,
        )
        for name, action, category, rate, points in RULES
    )
    Tier.objects.bulk_create(
        Tier(program=program, name=name, rank=rank, threshold=threshold, benefits=text, color=c)
        for name, rank, threshold, text, c in TIERS
    )
    return program


def build_loyalty(context: DemoContext) -> None:
    program = demo_program(context)
    customers = list(
        Order.objects.filter(status__in=EARNING_STATUSES, contact__isnull=False)
        .order_by("contact_id")
        .values_list("contact_id", flat=True)
        .distinct()[:MEMBERS]
    )
    Member.objects.bulk_create(
        [Member(program=program, contact_id=pk) for pk in customers], ignore_conflicts=True
    )
    orders = Order.objects.filter(contact_id__in=customers, status__in=EARNING_STATUSES)
    for order in orders.order_by("ordered_at", "id"):
        order_earn(order=order)
    tiers = list(program.tiers.all())
    for member in program.members.select_related("program"):
        # Now, not context.now: the points were posted during this run.
        member_tier_evaluate(member=member, tiers=tiers, at=timezone.now())
    context.counts["loyalty members"] = program.members.count()
