"""The `intelligence` benchmark scenario: synthetic customers and orders at scale, then every
model trained through the same `model_run_execute` the jobs use.

Data (fixed seed): `contacts` contacts, of whom about `orders / 3.4` are customers; each
customer's first purchase is uniform over two years before "now" and further purchases follow a
Poisson process with a gamma-distributed rate that stops at a geometric dropout (the story
BG/NBD tells); order values are gamma-distributed per customer; 1-4 lines per order over 300
products in 12 categories, with products of a category bought together more often. `leads`
leads over 18 months: the older ones decided (converted or unqualified, with odds set by their
authority, need and source), the newest open, so the lead model trains and scores them.
"""

import datetime as dt
from collections.abc import Callable

import numpy as np
from django.db import transaction
from django.utils import timezone

from cyclecrm.catalog.models import Order, OrderLine, OrderStatus, Product
from cyclecrm.contacts.models import Contact
from cyclecrm.leads.models import Authority, Lead, LeadSource, LeadStatus, NeedLevel
from cyclecrm.pipeline.currency import base_currency

BATCH = 5000
PRODUCTS = 300
CATEGORIES = 12


def generate(
    *,
    contacts: int,
    orders: int,
    leads: int = 0,
    seed: int = 7,
    report: Callable[[str], None] = print,
) -> dict[str, int]:
    """Insert the synthetic data set; returns the row counts written."""
    rng = np.random.default_rng(seed)
    now = timezone.now()
    written = {"leads": _leads(rng, leads, now, report)}
    if not contacts:
        return written
    currency = base_currency()
    products = _products(rng, currency)
    first_contact = _contacts(contacts, report)
    customers = max(1, min(contacts, round(orders / 3.4)))
    contact_ids = first_contact + rng.choice(contacts, size=customers, replace=False)
    plan = _purchase_plan(rng, contact_ids, orders, now)
    lines = _orders(rng, plan, products, currency, report)
    return written | {
        "contacts": contacts,
        "customers": customers,
        "orders": len(plan),
        "lines": lines,
    }


# Log-odds of conversion added by each value (the signal the lead model should find).
LEAD_SIGNAL = {
    Authority.DECISION_MAKER: 1.0,
    Authority.INFLUENCER: 0.3,
    NeedLevel.HIGH: 0.8,
    NeedLevel.LOW: -0.8,
    LeadSource.REFERRAL: 0.7,
    LeadSource.IMPORT: -0.6,
}


def _leads(
    rng: np.random.Generator, count: int, now: dt.datetime, report: Callable[[str], None]
) -> int:
    authorities = [Authority.DECISION_MAKER, Authority.INFLUENCER, Authority.NONE]
    needs = [NeedLevel.LOW, NeedLevel.MEDIUM, NeedLevel.HIGH]
    sources = [LeadSource.WEB_FORM, LeadSource.REFERRAL, LeadSource.IMPORT, LeadSource.EVENT]
    for offset in range(0, count, BATCH):
        rows = []
        for n in range(offset, min(count, offset + BATCH)):
            age_days = float(rng.uniform(0, 540))
            created = now - dt.timedelta(days=age_days)
            authority, need = authorities[n % 3], needs[int(rng.integers(3))]
            source = sources[int(rng.integers(len(sources)))]
            logit = -0.8 + sum(LEAD_SIGNAL.get(value, 0.0) for value in (authority, need, source))
            decided = age_days > 60 and rng.random() < 0.85
            converted = decided and rng.random() < 1 / (1 + np.exp(-logit))
            status = LeadStatus.QUALIFIED if converted else LeadStatus.UNQUALIFIED
            rows.append(
                Lead(
                    last_name=f"Bench lead {n}",
                    company=f"Bench {n % 5000}",
                    employees=int(rng.integers(1, 5000)),
                    country="GB",
                    authority=authority,
                    need_level=need,
                    source=source,
                    status=status if decided else LeadStatus.OPEN,
                    created_at=created,
                    status_changed_at=created + dt.timedelta(days=30) if decided else created,
                    converted_at=created + dt.timedelta(days=30) if converted else None,
                )
            )
        with transaction.atomic():
            Lead.objects.bulk_create(rows)
        if offset % (BATCH * 40) == 0:
            report(f"leads: {offset + len(rows):,} of {count:,}")
    return count


