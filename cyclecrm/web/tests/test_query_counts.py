"""The account and contact lists run a fixed number of queries however many rows they show:
owner, team, account / parent, tags and custom field columns included, full page and htmx
fragment alike, for roles whose visibility rules differ."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cyclecrm.core.models import CustomField
from cyclecrm.core.testing.factories import make_account, make_contact

HTMX = {"HX-Request": "true"}
COLUMNS = "?cols=name,owner,team,tags,account,parent,custom.tier"


@pytest.fixture
def users(manager, rep_a, rep_b, admin) -> dict:
    return {"manager": manager, "rep_a": rep_a, "rep_b": rep_b, "admin": admin}


_numbers = itertools.count()


def _seed(kind: str, count: int, owners: list) -> None:
    """Rows with every kind of related value a column can show: owner, team, tags, custom
    values, and an account (contacts) or parent account (accounts) owned by someone else."""
    CustomField.objects.get_or_create(
        record_type=kind, key="tier", defaults={"label": "Tier", "kind": "text"}
    )
    for n in range(count):
        owner, other = owners[n % len(owners)], owners[(n + 1) % len(owners)]
        linked = make_account(owner=other)
        if kind == "account":
            record = make_account(owner=owner, parent=linked, custom={"tier": "gold"})
        else:
            record = make_contact(owner=owner, account=linked, custom={"tier": "gold"})
        record.tags.create(name=f"tag-{next(_numbers)}")


def _measure(client, path: str, headers: dict) -> tuple[int, int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    rows = len(response.context["list"].page.items)
    return len(ctx.captured_queries), rows, [query["sql"] for query in ctx.captured_queries]


@pytest.mark.parametrize("kind", ["account", "contact"])
@pytest.mark.parametrize("role", ["manager", "rep_a", "admin"])
@pytest.mark.parametrize("partial", [False, True])
def test_list_query_count_does_not_grow_with_rows(web_client, users, kind, role, partial):
    owners = [users["rep_a"], users["rep_b"]]
    path = reverse(f"{kind}_list") + COLUMNS
    client = web_client(users[role])
    headers = HTMX if partial else {}
    _seed(kind, 2, owners)
    client.get(path)  # warm per-process caches (content types, sessions)
    small, small_rows, _ = _measure(client, path, headers)
    _seed(kind, 10, owners)
    large, large_rows, sql = _measure(client, path, headers)
    assert large_rows >= small_rows + 5
    assert small == large, f"{small} queries for {small_rows} rows, {large} for {large_rows}:\n" + (
        "\n".join(sql)
    )
