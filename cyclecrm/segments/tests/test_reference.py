"""Property test: random rule trees compiled to SQL select exactly the contacts a slow,
obviously-correct Python evaluator (written only for this test) selects."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyclecrm.catalog.models import OrderStatus
from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.segments.selectors import rules_members
from cyclecrm.segments.tests.conftest import add_order

COUNTRIES = ["DE", "FR", "", "AT"]
STAGES = ["lead", "customer", ""]
INTERESTS = ["golf", "wine", "chess"]


def _condition() -> st.SearchStrategy[dict[str, Any]]:
    def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
        return {"field": field, "op": op} | ({} if value is None else {"value": value})

    country = st.sampled_from([c for c in COUNTRIES if c])
    number = st.integers(0, 6)
    return st.one_of(
        st.builds(cond, st.just("country"), st.sampled_from(["eq", "ne"]), country),
        st.builds(cond, st.just("country"), st.sampled_from(["in", "not_in"]),
                  st.lists(country, min_size=1, max_size=3)),
        st.builds(cond, st.just("country"), st.sampled_from(["is_empty", "is_not_empty"])),
        st.builds(cond, st.just("city"), st.sampled_from(["contains", "startswith"]),
                  st.sampled_from(["b", "Ber", "lin", "M"])),
        st.builds(cond, st.just("lifecycle_stage"), st.sampled_from(["eq", "ne"]),
                  st.sampled_from(["lead", "customer"])),
        st.builds(cond, st.just("interactions_30d"),
                  st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]), number),
        st.builds(cond, st.just("orders.count"), st.sampled_from(["eq", "lt", "gt", "gte"]),
                  st.integers(0, 3)),
        st.builds(cond, st.just("orders.total"), st.sampled_from(["lt", "gte"]),
                  st.sampled_from([0, 50, 100, 1000])),
        st.builds(cond, st.just("interests"), st.just("contains"), st.sampled_from(INTERESTS)),
        st.builds(cond, st.just("interests"), st.sampled_from(["is_empty", "is_not_empty"])),
        st.builds(cond, st.just("account.employees"), st.sampled_from(["gt", "lte", "ne"]),
                  st.sampled_from([10, 100])),
    )  # fmt: skip


RULES = st.recursive(
    _condition(),
    lambda children: st.one_of(
        st.builds(lambda items: {"all": items}, st.lists(children, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(children, max_size=3)),
        st.builds(lambda child: {"not": child}, children),
    ),
    max_leaves=8,
).map(lambda node: node if "field" not in node else {"all": [node]})


def _facts(contact: Contact) -> dict[str, Any]:
    """What the reference evaluator knows about a contact, computed in Python row by row."""
    orders = [o for o in contact.orders.all() if o.status != OrderStatus.CANCELLED]
    return {
        "country": contact.country,
        "city": contact.city,
        "lifecycle_stage": contact.lifecycle_stage,
        "interactions_30d": contact.interactions_30d,
        "orders.count": len(orders),
        "orders.total": sum((o.total for o in orders), Decimal(0)),
        "interests": list(contact.interests),
        "account.employees": contact.account.employees if contact.account else None,
    }


def _holds(facts: dict[str, Any], node: dict[str, Any]) -> bool:
    if "all" in node:
        return all(_holds(facts, child) for child in node["all"])
    if "any" in node:
        return any(_holds(facts, child) for child in node["any"])
    if "not" in node:
        return not _holds(facts, node["not"])
    actual, op, value = facts[node["field"]], node["op"], node.get("value")
    if op == "is_empty":
        return actual in (None, "", [])
    if op == "is_not_empty":
        return actual not in (None, "", [])
    if op in ("ne", "not_in"):
        return not _holds(facts, {**node, "op": "eq" if op == "ne" else "in"})
    if actual is None:
        return False
    if isinstance(actual, list):
        return value in actual
    return {
        "eq": lambda: actual == value,
        "in": lambda: actual in value,
        "lt": lambda: actual < value,
        "lte": lambda: actual <= value,
        "gt": lambda: actual > value,
        "gte": lambda: actual >= value,
        "contains": lambda: value.lower() in actual.lower(),
        "startswith": lambda: actual.lower().startswith(value.lower()),
    }[op]()


@pytest.fixture
def population(admin, django_db_blocker):
    from cyclecrm.core.testing.factories import make_account

    small = make_account(admin, name="Small", employees=10)
    large = make_account(admin, name="Large", employees=500)
    bare = make_account(admin, name="Bare")
    cities = ["Berlin", "Munich", "", "Bern"]
    contacts = []
    for i in range(16):
        contact = make_contact(
            admin,
            last_name=f"P{i}",
            country=COUNTRIES[i % 4],
            city=cities[(i // 2) % 4],
            lifecycle_stage=STAGES[i % 3],
            interests=[INTERESTS[j] for j in range(3) if (i >> j) & 1],
            account=[None, small, large, bare][(i // 3) % 4],
        )
        Contact.objects.filter(pk=contact.pk).update(interactions_30d=i % 7)
        for n in range(i % 3):
            add_order(contact, str(40 * (n + 1) + i), days_ago=n + 1)
        if i % 5 == 0:
            add_order(contact, "900", status=OrderStatus.CANCELLED)
        contacts.append(contact)
    return contacts


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=dt.timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rules=RULES)
def test_compiled_rules_match_the_reference_evaluator(admin, population, rules):
    facts = {
        contact.pk: _facts(contact)
        for contact in Contact.objects.select_related("account").prefetch_related("orders")
    }
    expected = {pk for pk, known in facts.items() if _holds(known, rules)}

    actual = set(rules_members(actor=admin, rules=rules).values_list("pk", flat=True))

    assert actual == expected, rules
