"""The fields a segment rule may test, each with its type and the operators that type allows.

A field reads a contact column, an account column through the contact's account, a key of the
contact's `custom` JSON, a model prediction through the contact's `insight` row (group
"Predictions"), or a derived value computed by a subquery annotation (orders, NPS). The
registry is the one place the compiler, the validation messages and the rule builder's field
list come from."""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Expression,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast, Coalesce

from cyclecrm.activities.models import Channel
from cyclecrm.contacts.models import Gender, LifecycleStage
from cyclecrm.core.models import CustomField, CustomFieldKind

TEXT, NUMBER, DATE, CHOICE, LIST = "text", "number", "date", "choice", "list"
EMPTY_OPS = ("is_empty", "is_not_empty")
OPS_BY_TYPE: dict[str, tuple[str, ...]] = {
    TEXT: ("eq", "ne", "in", "not_in", "contains", "startswith", *EMPTY_OPS),
    CHOICE: ("eq", "ne", "in", "not_in", *EMPTY_OPS),
    NUMBER: ("eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between", *EMPTY_OPS),
    DATE: ("lt", "lte", "gt", "gte", "between", "within_last_days", "before_days_ago", *EMPTY_OPS),
    LIST: ("contains", "in", *EMPTY_OPS),
}
ALL_OPS = tuple(dict.fromkeys(op for ops in OPS_BY_TYPE.values() for op in ops))
# Annotation names are prefixed so they cannot clash with model fields.
ANNOTATION_PREFIX = "seg_"
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")


@dataclass(frozen=True)
class FieldSpec:
    """One testable field.

    `path` is the ORM path the lookups apply to (an annotation name for derived fields);
    `annotation` builds that annotation; `condition` replaces both for a field with several
    values per contact (a tier in any program): it builds the condition of a positive operator
    (`eq`, `in`, `contains`, `startswith`, `is_not_empty`) and the compiler negates it for the
    others; `reads` names the contact fields it reveals, so a field
    hidden from the actor cannot be probed through a segment; `is_datetime` marks date fields
    stored as timestamps (compared at UTC day boundaries); `json` marks values inside a JSON
    document (custom fields)."""

    key: str
    label: str
    type: str
    path: str
    group: str = "Contact"
    choices: tuple[str, ...] = ()
    annotation: Callable[[], Expression] | None = None
    condition: Callable[[str, Any], Q] | None = None
    reads: tuple[str, ...] = ()
    is_datetime: bool = False
    json: bool = False
    is_decimal: bool = False
    custom_kind: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ops(self) -> tuple[str, ...]:
        return OPS_BY_TYPE[self.type]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "group": self.group,
            "type": self.type,
            "ops": list(self.ops),
            "choices": list(self.choices),
        }


def _orders() -> Any:
    from cyclecrm.catalog.models import Order, OrderStatus

    return (
        Order.objects.filter(contact=OuterRef("pk"))
        .exclude(status=OrderStatus.CANCELLED)
        .order_by()
        .values("contact")
    )


def _orders_count() -> Expression:
    counted = _orders().annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _orders_total() -> Expression:
    money = DecimalField(max_digits=18, decimal_places=2)
    summed = _orders().annotate(s=Sum("total")).values("s")
    return Coalesce(Subquery(summed, output_field=money), Value(Decimal(0)), output_field=money)


def _orders_last_date() -> Expression:
    return Subquery(_orders().annotate(m=Max("ordered_at")).values("m"))


def _nps_last() -> Expression:
    from cyclecrm.feedback.models import SurveyKind, SurveyResponse

    latest = (
        SurveyResponse.objects.filter(contact=OuterRef("pk"), survey__kind=SurveyKind.NPS)
        .order_by("-answered_at", "-id")
        .values("score")[:1]
    )
    return Subquery(latest, output_field=IntegerField())


def _lead_score() -> Expression:
    """The best score among the contact's leads: converted into it, or open under its e-mail."""
    from cyclecrm.leads.models import Lead

    own_leads = Q(converted_contact=OuterRef("pk")) | (Q(email=OuterRef("email")) & ~Q(email=""))
    best = Lead.objects.filter(own_leads).order_by("-score").values("score")[:1]
    return Subquery(best, output_field=IntegerField())


