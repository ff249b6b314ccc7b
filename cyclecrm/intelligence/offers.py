"""The cross-sell and upsell job: learns from the CRM's paid and fulfilled orders which
products go together (`recommend.py`), checks itself on the latest orders (time split), then
writes the next five offers of every contact and every account with orders
(docs/intelligence/recommendations.md).

A basket is one order; a customer is the order's contact (its account when it has no
contact). Offers of a contact come from the products of its own orders, offers of an account
from the products of every order of the account. The offers are replaced as a whole in one
transaction: readers see the previous set until the new one is complete.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from django.db import transaction
from django.utils import timezone

from cyclecrm.catalog.models import OrderLine, OrderStatus, Product
from cyclecrm.catalog.pricing import money_label
from cyclecrm.intelligence.models import ModelKind, ModelRun, Offer, OfferKind
from cyclecrm.intelligence.recommend import (
    ItemModel,
    Recommendation,
    Transactions,
    association_rules,
    evaluate_time_split,
    top_k,
)
from cyclecrm.intelligence.trainers import NotEnoughData, Progress, trainer

SOLD = (OrderStatus.PAID, OrderStatus.FULFILLED)
# Below this many orders with two or more different products there is nothing to learn.
MIN_BASKETS = 30
OFFERS_PER_TARGET = 5
# At most this many of the five offers are upsells (the rest cross-sells).
UPSELL_SLOTS = 2
TOP_RULES = 50
# The hold-out: the latest 20 % of the order dates (option "cutoff": YYYY-MM-DD instead).
HOLDOUT_SHARE = 0.2
BATCH = 500


@dataclass
class _Lines:
    """The sold order lines as parallel lists, streamed from SQL."""

    order: list[int]
    contact: list[int | None]
    account: list[int | None]
    when: list[dt.datetime]
    product: list[int]


def _read_lines() -> _Lines:
    rows = (
        OrderLine.objects.filter(order__status__in=SOLD, product__isnull=False)
        .order_by()
        .values_list(
            "order_id", "order__contact_id", "order__account_id", "order__ordered_at", "product_id"
        )
        .iterator(chunk_size=5000)
    )
    lines = _Lines([], [], [], [], [])
    for order, contact, account, when, product in rows:
        if contact is None and account is None:
            continue
        lines.order.append(order)
        lines.contact.append(contact)
        lines.account.append(account)
        lines.when.append(when)
        lines.product.append(product)
    return lines


def _transactions(lines: _Lines) -> Transactions:
    customers = [
        f"c{contact}" if contact is not None else f"a{account}"
        for contact, account in zip(lines.contact, lines.account, strict=True)
    ]
    return Transactions.from_columns(
        baskets=lines.order,
        customers=customers,
        items=lines.product,
        dates=[timezone.localtime(when).replace(tzinfo=None) for when in lines.when],
    )


def _check_enough(transactions: Transactions) -> int:
    baskets = transactions.basket_items()
    rich = int((np.diff(baskets.indptr) >= 2).sum())
    if rich < MIN_BASKETS:
        raise NotEnoughData(
            f"Cross-sell needs at least {MIN_BASKETS} paid or fulfilled orders with two or "
            f"more different products; there are {rich}."
        )
    return rich


def _cutoff(run: ModelRun, transactions: Transactions) -> np.datetime64:
    if run.options.get("cutoff"):
        try:
            day = dt.date.fromisoformat(str(run.options["cutoff"]))
        except ValueError:
            raise NotEnoughData(
                f"Option cutoff: {run.options['cutoff']!r} is not a date (YYYY-MM-DD)."
            ) from None
        return np.datetime64(day, "s")
    days = np.sort(transactions.when.astype("datetime64[D]"))
    return days[int(len(days) * (1 - HOLDOUT_SHARE))].astype("datetime64[s]")


@trainer(ModelKind.RECOMMENDATIONS)
def train(run: ModelRun, progress: Progress) -> None:
    progress(5, "Reading orders", force=True)
    lines = _read_lines()
    transactions = _transactions(lines)
    rich = _check_enough(transactions)
    progress(20, "Checking on the latest orders", force=True)
    cutoff = _cutoff(run, transactions)
    evaluation = evaluate_time_split(transactions, cutoff)
    run.metrics = {"cutoff": str(cutoff.astype("datetime64[D]")), **evaluation}
    run.evaluated_on = evaluation["customers_evaluated"]
    progress(40, "Learning from every order", force=True)
    model = ItemModel.fit(transactions)
    catalog = _Catalog.load(transactions.items)
    rules = association_rules(transactions.basket_items(), min_count=2)
    run.trained_on = transactions.baskets
    run.parameters = {
        "method": "item-to-item cosine on contacts x products; rules on orders",
        "baskets": transactions.baskets,
        "baskets_with_two_products": rich,
        "products": len(transactions.items),
        "rules_count": len(rules),
        "rules": _named(rules.top(TOP_RULES, catalog.product_id), catalog),
    }
    progress(60, "Writing offers", force=True)
    run.scored = _write_offers(run, model, catalog, transactions, lines)


def _named(rules: list[dict[str, Any]], catalog: "_Catalog") -> list[dict[str, Any]]:
    names = dict(zip(catalog.product_id, catalog.name, strict=True))
    for rule in rules:
        rule["antecedent_name"] = names[rule["antecedent"]]
        rule["consequent_name"] = names[rule["consequent"]]
    return rules


@dataclass
class _Catalog:
    """Per item code of the model: the product's name, category, price and whether it may be
    offered (active)."""

    product_id: list[int]
    name: list[str]
    category: list[str]
    price: list[Decimal]
    currency: list[str]
    active: np.ndarray
    # Category → codes of its active products.
    by_category: dict[str, list[int]]

    @classmethod
    def load(cls, items: np.ndarray) -> "_Catalog":
        wanted = {int(item) for item in items}
        products = Product.objects.order_by().values_list(
            "pk", "name", "category", "unit_price", "is_active", "currency"
        )
        rows = {row[0]: row[1:] for row in products.iterator(chunk_size=5000) if row[0] in wanted}
        empty = ("", "", Decimal(0), False, "")
        values = [rows.get(int(item), empty) for item in items]
        by_category: dict[str, list[int]] = {}
        for code, (_, category, _, active, _) in enumerate(values):
            if category and active:
                by_category.setdefault(category, []).append(code)
        return cls(
            product_id=[int(item) for item in items],
            name=[value[0] for value in values],
            category=[value[1] for value in values],
            price=[value[2] for value in values],
            currency=[value[4] for value in values],
            active=np.array([value[3] for value in values], dtype=bool),
            by_category=by_category,
        )


def _target_matrix(codes: np.ndarray, targets: list[int | None], n_items: int) -> tuple:
    """(target ids, targets x items binary matrix of what each owns)."""
    keep = np.array([target is not None for target in targets], dtype=bool)
    ids, rows = np.unique(np.array([t for t in targets if t is not None], dtype=np.int64),
                          return_inverse=True)  # fmt: skip
    data = np.ones(int(keep.sum()))
    owned = sp.csr_matrix((data, (rows, codes[keep])), shape=(len(ids), n_items))
    owned.sum_duplicates()
    owned.data[:] = 1.0
    return ids, owned


def _write_offers(
    run: ModelRun,
    model: ItemModel,
    catalog: _Catalog,
    transactions: Transactions,
    lines: _Lines,
) -> int:
    codes = pd.Index(transactions.items).get_indexer(lines.product)
    n_items = len(transactions.items)
    written = 0
    with transaction.atomic():
        Offer.objects.all().delete()
        for field, targets in (("contact_id", lines.contact), ("account_id", lines.account)):
            ids, owned = _target_matrix(codes, targets, n_items)
            for start in range(0, len(ids), BATCH):
                block = owned[start : start + BATCH]
                offers = _offers_for_block(model, catalog, block)
                rows = [
                    Offer(**{field: int(ids[start + i])}, model_run=run, **offer)
                    for i, target_offers in enumerate(offers)
                    for offer in target_offers
                ]
                Offer.objects.bulk_create(rows, batch_size=1000)
                written += len(rows)
    return written


def _offers_for_block(
    model: ItemModel, catalog: _Catalog, owned: sp.csr_matrix
) -> list[list[dict[str, Any]]]:
    scores = model.scores(owned)
    scores[:, ~catalog.active] = -np.inf
    best = top_k(scores, OFFERS_PER_TARGET + UPSELL_SLOTS)
    result = []
    for row in range(owned.shape[0]):
        mine = [int(code) for code in owned[row].indices]
        upsells = _upsells(catalog, mine, scores[row])
        picks = [(code, OfferKind.UPSELL) for code in upsells]
        picks += [
            (int(code), OfferKind.CROSS_SELL)
            for code in best[row]
            if np.isfinite(scores[row, code]) and int(code) not in upsells
        ]
        picks = sorted(picks[:OFFERS_PER_TARGET], key=lambda pick: -_finite(scores[row, pick[0]]))
        result.append(
            [
                _offer(model, catalog, mine, code, kind, _finite(scores[row, code]), rank)
                for rank, (code, kind) in enumerate(picks, start=1)
            ]
        )
    return result


def _finite(value: float) -> float:
    return float(value) if np.isfinite(value) else 0.0


def _upsells(catalog: _Catalog, mine: list[int], scores: np.ndarray) -> list[int]:
    """Active products not owned, in a category the target owns, priced above the dearest
    product they own in it: the most similar first, then the nearest in price."""
    ceiling: dict[str, Decimal] = {}
    for code in mine:
        category = catalog.category[code]
        if category:
            ceiling[category] = max(ceiling.get(category, Decimal(0)), catalog.price[code])
    owned = set(mine)
    candidates = [
        code
        for category, top in ceiling.items()
        for code in catalog.by_category.get(category, [])
        if code not in owned and catalog.price[code] > top
    ]
    candidates.sort(key=lambda code: (-_finite(scores[code]), catalog.price[code]))
    return candidates[:UPSELL_SLOTS]


def _offer(
    model: ItemModel,
    catalog: _Catalog,
    mine: list[int],
    code: int,
    kind: str,
    score: float,
    rank: int,
) -> dict[str, Any]:
    if kind == OfferKind.UPSELL:
        reason = _upsell_reason(catalog, mine, code)
    else:
        reason = _cross_sell_reason(catalog, model.explain(mine, code, score))
    return {
        "product_id": catalog.product_id[code],
        "kind": kind,
        "rank": rank,
        "score": round(score, 6),
        "reason": reason[:300],
    }


def _cross_sell_reason(catalog: _Catalog, offer: Recommendation) -> str:
    if offer.because is None:
        return "Popular with other customers."
    name = catalog.name[offer.because]
    if offer.lift > 0:
        return (
            f"Often bought with {name} — lift {offer.lift:.1f}, confidence {offer.confidence:.0%}."
        )
    return f"Customers who bought {name} also bought it."


def _upsell_reason(catalog: _Catalog, mine: list[int], code: int) -> str:
    category = catalog.category[code]
    owned = [c for c in mine if catalog.category[c] == category]
    top = max(owned, key=lambda c: catalog.price[c])
    name = catalog.name[top]
    offered = money_label(catalog.price[code], catalog.currency[code])
    owned_price = money_label(catalog.price[top], catalog.currency[top])
    return f"Step up from {name} in {category}: {offered} instead of {owned_price}."