def _products(rng: np.random.Generator, currency: str) -> list[tuple[int, float, int]]:
    rows = [
        Product(
            sku=f"BENCH-{n:04d}",
            name=f"Bench product {n}",
            category=f"Category {n % CATEGORIES}",
            unit_price=round(float(rng.gamma(2.0, 40.0)) + 5, 2),
            currency=currency,
        )
        for n in range(PRODUCTS)
    ]
    Product.objects.bulk_create(rows, batch_size=BATCH)
    saved = Product.objects.filter(sku__startswith="BENCH-").order_by("sku")
    return [(p.pk, float(p.unit_price), int(p.sku[6:]) % CATEGORIES) for p in saved]


def _contacts(count: int, report: Callable[[str], None]) -> int:
    """Insert `count` contacts; returns the id of the first (ids are consecutive)."""
    start = (Contact.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for offset in range(0, count, BATCH):
        size = min(BATCH, count - offset)
        with transaction.atomic():
            Contact.objects.bulk_create(
                [
                    Contact(pk=start + offset + n, last_name=f"Bench {offset + n}", country="GB")
                    for n in range(size)
                ]
            )
        if offset % (BATCH * 40) == 0:
            report(f"contacts: {offset + size:,} of {count:,}")
    return start


def _purchase_plan(
    rng: np.random.Generator, contact_ids: np.ndarray, orders: int, now: dt.datetime
) -> list[tuple[int, dt.datetime]]:
    """(contact id, time) for `orders` purchases, drawn customer by customer."""
    span_days = 730.0
    rates = rng.gamma(0.8, 1 / 30.0, size=len(contact_ids))  # purchases per day
    dropout = rng.beta(1.0, 6.0, size=len(contact_ids))
    firsts = rng.uniform(0, span_days, size=len(contact_ids))
    plan: list[tuple[int, dt.datetime]] = []
    for contact_id, rate, p_drop, first in zip(contact_ids, rates, dropout, firsts, strict=True):
        day = first
        while day < span_days and len(plan) < orders:
            plan.append((int(contact_id), now - dt.timedelta(days=span_days - day)))
            if rng.random() < p_drop:
                break
            day += rng.exponential(1 / rate)
    while len(plan) < orders:  # top up with one-off purchases
        contact_id = int(rng.choice(contact_ids))
        plan.append((contact_id, now - dt.timedelta(days=float(rng.uniform(0, span_days)))))
    return plan


def _orders(
    rng: np.random.Generator,
    plan: list[tuple[int, dt.datetime]],
    products: list[tuple[int, float, int]],
    currency: str,
    report: Callable[[str], None],
) -> int:
    by_category: dict[int, list[tuple[int, float, int]]] = {}
    for product in products:
        by_category.setdefault(product[2], []).append(product)
    favourite = {}
    lines_written = 0
    first_order = (Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for offset in range(0, len(plan), BATCH):
        order_rows, line_rows = [], []
        for n, (contact_id, when) in enumerate(plan[offset : offset + BATCH]):
            order_id = first_order + offset + n
            category = favourite.setdefault(contact_id, int(rng.integers(CATEGORIES)))
            lines = []
            for position in range(int(rng.integers(1, 5))):
                pool = by_category[category] if rng.random() < 0.7 else products
                product_id, price, _ = pool[int(rng.integers(len(pool)))]
                quantity = int(rng.integers(1, 4))
                net = round(price * quantity, 2)
                lines.append(
                    OrderLine(
                        order_id=order_id,
                        product_id=product_id,
                        position=position,
                        quantity=quantity,
                        unit_price=price,
                        net=net,
                        tax=0,
                    )
                )
            total = round(sum(float(line.net) for line in lines), 2)
            order_rows.append(
                Order(
                    pk=order_id,
                    number=f"BENCH-{order_id}",
                    contact_id=contact_id,
                    ordered_at=when,
                    status=OrderStatus.PAID,
                    currency=currency,
                    subtotal=total,
                    total=total,
                )
            )
            line_rows.extend(lines)
        with transaction.atomic():
            Order.objects.bulk_create(order_rows)
            OrderLine.objects.bulk_create(line_rows, batch_size=BATCH)
        lines_written += len(line_rows)
        if offset % (BATCH * 20) == 0:
            report(f"orders: {offset + len(order_rows):,} of {len(plan):,}")
    return lines_written
