"""One filter definition per catalog list, used by the API (query parameters) and the web list.

Links are filtered by the linked record's id under the link's name (`account=12`), the same
name the catalog's inputs and outputs use.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from pydantic import Field

from cyclecrm.api.schemas import Instant
from cyclecrm.catalog.models import OrderLine, OrderStatus
from cyclecrm.contacts.filters import RecordFilters
from cyclecrm.core.db import search_q
from cyclecrm.core.money import AMOUNT_DIGITS

PRODUCT_SEARCH_FIELDS = ("name", "sku", "vendor")
QUOTE_SEARCH_FIELDS = ("number", "opportunity__name")
ORDER_SEARCH_FIELDS = ("number", "account__name")
ID = Field(None, ge=1, le=2**63 - 1)
PURCHASE_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)
AMOUNT = Field(None, max_digits=AMOUNT_DIGITS, decimal_places=4)


def aware(value: dt.datetime) -> dt.datetime:
    """A date without a zone (`2026-03-01`) is read in the installation's time zone."""
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class ProductFilters(RecordFilters):
    q: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=100)
    vendor: str | None = Field(None, max_length=200)
    currency: str | None = Field(None, max_length=3)
    active: bool | None = None

    def filter_q(self, value: str | None) -> Q:
        return search_q(value, PRODUCT_SEARCH_FIELDS) if value else Q()

    def filter_category(self, value: str | None) -> Q:
        return Q(category__iexact=value) if value else Q()

    def filter_vendor(self, value: str | None) -> Q:
        return Q(vendor__iexact=value) if value else Q()

    def filter_currency(self, value: str | None) -> Q:
        return Q(currency=value.upper()) if value else Q()

    def filter_active(self, value: bool | None) -> Q:
        return Q() if value is None else Q(is_active=value)


class QuoteFilters(RecordFilters):
    q: str | None = Field(None, max_length=200)
    status: str | None = Field(None, max_length=10)
    opportunity: int | None = ID
    account: int | None = ID
    currency: str | None = Field(None, max_length=3)
    valid_until_after: dt.date | None = None
    valid_until_before: dt.date | None = None

    def filter_q(self, value: str | None) -> Q:
        return search_q(value, QUOTE_SEARCH_FIELDS) if value else Q()

    def filter_opportunity(self, value: int | None) -> Q:
        return Q(opportunity_id=value) if value else Q()

    def filter_account(self, value: int | None) -> Q:
        return Q(opportunity__account_id=value) if value else Q()

    def filter_currency(self, value: str | None) -> Q:
        return Q(currency=value.upper()) if value else Q()

    def filter_valid_until_after(self, value: dt.date | None) -> Q:
        return Q(valid_until__gte=value) if value else Q()

    def filter_valid_until_before(self, value: dt.date | None) -> Q:
        return Q(valid_until__lt=value) if value else Q()


class OrderFilters(RecordFilters):
    q: str | None = Field(None, max_length=200)
    status: str | None = Field(None, max_length=10)
    account: int | None = ID
    contact: int | None = ID
    opportunity: int | None = ID
    product: int | None = ID
    currency: str | None = Field(None, max_length=3)
    ordered_after: Instant | None = None
    ordered_before: Instant | None = None
    total_min: Decimal | None = AMOUNT
    total_max: Decimal | None = AMOUNT
    # Purchases as the KPIs count them: paid or fulfilled orders of a contact.
    purchased: bool | None = None

    def filter_q(self, value: str | None) -> Q:
        return search_q(value, ORDER_SEARCH_FIELDS) if value else Q()

    def filter_purchased(self, value: bool | None) -> Q:
        if value is None:
            return Q()
        purchase = Q(status__in=PURCHASE_STATUSES, contact__isnull=False)
        return purchase if value else ~purchase

    def filter_account(self, value: int | None) -> Q:
        return Q(account_id=value) if value else Q()

    def filter_contact(self, value: int | None) -> Q:
        return Q(contact_id=value) if value else Q()

    def filter_opportunity(self, value: int | None) -> Q:
        return Q(opportunity_id=value) if value else Q()

    def filter_product(self, value: int | None) -> Q:
        """Orders with at least one line of this product (a subquery: no duplicate rows)."""
        if not value:
            return Q()
        return Q(pk__in=OrderLine.objects.filter(product_id=value).values("order_id"))

    def filter_currency(self, value: str | None) -> Q:
        return Q(currency=value.upper()) if value else Q()

    def filter_ordered_after(self, value: dt.datetime | None) -> Q:
        return Q(ordered_at__gte=aware(value)) if value else Q()

    def filter_ordered_before(self, value: dt.datetime | None) -> Q:
        return Q(ordered_at__lt=aware(value)) if value else Q()

    def filter_total_min(self, value: Decimal | None) -> Q:
        return Q() if value is None else Q(total__gte=value)

    def filter_total_max(self, value: Decimal | None) -> Q:
        return Q() if value is None else Q(total__lte=value)
