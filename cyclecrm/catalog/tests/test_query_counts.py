"""The number of queries of the catalog's lists (API and pages) does not grow with the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.catalog.models import QuoteLine
from cyclecrm.catalog.tests.factories import make_opportunity, make_order, make_product, make_quote
from cyclecrm.core.models import Tag
from cyclecrm.core.testing.factories import make_account, make_contact

HTMX = {"HX-Request": "true"}


def _count(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def _seed(kind: str, count: int, owners: list) -> None:
    tag, _ = Tag.objects.get_or_create(name="vip")
    for n in range(count):
        owner = owners[n % len(owners)]
        if kind == "product":
            row = make_product()
        elif kind == "quote":
            account = make_account(owner=owner)
            row = make_quote(owner, lines=2, opportunity=make_opportunity(owner, account=account))
        else:
            account = make_account(owner=owner)
            contact = make_contact(owner=owner, account=account)
            quote = make_quote(owner)
            row = make_order(owner, lines=2, account=account, contact=contact, quote=quote,
                             opportunity=quote.opportunity)  # fmt: skip
        row.tags.add(tag)


API_URLS = {
    "product": ["/api/v1/products?limit=50", "/api/v1/products/export"],
    "quote": ["/api/v1/quotes?limit=50", "/api/v1/quotes/export", "/api/v1/quotes?status=draft"],
    "order": ["/api/v1/orders?limit=50", "/api/v1/orders/export", "/api/v1/orders?total_min=1"],
}
PAGE_COLUMNS = {
    "product": "name,sku,category,vendor,price_label,is_active,owner,tags",
    "quote": "number,opportunity,status,total_label,valid_until,owner,team,tags",
    "order": "number,ordered_at,account,contact,status,total_label,quote,opportunity,owner,tags",
}


@pytest.mark.parametrize("kind", ["product", "quote", "order"])
@pytest.mark.parametrize("role", ["admin", "manager", "rep_a"])
def test_api_lists(request, api_client, users, kind, role):
    client = api_client(users[role])
    owners = [users["rep_a"], users["rep_b"]]
    # only admins export products (configuration is read-only for the other roles)
    urls = [url for url in API_URLS[kind] if role == "admin" or url != "/api/v1/products/export"]
    client.get("/api/v1/users/me")  # the token's last-use stamp is written once
    _seed(kind, 2, owners)
    small = [_count(client, url) for url in urls]
    _seed(kind, 8, owners)
    large = [_count(client, url) for url in urls]
    assert small == large


@pytest.mark.parametrize("kind", ["product", "quote", "order"])
@pytest.mark.parametrize("role", ["admin", "manager", "rep_a"])
@pytest.mark.parametrize("partial", [False, True])
def test_list_pages(web_client, users, kind, role, partial):
    client = web_client(users[role])
    owners = [users["rep_a"], users["rep_b"]]
    url = f"/{kind}s/?cols={PAGE_COLUMNS[kind]}"
    headers = HTMX if partial else {}
    _seed(kind, 2, owners)
    client.get(url)  # warm per-process caches
    small = _count(client, url, **headers)
    _seed(kind, 8, owners)
    large = _count(client, url, **headers)
    assert small == large, f"{small} queries for 2 rows, {large} for 10"


def test_detail_pages_and_purchase_history(web_client, users):
    rep = users["rep_a"]
    account = make_account(owner=rep)
    contact = make_contact(owner=rep, account=account)
    quote = make_quote(rep, lines=2)
    order = make_order(rep, lines=2, account=account, contact=contact)
    client = web_client(rep)
    urls = [f"/quotes/{quote.pk}/", f"/orders/{order.pk}/", f"/accounts/{account.pk}/",
            f"/contacts/{contact.pk}/"]  # fmt: skip
    for url in urls:
        client.get(url)
    small = [_count(client, url) for url in urls]
    for _ in range(8):
        make_order(rep, lines=1, account=account, contact=contact)
    for position in range(2, 10):
        QuoteLine.objects.create(quote=quote, position=position, description="More",
                                 quantity=1, unit_price=1, net=1, tax=0)  # fmt: skip
    large = [_count(client, url) for url in urls]
    assert small == large
