"""The contact requests measured at a million rows (docs/performance.md "Lists, detail and
writes"): exact query counts that do not grow with the rows, and query plans that read the
ordering index instead of sorting."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.activities.tests.factories import make_interaction
from cyclecrm.contacts import selectors
from cyclecrm.contacts.models import Contact
from cyclecrm.core.models import Tag
from cyclecrm.core.pagination import paginate
from cyclecrm.core.testing.factories import make_contact, make_user
from cyclecrm.core.testing.plans import query_plan
from cyclecrm.web.records import lists

# Per request: the token row, then the work itself. A superuser's rights cost no query; a
# sales rep's are read once (teams, managed teams, own roles, team roles with their teams,
# teams below).
TOKEN = 1
RIGHTS = {"superuser": 0, "rep_a": 6}


@pytest.fixture
def superuser(teams):
    return make_user("root", is_superuser=True, is_staff=True)


def _add_contacts(owner, count: int) -> list[Contact]:
    tags = [Tag.objects.get_or_create(name=name)[0] for name in ("a", "b")]
    contacts = []
    for _ in range(count):
        contact = make_contact(owner=owner)
        contact.tags.set(tags)
        make_interaction(owner=owner, contact=contact).tags.set(tags)
        contacts.append(contact)
    return contacts


def _queries(client, method: str, url: str, **kwargs) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, **kwargs)
    assert response.status_code in (200, 201), response.content
    return [query["sql"] for query in captured.captured_queries]


def _warm(client) -> None:
    """The token's last-use stamp is written once a minute, not per request."""
    client.get("/api/v1/users/me")


@pytest.mark.parametrize("role", ["superuser", "rep_a"])
@pytest.mark.parametrize("rows", [2, 12])
def test_list_pages_cost_a_fixed_number_of_queries(request, api_client, rep_a, role, rows):
    client = api_client(request.getfixturevalue(role))
    _add_contacts(rep_a, rows)
    _warm(client)

    first = _queries(client, "get", "/api/v1/contacts?limit=1")
    cursor = client.get("/api/v1/contacts?limit=1").json()["next_cursor"]
    deep = _queries(client, "get", f"/api/v1/contacts?limit=1&cursor={cursor}")

    # the page, its tags
    assert len(first) == TOKEN + RIGHTS[role] + 2, "\n".join(first)
    assert len(deep) == len(first)
    assert not any("COUNT(" in sql.upper() for sql in first), "a list page does not count"


@pytest.mark.parametrize("role", ["superuser", "rep_a"])
def test_detail_and_timeline_cost_a_fixed_number_of_queries(request, api_client, rep_a, role):
    client = api_client(request.getfixturevalue(role))
    contact = _add_contacts(rep_a, 1)[0]
    for _ in range(5):
        make_interaction(owner=rep_a, contact=contact)
    _warm(client)

    detail = _queries(client, "get", f"/api/v1/contacts/{contact.pk}")
    timeline = _queries(client, "get", f"/api/v1/contacts/{contact.pk}/timeline")

    # the contact, its tags
    assert len(detail) == TOKEN + RIGHTS[role] + 2, "\n".join(detail)
    # the contact and its tags, the interactions, their tags, attachments and attendees
    assert len(timeline) == TOKEN + RIGHTS[role] + 2 + 4, "\n".join(timeline)


def test_create_and_update_write_once_each(api_client, superuser):
    client = api_client(superuser)
    _warm(client)

    created = _queries(
        client,
        "post",
        "/api/v1/contacts?force=true",
        data={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
        content_type="application/json",
    )
    contact = Contact.objects.get(email="ada@example.com")
    updated = _queries(
        client,
        "patch",
        f"/api/v1/contacts/{contact.pk}?force=true",
        data={"version": contact.version, "title": "Countess"},
        content_type="application/json",
    )

    inserts = [sql for sql in created if sql.startswith("INSERT")]
    assert not any(sql.startswith("SELECT 1 AS") for sql in created + updated)
    assert len(created) == EXPECTED_CREATE, "\n".join(created)
    assert len(updated) == EXPECTED_UPDATE, "\n".join(updated)
    assert len(inserts) == len({sql.split('"')[1] for sql in inserts}), "one INSERT per table"


# Inside a test's transaction (savepoints for BEGIN/COMMIT, no on-commit event dispatch): the
# token, the custom field definitions, savepoints, one INSERT of the contact (an UPDATE on
# update, after reading it and its tags) and one of its history entry, the answer's tags. No
# SELECT re-checks the owner, team, created_by or updated_by the service set itself.
EXPECTED_CREATE = 13
EXPECTED_UPDATE = 11


def test_the_web_list_page_does_not_grow_with_the_rows(web_client, superuser, rep_a):
    client = web_client(superuser)
    _add_contacts(rep_a, 2)
    client.get("/contacts/")
    with_two = _queries(client, "get", "/contacts/")

    _add_contacts(rep_a, 10)
    with_twelve = _queries(client, "get", "/contacts/")

    assert len(with_twelve) == len(with_two) == EXPECTED_WEB_LIST, "\n".join(with_twelve)


# session, user, the second-factor check (for this superuser: whether a role requires it, and
# whether they have a device; docs/security.md "Accounts"), custom fields, capped count, page,
# tags, saved views, owner and team choices, tag choices, custom field filters, segments.
EXPECTED_WEB_LIST = 14


def test_the_web_list_counts_no_further_than_the_cap(web_client, superuser, rep_a):
    _add_contacts(rep_a, 3)
    client = web_client(superuser)
    original = lists.COUNT_CAP
    lists.COUNT_CAP = 2
    try:
        body = client.get("/contacts/").content.decode()
    finally:
        lists.COUNT_CAP = original

    assert "2+ contacts" in body


# Query plans ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ordering", ["name", "-name"])
def test_first_and_keyset_pages_read_the_name_index_in_order(superuser, rep_a, ordering):
    _add_contacts(rep_a, 4)
    queryset = selectors.contact_list(actor=superuser)
    first = paginate(
        queryset,
        orderings=selectors.CONTACT_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
        limit=2,
        cursor=None,
    )
    captured = {}
    for label, cursor in (("first", None), ("keyset", first.next_cursor)):
        with CaptureQueriesContext(connection) as queries:
            paginate(
                queryset,
                orderings=selectors.CONTACT_ORDERINGS,
                ordering=ordering,
                default_ordering="name",
                limit=2,
                cursor=cursor,
            )
        captured[label] = queries.captured_queries[0]["sql"]

    for label, sql in captured.items():
        plan = _explain_sql(sql)
        assert "contacts_contact_name_idx" in plan, f"{label}:\n{plan}"
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, f"{label}:\n{plan}"


def _explain_sql(sql: str) -> str:
    # A handful of rows: left alone, PostgreSQL rightly prefers a bitmap scan and a sort.
    # With sorting priced out, a plan without a Sort node exists only if an index delivers
    # the order, which is what the test asks.
    return query_plan(sql, disable=["enable_seqscan", "enable_bitmapscan", "enable_sort"])
