"""Importing orders: one order per row with one priced line, the total checked against the
pricing rule, customer links, re-import by number and external id, rights."""

from decimal import Decimal

import pytest

from cyclecrm.catalog.models import Order, OrderLine, Product
from cyclecrm.core.errors import Forbidden
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.dataquality.tests.import_targets_support import counts, problem, run_import

HEADER = "Order ID,Order number,Order date,Customer email,SKU,Qty,Price,Discount,Total,Status\n"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def customer(rep_a):
    acme = make_account(owner=rep_a, name="Acme")
    return make_contact(owner=rep_a, last_name="Byers", email="byers@acme.example", account=acme)


def test_orders_import_priced_by_the_catalog_rule(rep_a, customer):
    Product.objects.create(
        sku="WID", name="Widget", unit_price=Decimal("10"), currency="USD", tax_percent=20
    )
    csv = HEADER + (
        "X1,SO-1,2024-03-01 10:00,byers@acme.example,WID,3,,10,32.40,paid\n"
        "X2,SO-2,2024-03-02,byers@acme.example,,,,,99.90,\n"
        "X3,SO-3,2024-03-03,byers@acme.example,WID,1,,,11,\n"
        "X4,SO-4,2099-01-01,byers@acme.example,WID,1,,,,\n"
        "X5,SO-5,2024-03-03,nobody@acme.example,NOPE,1,,,,\n"
        "X6,SO-6,2024-03-03,,,,,,,\n"
    )

    job = run_import(rep_a, "order", csv)

    assert job.status == "done", job.error
    assert counts(job) == {"created": 2, "updated": 0, "skipped": 0, "rejected": 4}
    first = Order.objects.get(number="SO-1")
    assert (first.contact, first.account, first.status) == (customer, customer.account, "paid")
    assert (first.subtotal, first.tax_total, first.total) == (
        Decimal(27),
        Decimal("5.4"),
        Decimal("32.4"),
    )
    line = OrderLine.objects.get(order=first)
    assert (line.product.sku, line.quantity, line.unit_price, line.discount_percent) == (
        "WID",
        3,
        10,
        10,
    )
    assert (line.net, line.tax, line.description) == (Decimal(27), Decimal("5.4"), "Widget")
    total_only = Order.objects.get(number="SO-2")
    assert total_only.total == Decimal("99.9") and total_only.lines.get().description == (
        "Imported order"
    )
    assert problem(job, 4) == {
        "row": 4,
        "column": "Total",
        "value": "11",
        "reason": "The line adds up to 12.0000, not 11.",
    }
    assert problem(job, 5)["column"] == "Order date"
    assert [item["column"] for item in job.problems if item["row"] == 6] == ["Customer email"]
    assert problem(job, 7)["column"] == "Total"


def test_reimport_updates_by_external_id_and_respects_status_moves(rep_a, customer):
    run_import(rep_a, "order", HEADER + "X1,SO-1,2024-03-01,byers@acme.example,,,,,50,pending\n")

    job = run_import(rep_a, "order", HEADER + "X1,SO-1,2024-03-01,byers@acme.example,,,,,60,paid\n")
    back = run_import(
        rep_a, "order", HEADER + "X1,SO-1,2024-03-01,byers@acme.example,,,,,70,pending\n"
    )

    assert counts(job)["updated"] == 1
    order = Order.objects.get()
    # Pending when the file came: the line and total changed with the move to paid.
    assert (order.status, order.total, order.lines.get().unit_price) == ("paid", 60, 60)
    # Paid now: the total no longer changes and paid -> pending is not a move an order makes.
    assert counts(back)["skipped"] == 1
    order.refresh_from_db()
    assert (order.status, order.total) == ("paid", 60)


def test_support_agent_may_not_import_orders(support_agent):
    with pytest.raises(Forbidden):
        run_import(support_agent, "order", HEADER)


def test_preview_shows_the_priced_line_and_totals(api_client, rep_a, customer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = HEADER + "X1,SO-1,2024-03-01,byers@acme.example,,2,19.99,,,\n"
    client = api_client(rep_a)
    upload = client.post(
        "/api/v1/imports",
        {"record_type": "order", "file": SimpleUploadedFile("orders.csv", content.encode())},
    )

    preview = client.get(f"/api/v1/imports/{upload.json()['id']}/preview")

    assert preview.status_code == 200, preview.json()
    (row,) = preview.json()["rows"]
    assert row["problems"] == [] and row["values"]["contact_id"] == customer.pk
    assert Decimal(row["values"]["total"]) == Decimal("39.98")
    assert Decimal(row["values"]["line"]["net"]) == Decimal("39.98")
