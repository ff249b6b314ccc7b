"""The cross-sell and upsell job on CRM orders, the offer selectors and the account page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cyclecrm.catalog.models import OrderLine, OrderStatus
from cyclecrm.catalog.tests.factories import make_order, make_product
from cyclecrm.core.errors import NotFound
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.intelligence.models import ModelKind, Offer, OfferKind, RunStatus
from cyclecrm.intelligence.offer_selectors import offers_for_account, offers_for_contact
from cyclecrm.intelligence.services import model_run_train_now

pytestmark = pytest.mark.django_db
START = timezone.now() - dt.timedelta(days=200)


def _buy(owner, contact, products, day: int, status=OrderStatus.PAID):
    order = make_order(owner, lines=0, contact=contact, account=contact.account, status=status,
                       ordered_at=START + dt.timedelta(days=day))  # fmt: skip
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=product, position=position, quantity=1,
                  unit_price=product.unit_price, net=product.unit_price, tax=0)
        for position, product in enumerate(products)
    )  # fmt: skip
    return order


def _product(name, category, price, **fields):
    return make_product(name=name, category=category, unit_price=Decimal(price), **fields)


@pytest.fixture
def shop(rep_a):
    """Bikes go with helmets, locks with pumps; an inactive bell went with bikes too."""
    p = {
        "bike": _product("City bike", "Bikes", "500"),
        "premium": _product("Premium bike", "Bikes", "900"),
        "helmet": _product("Helmet", "Accessories", "50"),
        "lock": _product("Lock", "Accessories", "30"),
        "pump": _product("Pump", "Accessories", "20"),
        "bell": _product("Old bell", "Accessories", "5", is_active=False),
    }
    for n in range(30):
        contact = make_contact(owner=rep_a, account=make_account(owner=rep_a))
        bundle = [p["bike"], p["helmet"]] + ([p["bell"]] if n % 3 == 0 else [])
        _buy(rep_a, contact, bundle if n % 2 == 0 else [p["lock"], p["pump"]], day=n)
        _buy(rep_a, contact, [p["lock"], p["pump"]] if n % 2 == 0 else [p["bike"], p["helmet"]],
             day=n, status=OrderStatus.CANCELLED)  # fmt: skip
    # bought a bike alone before the cut-off, a helmet after it
    for n in range(8):
        contact = make_contact(owner=rep_a, account=make_account(owner=rep_a))
        _buy(rep_a, contact, [p["bike"]], day=40 + n)
        _buy(rep_a, contact, [p["helmet"]], day=150 + n)
    _buy(rep_a, make_contact(owner=rep_a), [p["premium"], p["helmet"]], day=60)
    return p


@pytest.fixture
def buyer(rep_a, shop):
    account = make_account(owner=rep_a, name="Rider GmbH")
    contact = make_contact(owner=rep_a, account=account)
    _buy(rep_a, contact, [shop["bike"]], day=90)
    return contact


def test_offers_from_orders_with_reasons_and_metrics(shop, buyer, rep_a):
    run = model_run_train_now(
        kind=ModelKind.RECOMMENDATIONS,
        options={"cutoff": (START + dt.timedelta(days=100)).date().isoformat()},
    )
    assert run.status == RunStatus.SUCCEEDED, run.message
    offers = list(offers_for_contact(actor=rep_a, contact=buyer))
    products = [offer.product for offer in offers]
    assert products[0] == shop["helmet"]
    assert offers[0].kind == OfferKind.CROSS_SELL
    assert offers[0].reason.startswith("Often bought with City bike — lift")
    assert [o.rank for o in offers] == list(range(1, len(offers) + 1))
    upsell = [o for o in offers if o.kind == OfferKind.UPSELL]
    assert [o.product for o in upsell] == [shop["premium"]]
    assert "Step up from City bike in Bikes: 900.00 EUR instead of 500.00 EUR" in upsell[0].reason
    assert shop["bike"] not in products and shop["bell"] not in products
    # the account's offers come from the account's orders
    account_offers = list(offers_for_account(actor=rep_a, account=buyer.account))
    assert account_offers[0].product == shop["helmet"]
    assert Offer.objects.filter(model_run=run).count() == run.scored
    # the evaluation: the eight bike-then-helmet customers, checked after the cut-off
    assert run.evaluated_on == 8
    assert run.metrics["hit_rate"]["5"] == 1.0
    assert run.metrics["customers_evaluated"] == 8
    rule = run.parameters["rules"][0]
    assert {"antecedent", "consequent", "support", "confidence", "lift"} <= set(rule)
    assert run.parameters["baskets_with_two_products"] == 31


def test_retraining_replaces_the_offers(shop, buyer, rep_a):
    first = model_run_train_now(kind=ModelKind.RECOMMENDATIONS)
    second = model_run_train_now(kind=ModelKind.RECOMMENDATIONS)
    assert second.status == RunStatus.SUCCEEDED
    assert not Offer.objects.filter(model_run=first).exists()
    assert Offer.objects.filter(model_run=second).count() == second.scored > 0


def test_refuses_with_too_few_multi_product_orders(rep_a):
    contact = make_contact(owner=rep_a, account=make_account(owner=rep_a))
    a, b = _product("A", "", "1"), _product("B", "", "2")
    for day in range(29):
        _buy(rep_a, contact, [a, b], day=day)
    run = model_run_train_now(kind=ModelKind.RECOMMENDATIONS)
    assert run.status == RunStatus.REFUSED
    assert "at least 30 paid or fulfilled orders" in run.message
    assert "there are 29" in run.message


def test_a_malformed_cutoff_is_refused_with_the_reason(shop):
    run = model_run_train_now(kind=ModelKind.RECOMMENDATIONS, options={"cutoff": "next week"})
    assert run.status == RunStatus.REFUSED
    assert run.message == "Option cutoff: 'next week' is not a date (YYYY-MM-DD)."
    assert not Offer.objects.exists()


def test_a_rep_without_access_sees_no_offers(shop, buyer, rep_b, web_client):
    model_run_train_now(kind=ModelKind.RECOMMENDATIONS)
    assert Offer.objects.filter(contact=buyer).exists()
    with pytest.raises(NotFound):
        offers_for_contact(actor=rep_b, contact=buyer)
    with pytest.raises(NotFound):
        offers_for_account(actor=rep_b, account=buyer.account)
    response = web_client(rep_b).get(f"/accounts/{buyer.account_id}/")
    assert response.status_code == 404


def test_account_page_shows_the_offers_in_constant_queries(shop, buyer, rep_a, web_client):
    client = web_client(rep_a)
    url = f"/accounts/{buyer.account_id}/"
    client.get(url)
    model_run_train_now(kind=ModelKind.RECOMMENDATIONS)
    Offer.objects.filter(account=buyer.account).exclude(rank=1).delete()
    with CaptureQueriesContext(connection) as one:
        page = client.get(url)
    assert page.status_code == 200
    assert "Next best offers" in page.text and "Helmet" in page.text
    model_run_train_now(kind=ModelKind.RECOMMENDATIONS)
    assert Offer.objects.filter(account=buyer.account).count() >= 3
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert "Step up from City bike" in page.text
    assert len(many.captured_queries) == len(one.captured_queries)