def _lead_conversion() -> Expression:
    """The best conversion probability among the contact's leads, matched as for `lead.score`."""
    from cyclecrm.intelligence.models import LeadInsight

    own_leads = Q(lead__converted_contact=OuterRef("pk")) | (
        Q(lead__email=OuterRef("email")) & ~Q(lead__email="")
    )
    best = (
        LeadInsight.objects.filter(own_leads)
        .order_by("-conversion_probability")
        .values("conversion_probability")[:1]
    )
    return Subquery(best, output_field=FloatField())


def _email_count(first_field: str, days: int) -> Callable[[], Expression]:
    """How many e-mails the contact first opened / clicked in the window: campaign e-mails
    (mailings) and tracked one-to-one and sequence e-mails (integrations' EmailTracking)."""

    def build() -> Expression:
        from django.utils import timezone

        from cyclecrm.integrations.models import EmailTracking
        from cyclecrm.mailings.models import MailingRecipient

        since = {f"{first_field}__gte": timezone.now() - dt.timedelta(days=days)}
        campaign = (
            MailingRecipient.objects.filter(contact=OuterRef("pk"), **since)
            .order_by()
            .values("contact")
            .annotate(n=Count("id"))
            .values("n")
        )
        tracked = (
            EmailTracking.objects.filter(interaction__contact=OuterRef("pk"), **since)
            .order_by()
            .values("interaction__contact")
            .annotate(n=Count("id"))
            .values("n")
        )
        return Coalesce(Subquery(campaign, output_field=IntegerField()), Value(0)) + Coalesce(
            Subquery(tracked, output_field=IntegerField()), Value(0)
        )

    return build


def _channel_count(window: str, channel: str) -> Callable[[], Expression]:
    def build() -> Expression:
        raw = KeyTransform(channel, KeyTransform(window, "engagement"))
        return Coalesce(Cast(raw, IntegerField()), Value(0))

    return build


def _contact_fields() -> list[FieldSpec]:
    def text(key: str, label: str) -> FieldSpec:
        return FieldSpec(key, label, TEXT, key, reads=(key,))

    return [
        text("first_name", "First name"),
        text("last_name", "Last name"),
        text("email", "E-mail"),
        text("title", "Job title"),
        text("country", "Country (ISO code)"),
        text("region", "Region"),
        text("city", "City"),
        text("postal_code", "Postal code"),
        text("language", "Language"),
        FieldSpec(
            "gender", "Gender", CHOICE, "gender", choices=tuple(Gender.values), reads=("gender",)
        ),
        FieldSpec(
            "lifecycle_stage",
            "Lifecycle stage",
            CHOICE,
            "lifecycle_stage",
            choices=tuple(LifecycleStage.values),
            reads=("lifecycle_stage",),
        ),
        FieldSpec("age", "Age (years)", NUMBER, "birth_date", reads=("birth_date",)),
        FieldSpec("interests", "Interests", LIST, "interests", reads=("interests",)),
        FieldSpec("values", "Values", LIST, "values", reads=("values",)),
    ]


def _account_fields() -> list[FieldSpec]:
    def spec(key: str, label: str, kind: str, column: str, **extra: Any) -> FieldSpec:
        return FieldSpec(
            f"account.{key}",
            label,
            kind,
            f"account__{column}",
            "Account",
            reads=(f"account.{column}",),
            **extra,
        )

    return [
        spec("name", "Account name", TEXT, "name"),
        spec("industry", "Industry", TEXT, "industry"),
        spec("country", "Account country", TEXT, "billing_country"),
        spec("employees", "Employees", NUMBER, "employees"),
        spec("annual_revenue", "Annual revenue", NUMBER, "annual_revenue", is_decimal=True),
    ]


