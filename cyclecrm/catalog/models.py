"""Products and price books; quotes and orders with their lines.

Totals are stored (not recomputed on read) because they are the legal figures of a quote or an
order; services compute them with Decimal by the documented rounding rule (`catalog/pricing.py`).
"""

from django.db import models
from django.utils import timezone

from cyclecrm.catalog.pricing import money_label
from cyclecrm.core.models import BaseRecord, Versioned
from cyclecrm.core.money import currency_field, money_field


class Product(BaseRecord):
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=10000)
    vendor = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=100, blank=True)
    unit_price = money_field()
    currency = currency_field()
    tax_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    is_active = models.BooleanField(default=True)

    record_type = "product"

    class Meta(BaseRecord.Meta):
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="catalog_product_name_idx"),
            models.Index(fields=["category", "name"], name="catalog_product_category_idx"),
            models.Index(fields=["-created_at", "-id"], name="catalog_product_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    @property
    def price_label(self) -> str:
        return money_label(self.unit_price, self.currency)


class PriceBook(Versioned):
    """Prices for a segment or region; the entry of the matching book overrides the list price."""

    name = models.CharField(max_length=100, unique=True)
    currency = currency_field()
    countries = models.JSONField(default=list, blank=True)
    segment = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    record_type = "price_book"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PriceBookEntry(Versioned):
    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_entries")
    unit_price = money_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["price_book", "product"], name="catalog_entry_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.price_book_id}/{self.product_id}: {self.unit_price}"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Quote(BaseRecord):
    number = models.CharField(max_length=30, unique=True)
    opportunity = models.ForeignKey(
        "pipeline.Opportunity", on_delete=models.CASCADE, related_name="quotes"
    )
    status = models.CharField(max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    currency = currency_field()
    valid_until = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True, max_length=10000)
    subtotal = money_field(default=0)
    tax_total = money_field(default=0)
    total = money_field(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    record_type = "quote"

    class Meta(BaseRecord.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="catalog_quote_created_idx"),
            models.Index(fields=["status"], name="catalog_quote_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total_label(self) -> str:
        return money_label(self.total, self.currency)


class LineFields(models.Model):
    """A priced line: `net` and `tax` are rounded to the currency's minor unit per line."""

    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    unit_price = money_field()
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    tax_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    net = money_field()
    tax = money_field()

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class QuoteLine(LineFields):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineFields.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.quote_id}#{self.position}"


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


class Order(BaseRecord):
    """A purchase: the history lifetime value, RFM and cross-sell read."""

    number = models.CharField(max_length=30, unique=True)
    account = models.ForeignKey(
        "contacts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    opportunity = models.ForeignKey(
        "pipeline.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    quote = models.OneToOneField(
        Quote, null=True, blank=True, on_delete=models.SET_NULL, related_name="order"
    )
    ordered_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    currency = currency_field()
    subtotal = money_field(default=0)
    tax_total = money_field(default=0)
    total = money_field(default=0)

    record_type = "order"

    class Meta(BaseRecord.Meta):
        ordering = ["-ordered_at", "-id"]
        indexes = [
            models.Index(fields=["-ordered_at", "-id"], name="catalog_order_date_idx"),
            models.Index(fields=["contact", "-ordered_at"], name="catalog_order_contact_idx"),
            models.Index(fields=["account", "-ordered_at"], name="catalog_order_account_idx"),
            models.Index(fields=["-created_at", "-id"], name="catalog_order_created_idx"),
            # Covers the KPI aggregates over purchases in a period (docs/performance.md)
            models.Index(
                fields=["ordered_at", "status", "contact", "currency", "total"],
                name="catalog_order_kpi_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total_label(self) -> str:
        return money_label(self.total, self.currency)


class OrderLine(LineFields):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineFields.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.order_id}#{self.position}"


class NumberCounter(models.Model):
    """The last number handed out per document kind and year (see `catalog.numbering`)."""

    kind = models.CharField(max_length=10)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="catalog_counter_kind_year_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"
