"""Property tests of the rule compiler.

1. Random rule trees (all / any / not, empty groups included) over every operator of every
   field type the compiler supports: text, choice, number (plain, decimal, derived by subquery,
   age), date (timestamps, derived, ISO dates inside JSON), list, custom fields of each kind
   and a field with its own condition (loyalty membership). Compiled to SQL they select exactly
   the contacts a slow, obviously-correct Python evaluator (written only for this test) selects.
2. Any JSON-like value as rules either compiles (and its query runs) or is refused with the
   project's ValidationFailed naming the rule path; nothing else is ever raised.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cyclecrm.catalog.models import OrderStatus
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.models import CustomField
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.loyalty.membership import member_enroll
from cyclecrm.loyalty.models import LoyaltyProgram
from cyclecrm.segments.rules import RuleError, compile_rules
from cyclecrm.segments.selectors import rules_members
from cyclecrm.segments.tests.conftest import add_order

COUNTRIES = ["DE", "FR", "", "AT"]
STAGES = ["lead", "customer", ""]
GENDERS = ["female", "male", "", "other"]
INTERESTS = ["golf", "wine", "chess"]
TIERS, TOOLS = ["gold", "silver"], ["crm", "erp"]
CUSTOM = [  # key, kind, choices
    ("tier", "choice", TIERS),
    ("seats", "number", []),
    ("renewal", "date", []),
    ("vip", "bool", []),
    ("tools", "multi_choice", TOOLS),
    ("motto", "text", []),
]
DATETIME_FIELDS = {"last_interaction_at", "orders.last_date"}
JSON_DATE_FIELDS = {"custom.renewal"}
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op} | ({} if value is None else {"value": value})


def _ascending(pair: tuple) -> list:
    """The bounds of a `between` in order: numbers (some written as text, like decimals) by
    value, dates by their ISO text."""
    try:
        return sorted(pair, key=float)
    except ValueError:
        return sorted(pair)


def _ops(field: str, values: st.SearchStrategy, ops: list[str]) -> st.SearchStrategy:
    """Conditions on `field` with each of `ops`, values drawn from `values`."""
    single = [
        op for op in ops if op in ("eq", "ne", "lt", "lte", "gt", "gte", "contains", "startswith")
    ]
    strategies = []
    if single:
        strategies.append(st.builds(cond, st.just(field), st.sampled_from(single), values))
    if {"in", "not_in"} & set(ops):
        several = st.lists(values, min_size=1, max_size=3)
        listed = [op for op in ("in", "not_in") if op in ops]
        strategies.append(st.builds(cond, st.just(field), st.sampled_from(listed), several))
    if "between" in ops:
        pair = st.tuples(values, values).map(_ascending)
        strategies.append(st.builds(cond, st.just(field), st.just("between"), pair))
    if "within_last_days" in ops:
        days = st.sampled_from([0, 1, 7, 30, 100])
        strategies.append(
            st.builds(
                cond, st.just(field), st.sampled_from(["within_last_days", "before_days_ago"]), days
            )
        )
    if "is_empty" in ops:
        strategies.append(
            st.builds(cond, st.just(field), st.sampled_from(["is_empty", "is_not_empty"]))
        )
    return st.one_of(strategies)


TEXT = ["eq", "ne", "in", "not_in", "contains", "startswith", "is_empty"]
CHOICE = ["eq", "ne", "in", "not_in", "is_empty"]
NUMBER = ["eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between", "is_empty"]
DATE = ["lt", "lte", "gt", "gte", "between", "within_last_days", "is_empty"]
LIST = ["contains", "in", "is_empty"]


def _dates() -> st.SearchStrategy[str]:
    return st.sampled_from([0, 2, 10, 29, 45, 100, 400]).map(
        lambda days: (today() - dt.timedelta(days=days)).isoformat()
    )


def _condition() -> st.SearchStrategy[dict[str, Any]]:
    country = st.sampled_from([c for c in COUNTRIES if c])
    return st.one_of(
        _ops("country", country, TEXT),
        _ops("city", st.sampled_from(["b", "Ber", "lin", "M", "Munich"]), TEXT),
        _ops("lifecycle_stage", st.sampled_from(["lead", "customer"]), CHOICE),
        _ops("gender", st.sampled_from(["female", "male", "other"]), CHOICE),
        _ops("interactions_30d", st.integers(0, 6), NUMBER),
        _ops("age", st.integers(18, 70), NUMBER),
        _ops("orders.count", st.integers(0, 3), NUMBER),
        _ops("orders.total", st.sampled_from([0, 50, 100, "140.5", 1000]), NUMBER),
        _ops("account.employees", st.sampled_from([10, 100, 500]), NUMBER),
        _ops("interests", st.sampled_from(INTERESTS), LIST),
        _ops("last_interaction_at", _dates(), DATE),
        _ops("orders.last_date", _dates(), DATE),
        _ops("custom.tier", st.sampled_from(TIERS), CHOICE),
        _ops("custom.seats", st.integers(0, 20), NUMBER),
        _ops("custom.renewal", _dates(), DATE),
        _ops("custom.vip", st.sampled_from(["true", "false"]), CHOICE),
        _ops("custom.tools", st.sampled_from(TOOLS), LIST),
        _ops("custom.motto", st.sampled_from(["go", "Go far", "far"]), TEXT),
        _ops("loyalty.member", st.sampled_from(["true", "false"]), CHOICE),
    )


RULES = st.recursive(
    _condition(),
    lambda children: st.one_of(
        st.builds(lambda items: {"all": items}, st.lists(children, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(children, max_size=3)),
        st.builds(lambda child: {"not": child}, children),
    ),
    max_leaves=8,
).map(lambda node: node if "field" not in node else {"all": [node]})


# The reference evaluator ------------------------------------------------------------------------


def _age(born: dt.date | None) -> int | None:
    if born is None:
        return None
    now = today()
    return now.year - born.year - ((now.month, now.day) < (born.month, born.day))


def _facts(contact: Contact, members: set[int]) -> dict[str, Any]:
    """What the reference evaluator knows about a contact, computed in Python row by row."""
    orders = [o for o in contact.orders.all() if o.status != OrderStatus.CANCELLED]
    custom = contact.custom or {}
    renewal = custom.get("renewal")
    vip = custom.get("vip")
    return {
        "country": contact.country,
        "city": contact.city,
        "lifecycle_stage": contact.lifecycle_stage,
        "gender": contact.gender,
        "interactions_30d": contact.interactions_30d,
        "age": _age(contact.birth_date),
        "orders.count": len(orders),
        "orders.total": sum((o.total for o in orders), Decimal(0)),
        "account.employees": contact.account.employees if contact.account else None,
        "interests": list(contact.interests),
        "last_interaction_at": contact.last_interaction_at,
        "orders.last_date": max((o.ordered_at for o in orders), default=None),
        "custom.tier": custom.get("tier"),
        "custom.seats": custom.get("seats"),
        "custom.renewal": dt.date.fromisoformat(renewal) if renewal else None,
        "custom.vip": None if vip is None else str(vip).lower(),
        "custom.tools": custom.get("tools"),
        "custom.motto": custom.get("motto"),
        "loyalty.member": "true" if contact.pk in members else "false",
    }


def _value(field: str, raw: Any) -> Any:
    """A rule value as the evaluator compares it."""
    if raw is None:
        return None
    if isinstance(raw, list):
        return [_value(field, item) for item in raw]
    if field in DATETIME_FIELDS or field in JSON_DATE_FIELDS:
        return dt.date.fromisoformat(raw)
    if field == "orders.total":
        return Decimal(str(raw))
    return raw


def _holds(facts: dict[str, Any], node: dict[str, Any]) -> bool:
    if "all" in node:
        return all(_holds(facts, child) for child in node["all"])
    if "any" in node:
        return any(_holds(facts, child) for child in node["any"])
    if "not" in node:
        return not _holds(facts, node["not"])
    field, op = node["field"], node["op"]
    actual, value = facts[field], node.get("value")
    if op not in ("within_last_days", "before_days_ago"):
        value = _value(field, value)
    if op == "is_empty":
        return actual in (None, "", [])
    if op == "is_not_empty":
        return actual not in (None, "", [])
    if op in ("ne", "not_in"):
        return not _holds(facts, {**node, "op": "eq" if op == "ne" else "in"})
    if actual is None:
        return False
    if op in ("within_last_days", "before_days_ago"):
        return _days(field, actual, op, value)
    if isinstance(actual, dt.datetime):
        actual = actual.astimezone(dt.UTC).date()
    if isinstance(actual, list):
        return any(item in actual for item in value) if op == "in" else value in actual
    return {
        "eq": lambda: actual == value,
        "in": lambda: actual in value,
        "lt": lambda: actual < value,
        "lte": lambda: actual <= value,
        "gt": lambda: actual > value,
        "gte": lambda: actual >= value,
        "between": lambda: value[0] <= actual <= value[1],
        "contains": lambda: value.lower() in actual.lower(),
        "startswith": lambda: actual.lower().startswith(value.lower()),
    }[op]()


def _days(field: str, actual: Any, op: str, days: int) -> bool:
    if isinstance(actual, dt.datetime):
        bound: Any = timezone.now() - dt.timedelta(days=days)
    else:
        bound = today() - dt.timedelta(days=days)
    return actual >= bound if op == "within_last_days" else actual < bound


# Data -------------------------------------------------------------------------------------------


def _custom(i: int) -> dict[str, Any]:
    """Custom values, each key missing for some contacts; an empty multi-choice, blank text and
    JSON nulls for some."""
    values = {
        "tier": TIERS[i % 2] if i % 3 else None,
        "seats": (i * 7) % 21 if i % 4 else None,
        "renewal": (today() - dt.timedelta(days=(i * 13) % 120)).isoformat() if i % 5 else None,
        "vip": bool(i % 2) if i % 3 != 1 else None,
        "tools": [TOOLS[j] for j in range(2) if (i >> j) & 1] if i % 6 else None,
        "motto": ["Go far", "go", "Far away", ""][i % 4] if i % 7 else None,
    }
    kept = {key: value for key, value in values.items() if value is not None}
    if i % 8 == 3:  # JSON null, as rows written around the coercer may hold
        kept |= {"seats": None, "tier": None, "tools": None}
    return kept


@pytest.fixture
def population(admin):
    for key, kind, choices in CUSTOM:
        CustomField.objects.create(
            record_type="contact", key=key, label=key.title(), kind=kind, choices=choices
        )
    small = make_account(admin, name="Small", employees=10)
    large = make_account(admin, name="Large", employees=500)
    bare = make_account(admin, name="Bare")
    program = LoyaltyProgram.objects.create(name="Club", currency="EUR")
    cities = ["Berlin", "Munich", "", "Bern"]
    now = timezone.now()
    contacts = []
    for i in range(16):
        born = today().replace(year=today().year - 18 - 3 * i, day=min(today().day, 28))
        contact = make_contact(
            admin,
            last_name=f"P{i}",
            country=COUNTRIES[i % 4],
            city=cities[(i // 2) % 4],
            lifecycle_stage=STAGES[i % 3],
            gender=GENDERS[i % 4],
            birth_date=None if i % 5 == 0 else born - dt.timedelta(days=(i * 37) % 300),
            interests=[INTERESTS[j] for j in range(3) if (i >> j) & 1],
            account=[None, small, large, bare][(i // 3) % 4],
            custom=_custom(i),
        )
        last = None if i % 4 == 0 else now - dt.timedelta(days=5 * i, hours=12)
        Contact.objects.filter(pk=contact.pk).update(
            interactions_30d=i % 7, last_interaction_at=last
        )
        for n in range(i % 3):
            add_order(contact, str(40 * (n + 1) + i), days_ago=n * 20 + i + 1)
        if i % 5 == 0:
            add_order(contact, "900", status=OrderStatus.CANCELLED)
        if i % 3 == 2:
            member_enroll(program=program, contact=contact)
        contacts.append(contact)
    return contacts


@pytest.mark.django_db
@SETTINGS
@given(rules=RULES)
@example(rules={"all": [cond("custom.tools", "is_empty")]})
@example(rules={"not": {"any": [cond("custom.motto", "ne", "go"), cond("age", "is_empty")]}})
@example(rules={"any": [cond("last_interaction_at", "within_last_days", 30)]})
@example(rules={"all": [cond("custom.seats", "lt", 10), cond("custom.tier", "ne", "gold")]})
def test_compiled_rules_match_the_reference_evaluator(admin, population, rules):
    members = set(
        LoyaltyProgram.objects.get(name="Club").members.values_list("contact_id", flat=True)
    )
    facts = {
        contact.pk: _facts(contact, members)
        for contact in Contact.objects.select_related("account").prefetch_related("orders")
    }
    expected = {pk for pk, known in facts.items() if _holds(known, rules)}

    actual = set(rules_members(actor=admin, rules=rules).values_list("pk", flat=True))

    assert actual == expected, rules


# Malformed rules --------------------------------------------------------------------------------

FIELDS = ["country", "age", "orders.total", "last_interaction_at", "interests", "custom.seats",
          "custom.renewal", "custom.nope", "nope", "loyalty.tier", "account.employees"]  # fmt: skip
OPS = ["eq", "ne", "in", "between", "lt", "contains", "within_last_days", "is_empty", "like", ""]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["2024-02-30", "0001-01-01", "9999-12-31", "1e400", "NaN", "a\x00b", "true"]),
)
KEYS = ["all", "any", "not", "field", "op", "value", "extra"]
ANYTHING = st.recursive(
    scalars | st.sampled_from(FIELDS) | st.sampled_from(OPS),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=3)
    ),
    max_leaves=12,
)
CONDITIONS = st.fixed_dictionaries(
    {"field": st.sampled_from(FIELDS), "op": st.sampled_from(OPS)},
    optional={"value": ANYTHING},
)
MALFORMED = st.one_of(
    ANYTHING,
    st.builds(lambda items: {"all": items}, st.lists(CONDITIONS | ANYTHING, max_size=4)),
    st.builds(lambda item: {"any": [{"not": item}]}, CONDITIONS),
)


@pytest.mark.django_db
@SETTINGS
@given(rules=MALFORMED)
def test_malformed_rules_are_refused_with_validation_failed_only(admin, population, rules):
    try:
        compiled = compile_rules(rules)
    except ValidationFailed as exc:
        assert exc.fields and all(path.startswith("rules") for path in exc.fields), exc.fields
        return
    compiled.apply(Contact.objects.all()).count()  # what compiles also runs


@pytest.mark.parametrize("rules", [None, [], "all", {"all": [], "any": []}, {"every": []}])
def test_rules_that_are_no_group_are_refused_naming_the_root(rules):
    with pytest.raises(RuleError) as refused:
        compile_rules(rules)
    assert list(refused.value.fields) == ["rules"]


@pytest.mark.django_db
def test_empty_groups_select_everyone_or_no_one(admin, population):
    everyone = set(Contact.objects.values_list("pk", flat=True))

    def selected(rules: dict) -> set[int]:
        return set(rules_members(actor=admin, rules=rules).values_list("pk", flat=True))

    assert selected({}) == everyone  # the model's default: no rules, as the service stores it
    assert selected({"all": []}) == everyone
    assert selected({"any": []}) == set()
    assert selected({"not": {"all": []}}) == set()
    assert selected({"not": {"any": []}}) == everyone
