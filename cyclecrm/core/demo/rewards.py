"""Demo step for loyalty rewards: a small catalog in the "Cycle Rewards" program and a few
redemptions in each state, written through the services so the ledger stays consistent.

It relies on the loyalty step before it for the program, its tiers and its members; when that
step is absent it makes what it needs (the program, three tiers, members among contacts with
paid orders, each with welcome points)."""

import datetime as dt
from decimal import Decimal

from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.contacts.models import Contact
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.membership import member_enroll
from cyclecrm.loyalty.models import EntryKind, LoyaltyProgram, Member, Reward, Tier
from cyclecrm.loyalty.rewards import redemption_cancel, redemption_confirm, redemption_reserve

PROGRAM_NAME = "Cycle Rewards"
DEMO_REWARDS = [
    # name, points, stock (None: unlimited), description
    ("Coffee mug", 150, None, "Ceramic mug with the Cycle logo."),
    ("10 % voucher", 300, None, "Ten percent off the next order."),
    ("Priority support month", 600, 50, "A month of priority support for your team."),
    ("Conference ticket", 2500, 5, "A ticket to the yearly customer conference."),
    ("Limited hoodie", 900, 0, "Sold out: shows how an empty stock looks."),
]
DEMO_TIERS = [
    ("Silver", 1, 0, "#adb5bd"),
    ("Gold", 2, 1000, "#d4a017"),
    ("Platinum", 3, 3000, "#6f42c1"),
]
FALLBACK_MEMBERS = 40
REDEMPTIONS = 12


def build_rewards(context: DemoContext) -> None:
    program = _program(context)
    rewards = [
        Reward.objects.get_or_create(
            program=program,
            name=name,
            defaults={"points_cost": cost, "stock": stock, "description": text},
        )[0]
        for name, cost, stock, text in DEMO_REWARDS
    ]
    if not program.members.exists():
        _enrol_buyers(context, program)
    _redeem(context, program, rewards)
    context.counts["rewards"] = len(rewards)


def _program(context: DemoContext) -> LoyaltyProgram:
    marketer = context.users.get("marketer")
    program, created = LoyaltyProgram.objects.get_or_create(
        name=PROGRAM_NAME,
        defaults={"owner": marketer, "created_by": marketer, "currency": "EUR"},
    )
    if created or not program.tiers.exists():
        for name, rank, threshold, color in DEMO_TIERS:
            Tier.objects.get_or_create(
                program=program,
                rank=rank,
                defaults={"name": name, "threshold": Decimal(threshold), "color": color},
            )
    return program


def _enrol_buyers(context: DemoContext, program: LoyaltyProgram) -> None:
    rng = context.rng("rewards")
    buyers = (
        Order.objects.filter(status__in=(OrderStatus.PAID, OrderStatus.FULFILLED))
        .exclude(contact=None)
        .values_list("contact_id", flat=True)
        .distinct()
        .order_by("contact_id")[:FALLBACK_MEMBERS]
    )
    for contact in Contact.objects.filter(pk__in=list(buyers)).order_by("pk"):
        member = member_enroll(program=program, contact=contact)
        entry_post(
            member=member,
            kind=EntryKind.EARN,
            points=rng.choice([200, 400, 800, 1500, 3200]),
            reason="Welcome points",
            source_key="demo:welcome",
            expires_at=context.now + dt.timedelta(days=rng.randint(10, 365)),
        )


def _redeem(context: DemoContext, program: LoyaltyProgram, rewards: list[Reward]) -> None:
    """Reserve affordable rewards for the richest members; confirm most, cancel one."""
    admin = context.users.get("admin")
    members = Member.objects.filter(program=program).select_related("program", "contact")
    done = 0
    for member in members.order_by("-balance", "id")[:REDEMPTIONS]:
        reward = max(
            (r for r in rewards if r.points_cost <= member.balance and r.stock != 0),
            key=lambda r: r.points_cost,
            default=None,
        )
        if reward is None or member.redemptions.exists():
            continue
        redemption = redemption_reserve(actor=admin, member=member, reward=reward)
        if done % 4 == 1:
            redemption_cancel(actor=admin, redemption=redemption, reason="Changed their mind")
        elif done % 4 != 3:
            redemption_confirm(actor=admin, redemption=redemption)
        reward.refresh_from_db(fields=["stock"])
        done += 1
    context.counts["redemptions"] = done
