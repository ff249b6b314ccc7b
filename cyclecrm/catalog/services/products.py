"""Writes for products: normalize, then the shared record services (rights, history, events)."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from cyclecrm.catalog.models import Product
from cyclecrm.catalog.services.common import (
    apply,
    check_known,
    currency_code,
    money_value,
    multiline,
    percent_value,
    text,
)
from cyclecrm.core.errors import Duplicate, FieldErrors
from cyclecrm.core.records import record_create, record_delete, record_update
from cyclecrm.identity.models import User

PRODUCT_FIELDS = {
    "sku", "name", "description", "vendor", "category", "unit_price", "currency", "tax_percent",
    "is_active", "owner_id", "team_id", "external_id",
}  # fmt: skip
DUPLICATE_SKU = "Another product has this SKU."


def _normalize_product(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    data = dict(data)
    errors = FieldErrors()
    check_known(data, PRODUCT_FIELDS, errors)
    for name in ("sku", "name", "vendor", "category"):
        apply(data, errors, name, text)
    apply(data, errors, "description", multiline)
    if "external_id" in data:
        data["external_id"] = text(data["external_id"]) or None
    if creating:
        data.setdefault("currency", settings.CYCLECRM["DEFAULT_CURRENCY"])
        data.setdefault("tax_percent", "0")
        for name in ("sku", "name", "unit_price"):
            if data.get(name) in (None, ""):
                errors.add(name, "Required.")
                data.pop(name, None)
    for name in ("sku", "name"):
        if name in data and not data[name]:
            errors.add(name, "Required.")
    apply(data, errors, "unit_price", money_value)
    apply(data, errors, "tax_percent", percent_value)
    apply(data, errors, "currency", currency_code)
    if "is_active" in data and data["is_active"] is None:
        errors.add("is_active", "Send true or false.")
    errors.raise_if_any()
    return data


def _check_sku_free(data: dict[str, Any], product: Product | None) -> None:
    """A taken SKU is a 409 naming `sku` (the unique constraint still guards against races)."""
    sku = data.get("sku")
    if not sku:
        return
    others = Product.objects.filter(sku=sku)
    if product is not None:
        others = others.exclude(pk=product.pk)
    if others.exists():
        raise Duplicate(fields={"sku": [DUPLICATE_SKU]})


def product_create(
    *,
    actor: User,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Product:
    """A duplicate SKU is a 409 naming `sku`; prices are Decimals with at most 4 places."""
    data = _normalize_product(data, creating=True)
    _check_sku_free(data, None)
    return record_create(actor=actor, model=Product, data=data, tags=tags, custom=custom)


def product_update(
    *,
    actor: User,
    product: Product,
    data: dict[str, Any],
    version: int | None,
    tags: Iterable[str] | None = None,
    custom: dict[str, Any] | None = None,
) -> Product:
    data = _normalize_product(data, creating=False)
    _check_sku_free(data, product)
    return record_update(
        actor=actor, instance=product, data=data, version=version, tags=tags, custom=custom
    )


def product_delete(*, actor: User, product: Product) -> None:
    """Quote and order lines keep their description and prices; their product link clears."""
    record_delete(actor=actor, instance=product)
