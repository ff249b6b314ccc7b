"""Loyalty and referral programs.

A program has earning rules (points per unit of currency spent, points for actions), tiers and a
rewards catalog. Each enrolled contact is a `Member` whose points live in an append-only ledger
(`PointsEntry`): earn, redeem, refund, expire and adjust entries are never edited or deleted, and
`Member.balance` is the ledger's sum kept in the same transaction as each entry under a row lock
(see `loyalty.ledger` and docs/adr/0019). Referral codes, the referrals they attribute and the
rewards granted for them live here too, since a referral reward is paid from the program."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from cyclecrm.core.models import BaseRecord, Versioned
from cyclecrm.core.money import currency_field, money_field


class TierBasis(models.TextChoices):
    POINTS = "points", "Points earned in the window"
    SPEND = "spend", "Spend in the window"


class ReferralRewardKind(models.TextChoices):
    POINTS = "points", "Points"
    CREDIT = "credit", "Credit"


class LoyaltyProgram(BaseRecord):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    currency = currency_field(default="USD")
    is_active = models.BooleanField(default=True)
    # Earned points expire this many days after they were earned (0: never).
    points_valid_days = models.PositiveIntegerField(default=365)
    tier_basis = models.CharField(
        max_length=10, choices=TierBasis.choices, default=TierBasis.POINTS
    )
    tier_window_days = models.PositiveIntegerField(default=365)
    statement_link_valid_days = models.PositiveSmallIntegerField(default=30)
    # Referral program: the referrer earns points through the `referral_converted` earning rule,
    # or a credit of `referral_reward_credit` in the program currency.
    referral_reward_kind = models.CharField(
        max_length=10, choices=ReferralRewardKind.choices, default=ReferralRewardKind.POINTS
    )
    referral_reward_credit = money_field(default=0)
    referral_refuse_same_domain = models.BooleanField(default=False)

    record_type = "loyalty_program"

    class Meta(BaseRecord.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class EarningAction(models.TextChoices):
    SPEND = "spend", "Points per unit spent"
    FIRST_PURCHASE = "first_purchase", "First purchase"
    BIRTHDAY = "birthday", "Birthday"
    REVIEW_WRITTEN = "review_written", "Review written"
    REFERRAL_CONVERTED = "referral_converted", "Referral converted"
    SURVEY_ANSWERED = "survey_answered", "Survey answered"


class EarningRule(Versioned):
    """`spend`: `points_per_unit` per unit of the program currency on paid orders, optionally only
    for lines of one product `category`. Other actions: a fixed `points`. `cap_points` limits what
    one member earns from the rule per `cap_period_days` (0: no cap / whole life)."""

    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=200)
    action = models.CharField(max_length=20, choices=EarningAction.choices)
    category = models.CharField(max_length=100, blank=True)
    points_per_unit = models.DecimalField(max_digits=10, decimal_places=4, default=0)
    points = models.PositiveIntegerField(default=0)
    cap_points = models.PositiveIntegerField(default=0)
    cap_period_days = models.PositiveIntegerField(default=0)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["program", "action", "id"]
        indexes = [models.Index(fields=["program", "action"], name="loyalty_rule_action_idx")]

    def __str__(self) -> str:
        return self.name


class Tier(Versioned):
    """Reached when the member's points (or spend) in the program's rolling window is at least
    `threshold`; higher `rank` is better."""

    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(max_length=100)
    rank = models.PositiveSmallIntegerField()
    threshold = models.DecimalField(max_digits=14, decimal_places=2)
    benefits = models.TextField(blank=True, max_length=5000)
    color = models.CharField(max_length=7, default="#6c757d")

    class Meta:
        ordering = ["program", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["program", "rank"], name="loyalty_tier_rank_uniq"),
            models.UniqueConstraint(fields=["program", "name"], name="loyalty_tier_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="loyalty_memberships"
    )
    joined_at = models.DateTimeField(default=timezone.now)
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    tier_since = models.DateTimeField(null=True, blank=True)
    # The ledger's sum, written only by `loyalty.ledger` in the entry's transaction.
    balance = models.IntegerField(default=0)
    statement_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    statement_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["program", "-joined_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "contact"], name="loyalty_member_uniq"),
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="loyalty_member_balance_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["program", "-joined_at", "-id"], name="loyalty_member_joined_idx"),
            models.Index(fields=["program", "-balance", "-id"], name="loyalty_member_balance_idx"),
            models.Index(fields=["program", "tier"], name="loyalty_member_tier_idx"),
            models.Index(fields=["contact"], name="loyalty_member_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.program_id}"


class EntryKind(models.TextChoices):
    EARN = "earn", "Earned"
    REDEEM = "redeem", "Redeemed"
    REFUND = "refund", "Refunded"
    EXPIRE = "expire", "Expired"
    ADJUST = "adjust", "Adjusted"


class LedgerImmutable(Exception):
    """Raised when code tries to change or delete a posted ledger entry."""


class PointsEntry(models.Model):
    """One line of a member's points ledger. Positive points add, negative points subtract.
    `source_key` makes an earning idempotent: the same key is posted at most once per member
    (`order:42:spend`, `birthday:2026`, `review:7`)."""

    # Entries are never edited or deleted one by one; they go only with their member, when the
    # contact is erased (a deleted person keeps no points history).
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    points = models.IntegerField()
    reason = models.CharField(max_length=300)
    rule = models.ForeignKey(
        EarningRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    order = models.ForeignKey(
        "catalog.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    redemption = models.ForeignKey(
        "loyalty.Redemption",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entries",
    )
    referral = models.ForeignKey(
        "loyalty.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    source_key = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    balance_after = models.IntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "source_key"],
                condition=~models.Q(source_key=""),
                name="loyalty_entry_source_uniq",
            ),
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="loyalty_entry_balance_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-created_at", "-id"], name="loyalty_entry_member_idx"),
            models.Index(fields=["kind", "created_at"], name="loyalty_entry_kind_idx"),
            models.Index(fields=["member", "expires_at"], name="loyalty_entry_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise LedgerImmutable("A ledger entry is never edited; post a correcting entry.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable("A ledger entry is never deleted; post a correcting entry.")


class TierChange(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["member", "-changed_at"], name="loyalty_tierchange_member_idx")
        ]

    def __str__(self) -> str:
        return f"{self.from_tier_id} → {self.to_tier_id}"


class Reward(Versioned):
    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="rewards")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    points_cost = models.PositiveIntegerField()
    # Units left (None: unlimited). Reserving takes one; cancelling puts it back.
    stock = models.PositiveIntegerField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["program", "points_cost", "id"]
        indexes = [
            models.Index(fields=["program", "points_cost", "id"], name="loyalty_reward_cost_idx")
        ]

    def __str__(self) -> str:
        return self.name


class RedemptionStatus(models.TextChoices):
    RESERVED = "reserved", "Reserved"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


class Redemption(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="redemptions")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    points = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=RedemptionStatus.choices, default=RedemptionStatus.RESERVED
    )
    reserved_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-reserved_at", "-id"]
        indexes = [
            models.Index(
                fields=["member", "-reserved_at", "-id"], name="loyalty_redeem_member_idx"
            ),
            models.Index(
                fields=["status", "-reserved_at", "-id"], name="loyalty_redeem_status_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reward_id} for {self.member_id}"


class ReferralCode(models.Model):
    """A contact's personal code; `?ref=<code>` on a capture form or `referral_code` on an API or
    import row attributes the new lead or contact to them."""

    contact = models.OneToOneField(
        "contacts.Contact", on_delete=models.CASCADE, related_name="referral_code_record"
    )
    code = models.CharField(max_length=20, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.code


class ReferralStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONVERTED = "converted", "Converted"
    REFUSED = "refused", "Refused"


class ReferralSource(models.TextChoices):
    FORM = "form", "Web form"
    API = "api", "API"
    IMPORT = "import", "Import"
    MANUAL = "manual", "Manual"


class Referral(models.Model):
    """One lead or contact attributed to a referrer. Converted when the referred lead converts or
    the referred contact first orders; the referrer's reward is then granted once."""

    program = models.ForeignKey(
        LoyaltyProgram, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    code = models.ForeignKey(
        ReferralCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    referrer = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="referrals_made"
    )
    lead = models.OneToOneField(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="referral"
    )
    contact = models.OneToOneField(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_by",
    )
    source = models.CharField(max_length=10, choices=ReferralSource.choices)
    status = models.CharField(
        max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    refusal_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    converted_at = models.DateTimeField(null=True, blank=True)
    rewarded_at = models.DateTimeField(null=True, blank=True)
    reward_points = models.PositiveIntegerField(default=0)
    reward_credit = money_field(default=0)
    reward_currency = currency_field(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["referrer", "-created_at"], name="loyalty_referral_referrer_idx"),
            models.Index(
                fields=["status", "-created_at", "-id"], name="loyalty_referral_status_idx"
            ),
            models.Index(fields=["-created_at", "-id"], name="loyalty_referral_created_idx"),
        ]

    def __str__(self) -> str:
        return f"referral by {self.referrer_id}"
