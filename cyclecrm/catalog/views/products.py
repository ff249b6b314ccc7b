"""Product pages: how products appear (columns, filters, field groups) for the generic record
views, and the product picker of the quote and order builders."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cyclecrm.catalog import selectors, services
from cyclecrm.catalog.filters import ProductFilters
from cyclecrm.catalog.forms import LABELS, ProductForm
from cyclecrm.catalog.models import Product
from cyclecrm.identity.models import User
from cyclecrm.web.errors import crm_view
from cyclecrm.web.records.config import Column, FilterField, RecordUI, register_ui

PICK_LIMIT = 20

RECORD_FILTERS = (
    FilterField("owner_id", "Owner", "owner"),
    FilterField("team_id", "Team", "team"),
    FilterField("tag", "Tag", "tag", field="tags"),
    FilterField("created_after", "Created from", "date", field="created_at"),
    FilterField("created_before", "Created before", "date", field="created_at"),
    FilterField("updated_after", "Updated since", "date", field="updated_at"),
)

PRODUCT_COLUMNS = (
    Column("name", "Name", ordering="name", default=True, link=True),
    Column("sku", "SKU", ordering="sku", default=True),
    Column("category", "Category", default=True),
    Column("vendor", "Vendor", default=True),
    Column("price_label", "List price", ordering="unit_price", default=True, field="unit_price"),
    Column("tax_percent", "Tax %"),
    Column("is_active", "Active", default=True),
    Column("owner", "Owner"),
    Column("tags", "Tags"),
    Column("created_at", "Created", ordering="created_at"),
    Column("updated_at", "Updated", ordering="updated_at"),
)

PRODUCT_FILTERS = (
    FilterField("category", "Category", placeholder="e.g. Licences"),
    FilterField("vendor", "Vendor"),
    FilterField("active", "Active", "bool", field="is_active"),
    FilterField("currency", "Currency", placeholder="e.g. EUR"),
    *RECORD_FILTERS,
)

PRODUCT_GROUPS = (
    ("Product", ("sku", "name", "category", "vendor", "description")),
    ("Price", ("unit_price", "currency", "tax_percent", "is_active")),
)

PRODUCT_INLINE = frozenset(
    {"sku", "name", "category", "vendor", "unit_price", "currency", "tax_percent"}
)

PRODUCT_EXPORT = (
    "id", "sku", "name", "description", "vendor", "category", "unit_price", "currency",
    "tax_percent", "is_active", "owner_id", "team_id", "tags", "external_id", "created_at",
    "updated_at", "version",
)  # fmt: skip


def _update(*, instance: Product, **kwargs: Any) -> Product:
    return services.product_update(product=instance, **kwargs)


def _delete(*, actor: User, instance: Product) -> None:
    services.product_delete(actor=actor, product=instance)


def _related(actor: User, product: Product) -> dict[str, Any]:
    return {"prices": list(selectors.product_prices(actor=actor, product=product))}


PRODUCT_UI = register_ui(
    RecordUI(
        name="product",
        model=Product,
        label="Product",
        label_plural="Products",
        icon="box-seam",
        filters_class=ProductFilters,
        filter_fields=PRODUCT_FILTERS,
        orderings=selectors.PRODUCT_ORDERINGS,
        default_ordering="name",
        columns=PRODUCT_COLUMNS,
        field_groups=PRODUCT_GROUPS,
        inline_fields=PRODUCT_INLINE,
        export_columns=PRODUCT_EXPORT,
        form_class=ProductForm,
        list_selector=selectors.product_list,
        get_selector=selectors.product_get,
        create=services.product_create,
        update=_update,
        delete=_delete,
        labels=LABELS,
        subtitle_fields=("sku", "category", "vendor"),
        search_fields=("sku", "vendor"),
        related=_related,
        detail_template="catalog/product_detail.html",
        empty_hint="Products are what you sell: add them with a SKU and a list price, then "
        "quote them.",
    )
)


@crm_view
def product_pick(request: HttpRequest) -> HttpResponse:
    """`<option>`s of active products matching `term`, with their list price, for a line."""
    query = request.GET.get("term", "").strip()[:200]
    rows = selectors.product_list(
        actor=request.user, filters=ProductFilters(q=query or None, active=True)
    ).order_by("name", "id")[:PICK_LIMIT]
    return render(request, "catalog/_product_options.html", {"rows": rows, "query": query})
