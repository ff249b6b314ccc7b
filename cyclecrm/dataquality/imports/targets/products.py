"""Importing products.

As `catalog.services.products`: the SKU and the name are required and the SKU is unique, so it
is the natural duplicate key after the external id; the unit price is money (at least 0, at most
four decimal places), the tax a percentage from 0 to 100, the currency an ISO-4217 code
(default: the installation's).
"""

from typing import Any

from django.conf import settings
from django.db import models

from cyclecrm.catalog.models import Product
from cyclecrm.catalog.services.common import currency_code, money_value, percent_value
from cyclecrm.dataquality.imports.targets.base import CleanRow, Column, ImportTarget, MatchKey


def _sku_key(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ProductTarget(ImportTarget):
    record_type = "product"
    label = "Products"
    model = Product
    columns = (
        Column(
            "external_id", "External ID", "text", synonyms=("id", "product id", "record id"),
            max_length=100,
        ),
        Column(
            "sku", "SKU", "text", required=True,
            synonyms=("code", "product code", "item number", "article number", "part number"),
            max_length=64,
        ),
        Column(
            "name", "Name", "text", required=True, synonyms=("product", "product name", "title"),
            max_length=200,
        ),
        Column(
            "description", "Description", "text", synonyms=("details", "notes"),
            max_length=10000,
        ),
        Column(
            "vendor", "Vendor", "text", synonyms=("manufacturer", "brand", "supplier"),
            max_length=200,
        ),
        Column(
            "category", "Category", "text", synonyms=("product category", "type", "group"),
            max_length=100,
        ),
        Column(
            "unit_price", "Unit price", "decimal",
            synonyms=("price", "list price", "unit price", "net price"),
        ),
        Column("currency", "Currency", "text", max_length=3),
        Column(
            "tax_percent", "Tax (%)", "decimal", synonyms=("tax", "vat", "tax rate", "vat rate"),
        ),
        Column("is_active", "Active", "boolean", synonyms=("active", "enabled")),
        Column("owner", "Owner", "lookup", synonyms=("product owner",)),
        Column("tags", "Tags", "tags", synonyms=("labels",)),
    )  # fmt: skip
    match_keys = (
        MatchKey("external_id", ("external_id",)),
        MatchKey("sku", ("sku",), _sku_key),
    )

    def resolve(self, rows: list[CleanRow], *, actor: Any, options: dict[str, Any]) -> None:
        for row in rows:
            if row.ok:
                _check_row(row)

    def build(self, values: dict[str, Any], *, actor: Any) -> models.Model:
        values = {**values}
        values.setdefault("currency", settings.CYCLECRM["DEFAULT_CURRENCY"])
        return super().build(values, actor=actor)


def _check_row(row: CleanRow) -> None:
    values = row.values
    if values.get("unit_price") in (None, ""):
        row.reject("unit_price", "", "Required.")
    for name, check in (
        ("unit_price", money_value),
        ("tax_percent", percent_value),
        ("currency", currency_code),
    ):
        if values.get(name) in (None, ""):
            values.pop(name, None)
            continue
        try:
            values[name] = check(values[name])
        except ValueError as exc:
            row.reject(name, values[name], str(exc))


TARGET = ProductTarget()
