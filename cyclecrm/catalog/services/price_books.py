"""Price books: prices of products for a currency, optionally for some countries or a segment,
and `price_for`, the rule that picks a product's price.

Price books have no owner: like other shared configuration, changing them takes the `all`
level of the `price_book` record type (administrators, by default); everyone reads them.
"""

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from cyclecrm.catalog.errors import NoPrice
from cyclecrm.catalog.models import PriceBook, PriceBookEntry, Product
from cyclecrm.catalog.services.common import (
    apply,
    check_known,
    currency_code,
    money_value,
    text,
)
from cyclecrm.contacts.normalize import normalize_country
from cyclecrm.core.errors import Duplicate, FieldErrors, Forbidden, ValidationFailed
from cyclecrm.core.history import diff, history_record, snapshot
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.records import claim_set_version, claim_version
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User

PRICE_BOOK_FIELDS = {"name", "currency", "countries", "segment", "is_active"}
MAX_COUNTRIES = 250


def price_for(
    product: Product, *, currency: str, country: str | None = None, segment: str | None = None
) -> Decimal:
    """The unit price of `product` in `currency` for a customer in `country` and `segment`.

    Among the *active* price books in that currency with an entry for the product, a book
    applies when its countries are empty or include `country`, and its segment is empty or
    equals `segment` (case-insensitive). The most specific applicable book wins: a segment
    match counts more than a country match, which counts more than a general book; ties go
    to the book name in alphabetical order. Without an applicable book, the product's list
    price applies when its currency is `currency`; otherwise `NoPrice` (422) is raised.
    """
    currency = currency.upper()
    country = (country or "").upper()
    segment = (segment or "").strip().lower()
    candidates = []
    entries = PriceBookEntry.objects.filter(
        product=product, price_book__is_active=True, price_book__currency=currency
    ).select_related("price_book")
    for entry in entries:
        book = entry.price_book
        if book.countries and country not in book.countries:
            continue
        if book.segment and book.segment.strip().lower() != segment:
            continue
        specificity = (2 if book.segment else 0) + (1 if book.countries else 0)
        candidates.append((-specificity, book.name, book.pk, entry.unit_price))
    if candidates:
        return min(candidates)[3]
    if product.currency == currency:
        return product.unit_price
    raise NoPrice(
        f"No price for {product.sku} in {currency}: the list price is in {product.currency} and "
        "no active price book in that currency lists it. Add it to a price book or send "
        "unit_price.",
        fields={"unit_price": [f"No price for {product.sku} in {currency}."]},
    )


def _require_manage(actor: User, action: str) -> None:
    if access.level(actor, PriceBook.record_type, action) != Level.ALL:
        raise Forbidden("Only administrators may change price books.")


def _countries(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [part for part in value.replace(";", ",").split(",")]
    if not isinstance(value, list | tuple):
        raise ValueError("Send a list of country codes.")
    codes = sorted({normalize_country(str(item)) for item in value if str(item).strip()})
    if len(codes) > MAX_COUNTRIES:
        raise ValueError(f"At most {MAX_COUNTRIES} countries.")
    return codes


def _normalize_book(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    data = dict(data)
    errors = FieldErrors()
    check_known(data, PRICE_BOOK_FIELDS, errors)
    apply(data, errors, "name", text)
    apply(data, errors, "segment", text)
    apply(data, errors, "currency", currency_code)
    apply(data, errors, "countries", _countries)
    if creating:
        for name in ("name", "currency"):
            if name not in data:
                errors.add(name, "Required.")
    if "name" in data and not data["name"]:
        errors.add("name", "Required.")
    if len(data.get("name") or "") > 100:
        errors.add("name", "At most 100 characters.")
    if len(data.get("segment") or "") > 100:
        errors.add("segment", "At most 100 characters.")
    if "is_active" in data and data["is_active"] is None:
        errors.add("is_active", "Send true or false.")
    errors.raise_if_any()
    return data


def _save(book: PriceBook) -> None:
    try:
        with transaction.atomic():
            book.save()
    except IntegrityError as exc:
        raise Duplicate(fields={"name": ["Another price book has this name."]}) from exc


def price_book_create(*, actor: User, data: dict[str, Any]) -> PriceBook:
    _require_manage(actor, Action.CREATE)
    book = PriceBook(**_normalize_book(data, creating=True))
    with transaction.atomic():
        _save(book)
        history_record(
            actor=actor,
            instance=book,
            action=HistoryAction.CREATE,
            changes=diff({}, snapshot(book)),
        )
    return book


def price_book_update(
    *, actor: User, price_book: PriceBook, data: dict[str, Any], version: int | None
) -> PriceBook:
    _require_manage(actor, Action.EDIT)
    data = _normalize_book(data, creating=False)
    before = snapshot(price_book)
    for name, value in data.items():
        setattr(price_book, name, value)
    with transaction.atomic():
        claim_version(price_book, version)
        _save(price_book)
        changes = diff(before, snapshot(price_book))
        if changes:
            history_record(
                actor=actor, instance=price_book, action=HistoryAction.UPDATE, changes=changes
            )
    return price_book


def price_book_delete(*, actor: User, price_book: PriceBook) -> None:
    _require_manage(actor, Action.DELETE)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=price_book,
            action=HistoryAction.DELETE,
            changes=diff(snapshot(price_book), {}),
        )
        price_book.delete()


def price_book_entry_set(
    *,
    actor: User,
    price_book: PriceBook,
    product: Product,
    unit_price: Any,
    version: int | None = None,
) -> PriceBookEntry:
    """Set the product's price in the book (adding the entry, or changing it: then `version`
    is the entry's version read)."""
    _require_manage(actor, Action.EDIT)
    try:
        price = money_value(unit_price)
    except ValueError as exc:
        raise ValidationFailed(fields={"unit_price": [str(exc)]}) from exc
    with transaction.atomic():
        entry = PriceBookEntry.objects.filter(price_book=price_book, product=product).first()
        old = None if entry is None else str(entry.unit_price)
        claim_set_version(entry or PriceBookEntry(), version, existing=entry is not None)
        if entry is None:
            entry = PriceBookEntry.objects.create(
                price_book=price_book, product=product, unit_price=price
            )
        else:
            entry.unit_price = price
            entry.save(update_fields=["unit_price"])
        if old != str(price):
            history_record(
                actor=actor,
                instance=price_book,
                action=HistoryAction.UPDATE,
                changes={f"entries.{product.sku}": [old, str(price)]},
            )
    return entry


def price_book_entry_delete(*, actor: User, entry: PriceBookEntry) -> None:
    _require_manage(actor, Action.EDIT)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=entry.price_book,
            action=HistoryAction.UPDATE,
            changes={f"entries.{entry.product.sku}": [str(entry.unit_price), None]},
        )
        entry.delete()