def _behaviour_fields() -> list[FieldSpec]:
    group = "Behaviour"
    p = ANNOTATION_PREFIX
    specs = [
        FieldSpec(
            "last_interaction_at",
            "Last interaction",
            DATE,
            "last_interaction_at",
            group,
            is_datetime=True,
            reads=("last_interaction_at",),
        ),
        FieldSpec(
            "interactions_30d",
            "Interactions, 30 days",
            NUMBER,
            "interactions_30d",
            group,
            reads=("interactions_30d",),
        ),
        FieldSpec(
            "interactions_90d",
            "Interactions, 90 days",
            NUMBER,
            "interactions_90d",
            group,
            reads=("interactions_90d",),
        ),
        FieldSpec(
            "orders.count", "Orders", NUMBER, f"{p}orders_count", group, annotation=_orders_count
        ),
        FieldSpec(
            "orders.total",
            "Order total",
            NUMBER,
            f"{p}orders_total",
            group,
            annotation=_orders_total,
            is_decimal=True,
        ),
        FieldSpec(
            "orders.last_date",
            "Last order",
            DATE,
            f"{p}orders_last",
            group,
            annotation=_orders_last_date,
            is_datetime=True,
        ),
        FieldSpec(
            "nps.last", "Latest NPS score", NUMBER, f"{p}nps_last", group, annotation=_nps_last
        ),
        FieldSpec(
            "lead.score", "Lead score", NUMBER, f"{p}lead_score", group, annotation=_lead_score
        ),
    ]
    for days in ("30d", "90d"):
        for channel in Channel.values:
            if channel == Channel.NOTE:
                continue  # internal notes are no engagement (activities keeps no count of them)
            specs.append(
                FieldSpec(
                    f"interactions_{days}.{channel}",
                    f"{Channel(channel).label} interactions, {days[:-1]} days",
                    NUMBER,
                    f"{p}int{days}_{channel}",
                    group,
                    annotation=_channel_count(days, channel),
                    reads=("engagement",),
                )
            )
    for days in (30, 90):
        for verb, label in (("opened", "opened"), ("clicked", "clicked in")):
            specs.append(
                FieldSpec(
                    f"email.{verb}_{days}d",
                    f"E-mails {label}, {days} days",
                    NUMBER,
                    f"{p}email_{verb}_{days}d",
                    group,
                    annotation=_email_count(f"first_{verb}_at", days),
                )
            )
    return specs


def _prediction_fields() -> list[FieldSpec]:
    """The model outputs kept in `CustomerInsight` (joined through the contact's `insight`
    one-to-one: a contact without an insight row has every one of them empty)."""
    from cyclecrm.intelligence.vocab import CHURN_BANDS, RFM_GROUPS

    group = "Predictions"

    def insight(key: str, label: str, kind: str, **extra: Any) -> FieldSpec:
        return FieldSpec(f"insight.{key}", label, kind, f"insight__{key}", group, **extra)

    return [
        insight("churn_probability", "Churn probability (0-1)", NUMBER, is_decimal=True),
        insight("churn_band", "Churn risk band", CHOICE, choices=tuple(CHURN_BANDS)),
        insight("predicted_clv", "Predicted lifetime value", NUMBER, is_decimal=True),
        insight("p_alive", "Probability still active (0-1)", NUMBER, is_decimal=True),
        insight("expected_purchases", "Expected purchases", NUMBER, is_decimal=True),
        insight("rfm_group", "RFM group", CHOICE, choices=tuple(RFM_GROUPS)),
        insight("recency_score", "RFM recency score (1-5)", NUMBER),
        insight("frequency_score", "RFM frequency score (1-5)", NUMBER),
        insight("monetary_score", "RFM monetary score (1-5)", NUMBER),
        insight("cluster", "Customer cluster", NUMBER),
        FieldSpec(
            "lead.conversion_probability",
            "Lead conversion probability (0-1)",
            NUMBER,
            f"{ANNOTATION_PREFIX}lead_conversion",
            group,
            annotation=_lead_conversion,
            is_decimal=True,
        ),
    ]


_CUSTOM_TYPES = {
    CustomFieldKind.TEXT: TEXT,
    CustomFieldKind.NUMBER: NUMBER,
    CustomFieldKind.DECIMAL: CHOICE,  # stored as text: equality only, no ordering
    CustomFieldKind.DATE: DATE,
    CustomFieldKind.BOOL: CHOICE,
    CustomFieldKind.CHOICE: CHOICE,
    CustomFieldKind.MULTI_CHOICE: LIST,
}


def _advocacy_score() -> Expression:
    """A contact without a score row scores zero (rows at zero are removed, see
    advocacy.advocates), so the field is never empty."""
    from cyclecrm.advocacy.models import AdvocateScore

    score = AdvocateScore.objects.filter(contact=OuterRef("pk")).values("score")[:1]
    return Coalesce(Subquery(score, output_field=FloatField()), Value(0.0))


def _active_members() -> Any:
    from cyclecrm.loyalty.models import Member

    return Member.objects.filter(program__is_active=True)


def _loyalty_balance() -> Expression:
    """Points across the contact's active programs; empty for a contact in none."""
    summed = (
        _active_members()
        .filter(contact=OuterRef("pk"))
        .order_by()
        .values("contact")
        .annotate(s=Sum("balance"))
        .values("s")
    )
    return Subquery(summed, output_field=IntegerField())


