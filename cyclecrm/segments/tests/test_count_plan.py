"""The member count of rules combining country and city reads the (country, city) index."""

import pytest
from django.db import connection, transaction

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.segments import selectors

pytestmark = pytest.mark.django_db

RULES = {
    "all": [
        {"field": "country", "op": "eq", "value": "GB"},
        {"field": "city", "op": "in", "value": ["London", "Leeds"]},
        {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
    ]
}


def _plan(sql: str, params: tuple) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        else:
            # A test table is tiny, where a sequential scan is rightly cheapest.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_country_and_city_rules_count_through_the_country_city_index(admin):
    for city in ("London", "Leeds", "York"):
        make_contact(admin, country="GB", city=city, lifecycle_stage="customer")
    members = selectors.rules_members(actor=admin, rules=RULES)
    sql, params = members.order_by().values("pk").query.sql_with_params()

    plan = _plan(sql, params)

    assert "contacts_contact_city_idx" in plan
    assert selectors.rules_preview(actor=admin, rules=RULES) == 2
