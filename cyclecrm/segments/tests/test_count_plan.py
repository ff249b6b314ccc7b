"""The member count of rules combining country and city reads the (country, city) index.

On SQLite only: PostgreSQL's planner picks between the (country, region) and (country, city)
indexes on a test table's estimated costs, which are equal for three rows, so a plan assertion
there would test the statistics, not the index."""

import pytest
from django.db import connection

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
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_country_and_city_rules_count_through_the_country_city_index(admin):
    for city in ("London", "Leeds", "York"):
        make_contact(admin, country="GB", city=city, lifecycle_stage="customer")
    assert selectors.rules_preview(actor=admin, rules=RULES) == 2
    if connection.vendor != "sqlite":
        pytest.skip("plan asserted on SQLite (see the module docstring)")
    members = selectors.rules_members(actor=admin, rules=RULES)
    sql, params = members.order_by().values("pk").query.sql_with_params()

    assert "contacts_contact_city_idx" in _plan(sql, params)