def _referrals_converted() -> Expression:
    from cyclecrm.loyalty.models import Referral, ReferralStatus

    counted = (
        Referral.objects.filter(referrer=OuterRef("pk"), status=ReferralStatus.CONVERTED)
        .order_by()
        .values("referrer")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


_TIER_LOOKUPS = {"eq": "iexact", "contains": "icontains", "startswith": "istartswith"}


def _tier_condition(op: str, value: Any) -> Q:
    """Contacts holding a tier so named in any active program."""
    members = _active_members().filter(tier__isnull=False)
    if op == "in":
        names = Q(pk__in=[])
        for item in value:
            names |= Q(tier__name__iexact=item)
        members = members.filter(names)
    elif op in _TIER_LOOKUPS:
        members = members.filter(**{f"tier__name__{_TIER_LOOKUPS[op]}": value})
    return Q(pk__in=members.values("contact_id"))


def _member_condition(op: str, value: Any) -> Q:
    """`true`: a member of an active program; `false`: of none. Never empty."""
    member = Q(pk__in=_active_members().values("contact_id"))
    if op == "is_not_empty":
        return Q(pk__isnull=False)
    wanted = set(value) if op == "in" else {value}
    if wanted == {"true", "false"}:
        return Q(pk__isnull=False)
    return member if "true" in wanted else ~member


def _loyalty_fields() -> list[FieldSpec]:
    """Loyalty membership, points and tier, referrals and the advocacy score
    (docs/advocacy-advocates.md)."""
    group = "Loyalty and advocacy"
    p = ANNOTATION_PREFIX
    return [
        FieldSpec(
            "advocacy.score",
            "Advocacy score",
            NUMBER,
            f"{p}advocacy_score",
            group,
            annotation=_advocacy_score,
            is_decimal=True,
        ),
        FieldSpec(
            "loyalty.member",
            "Loyalty member (any active program)",
            CHOICE,
            "pk",
            group,
            choices=("true", "false"),
            condition=_member_condition,
        ),
        FieldSpec(
            "loyalty.balance",
            "Loyalty points balance",
            NUMBER,
            f"{p}loyalty_balance",
            group,
            annotation=_loyalty_balance,
        ),
        FieldSpec(
            "loyalty.tier",
            "Loyalty tier (name, any program)",
            TEXT,
            "pk",
            group,
            condition=_tier_condition,
        ),
        FieldSpec(
            "referrals.converted",
            "Converted referrals",
            NUMBER,
            f"{p}referrals_converted",
            group,
            annotation=_referrals_converted,
        ),
    ]


def _custom_spec(definition: CustomField) -> FieldSpec:
    choices: tuple[str, ...] = ()
    if definition.kind == CustomFieldKind.BOOL:
        choices = ("true", "false")
    elif definition.kind in (CustomFieldKind.CHOICE, CustomFieldKind.MULTI_CHOICE):
        choices = tuple(definition.choices)
    return FieldSpec(
        f"custom.{definition.key}",
        definition.label,
        _CUSTOM_TYPES[definition.kind],
        f"custom__{definition.key}",
        "Custom fields",
        choices=choices,
        reads=(f"custom.{definition.key}",),
        json=True,
        custom_kind=definition.kind,
        extra={"definition": definition},
    )


def _static_specs() -> dict[str, FieldSpec]:
    specs = (
        _contact_fields()
        + _account_fields()
        + _behaviour_fields()
        + _prediction_fields()
        + _loyalty_fields()
    )
    return {spec.key: spec for spec in specs}


def field_catalog() -> list[FieldSpec]:
    """Every field a rule may use today, custom fields of contacts included (one query)."""
    custom = CustomField.objects.filter(record_type="contact", is_active=True).order_by("key")
    return list(_static_specs().values()) + [_custom_spec(definition) for definition in custom]


def field_spec(key: str) -> FieldSpec | None:
    if key.startswith("custom."):
        if not SLUG.fullmatch(key.removeprefix("custom.")):
            return None
        definition = CustomField.objects.filter(
            record_type="contact", is_active=True, key=key.removeprefix("custom.")
        ).first()
        return _custom_spec(definition) if definition else None
    return _static_specs().get(key)


def today() -> dt.date:
    """Today in UTC: the reference day for ages and day counts."""
    return dt.datetime.now(dt.UTC).date()
