"""Importing products: SKU as the natural key, prices as money, admins only by default."""

from decimal import Decimal

import pytest

from cyclecrm.catalog.models import Product
from cyclecrm.core.errors import Forbidden
from cyclecrm.dataquality.tests.import_targets_support import counts, problem, run_import

CSV = (
    "Product Code,Product Name,Price,Currency,VAT,Manufacturer,Description,Active\n"
    'WID-1,Widget,"1,299.99",eur,19,Acme,"A widget, blue",yes\n'
    "WID-2,Gadget,,EUR,0,,,\n"
    "WID-3,Gizmo,10.12345,EUR,150,,,\n"
    ",Nameless,1,EUR,,,,\n"
)


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def test_products_import_with_their_rules(admin):
    job = run_import(admin, "product", CSV)

    assert job.status == "done", job.error
    assert counts(job) == {"created": 1, "updated": 0, "skipped": 0, "rejected": 3}
    widget = Product.objects.get(sku="WID-1")
    assert (widget.name, widget.unit_price, widget.currency) == (
        "Widget",
        Decimal("1299.99"),
        "EUR",
    )
    assert (widget.tax_percent, widget.vendor, widget.is_active) == (Decimal(19), "Acme", True)
    assert widget.description == "A widget, blue"
    assert problem(job, 3) == {"row": 3, "column": "Price", "value": "", "reason": "Required."}
    assert problem(job, 4)["column"] == "VAT" and problem(job, 4)["value"] == "150"
    assert problem(job, 5)["column"] == "Product Code"


def test_reimport_matches_by_sku_then_external_id(admin):
    run_import(admin, "product", "SKU,Name,Price\nWID-1,Widget,10\n")

    by_sku = run_import(admin, "product", "ID,SKU,Name,Price\nP-1,WID-1,Widget,12\n")
    by_id = run_import(admin, "product", "ID,SKU,Name,Price\nP-1,WID-1,Widget Pro,12\n")

    assert counts(by_sku)["updated"] == 1 and counts(by_id)["updated"] == 1
    product = Product.objects.get()
    assert (product.external_id, product.name, product.unit_price) == ("P-1", "Widget Pro", 12)


def test_sales_rep_may_not_import_products(rep_a):
    with pytest.raises(Forbidden):
        run_import(rep_a, "product", "SKU,Name,Price\nA,B,1\n")
