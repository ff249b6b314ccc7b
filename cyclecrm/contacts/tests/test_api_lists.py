"""List mechanics of the accounts and contacts API: cursor pagination walks every row exactly
once in every ordering, and the number of queries does not grow with the page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.contacts.selectors import ACCOUNT_ORDERINGS, CONTACT_ORDERINGS
from cyclecrm.core.models import Tag
from cyclecrm.core.testing.factories import make_account, make_contact


def _walk(client, url: str, limit: int) -> list[int]:
    ids: list[int] = []
    cursor = None
    for _ in range(50):
        page_url = f"{url}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(page_url).json()
        assert len(body["items"]) <= limit
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("pagination did not end")


@pytest.fixture
def many_contacts(rep_a):
    """Nine contacts with ties in every sort column, so the id tie-breaker matters."""
    moment = timezone.now()
    for n in range(9):
        contact = make_contact(
            owner=rep_a,
            first_name=["Ada", "Bob", "Cy"][n % 3],
            last_name=["Lee", "Kim"][n % 2],
            email=f"{['a', 'b'][n % 2]}@example.com",
        )
        Contact.objects.filter(pk=contact.pk).update(
            created_at=moment - dt.timedelta(minutes=n % 4),
            updated_at=moment - dt.timedelta(minutes=n % 3),
        )


@pytest.fixture
def many_accounts(rep_a):
    moment = timezone.now()
    for n in range(9):
        account = make_account(owner=rep_a, name=["Acme", "Beta"][n % 2], domain=f"d{n % 3}.com")
        Account.objects.filter(pk=account.pk).update(
            created_at=moment - dt.timedelta(minutes=n % 4),
            updated_at=moment - dt.timedelta(minutes=n % 3),
        )


@pytest.mark.parametrize("ordering", sorted(CONTACT_ORDERINGS))
@pytest.mark.parametrize("limit", [2, 4])
def test_contact_pages_walk_every_row_once(api_client, rep_a, many_contacts, ordering, limit):
    expected = list(
        Contact.objects.order_by(*CONTACT_ORDERINGS[ordering].order_by()).values_list(
            "id", flat=True
        )
    )

    walked = _walk(api_client(rep_a), f"/api/v1/contacts?ordering={ordering}", limit)

    assert walked == expected
    assert len(set(walked)) == len(expected) == 9


@pytest.mark.parametrize("ordering", sorted(ACCOUNT_ORDERINGS))
def test_account_pages_walk_every_row_once(api_client, rep_a, many_accounts, ordering):
    expected = list(
        Account.objects.order_by(*ACCOUNT_ORDERINGS[ordering].order_by()).values_list(
            "id", flat=True
        )
    )

    walked = _walk(api_client(rep_a), f"/api/v1/accounts?ordering={ordering}", 2)

    assert walked == expected
    assert len(set(walked)) == 9


def test_rows_added_between_pages_neither_repeat_nor_vanish(api_client, rep_a):
    for name in ["b", "d", "f"]:
        make_contact(owner=rep_a, last_name=name)
    client = api_client(rep_a)
    first = client.get("/api/v1/contacts?limit=2").json()

    make_contact(owner=rep_a, last_name="a")
    make_contact(owner=rep_a, last_name="e")
    rest = client.get(f"/api/v1/contacts?limit=10&cursor={first['next_cursor']}").json()

    names = [c["last_name"] for c in first["items"]] + [c["last_name"] for c in rest["items"]]
    assert names == ["b", "d", "e", "f"]


def test_a_cursor_of_another_ordering_is_refused(api_client, rep_a, many_contacts):
    client = api_client(rep_a)
    cursor = client.get("/api/v1/contacts?ordering=name&limit=2").json()["next_cursor"]

    response = client.get(f"/api/v1/contacts?ordering=email&cursor={cursor}")

    assert response.status_code == 422
    assert "cursor" in response.json()["error"]["fields"]


# Query counts --------------------------------------------------------------------------------


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _add_accounts_and_contacts(owner, count: int) -> None:
    tags = [Tag.objects.get_or_create(name=name)[0] for name in ("a", "b")]
    for _ in range(count):
        account = make_account(owner=owner)
        account.tags.set(tags)
        contact = make_contact(owner=owner, account=account)
        contact.tags.set(tags)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/contacts?limit=50",
        "/api/v1/accounts?limit=50",
        "/api/v1/contacts/export",
        "/api/v1/accounts/export",
        "/api/v1/contacts?q=Ada&tag=a&ordering=-updated_at",
    ],
)
@pytest.mark.parametrize("role", ["admin", "manager", "rep_a"])
def test_query_count_does_not_grow_with_the_rows(request, api_client, rep_a, url, role):
    client = api_client(request.getfixturevalue(role))
    _add_accounts_and_contacts(rep_a, 2)
    client.get("/api/v1/users/me")  # the token's last-use stamp is written once, not per page
    with_two = _count_queries(client, url)

    _add_accounts_and_contacts(rep_a, 10)
    with_twelve = _count_queries(client, url)

    assert with_twelve == with_two


def test_query_count_of_the_related_list_does_not_grow(api_client, rep_a):
    account = make_account(owner=rep_a)
    client = api_client(rep_a)
    client.get("/api/v1/users/me")
    url = f"/api/v1/accounts/{account.pk}/contacts"
    for _ in range(2):
        make_contact(owner=rep_a, account=account)
    with_two = _count_queries(client, url)

    for _ in range(10):
        make_contact(owner=rep_a, account=account)

    assert _count_queries(client, url) == with_two
