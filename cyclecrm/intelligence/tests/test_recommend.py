"""The recommender's numerics on small baskets where the right answer is known."""

import numpy as np
import pytest

from cyclecrm.intelligence.recommend import (
    ItemModel,
    Transactions,
    association_rules,
    evaluate_time_split,
    top_k,
)


def _transactions(rows: list[tuple[str, str, str, str]]) -> Transactions:
    """rows: (basket, customer, item, date)."""
    baskets, customers, items, dates = zip(*rows, strict=True)
    return Transactions.from_columns(baskets=baskets, customers=customers, items=items, dates=dates)


def _code(transactions: Transactions, label: str) -> int:
    return int(np.flatnonzero(transactions.items == label)[0])


def _bundles() -> Transactions:
    """A and B always together, C and D too (6 customers each); E is the most popular item
    (7 customers), bought in 2 of the 6 A-and-B baskets."""
    rows = []
    for n in range(12):
        pair = ("A", "B") if n % 2 == 0 else ("C", "D")
        for item in (*pair, *(("E",) if n % 3 == 0 else ())):
            rows.append((f"o{n}", f"c{n}", item, f"2024-01-{n + 1:02d}"))
    rows += [(f"o9{n}", f"solo{n}", "E", "2024-02-01") for n in range(3)]
    return _transactions(rows)


def test_association_rules_have_the_textbook_figures():
    transactions = _bundles()
    rules = association_rules(transactions.basket_items(), min_count=1)
    a, b, e = (_code(transactions, label) for label in "ABE")
    found = {
        (int(x), int(y)): i
        for i, (x, y) in enumerate(zip(rules.antecedent, rules.consequent, strict=True))
    }
    ab = found[(a, b)]
    # 15 baskets: A and B together in 6, each alone in none
    assert rules.support[ab] == pytest.approx(6 / 15)
    assert rules.confidence[ab] == pytest.approx(1.0)
    assert rules.lift[ab] == pytest.approx(1.0 / (6 / 15))
    ae = found[(a, e)]  # E: baskets 0, 3, 6, 9, o90-o92; with A in 0 and 6
    assert rules.confidence[ae] == pytest.approx(2 / 6)
    assert rules.lift[ae] == pytest.approx((2 / 6) / (7 / 15))
    assert (a, a) not in found
    assert len(association_rules(transactions.basket_items(), min_confidence=0.9)) == 4


def test_owners_of_a_get_b_first_with_the_reason():
    transactions = _bundles()
    model = ItemModel.fit(transactions)
    a, b = _code(transactions, "A"), _code(transactions, "B")
    best = model.recommend([a], 3)
    assert best[0].item == b
    assert best[0].because == a
    assert (best[0].confidence, best[0].lift) == pytest.approx((1.0, 15 / 6))
    assert a not in [offer.item for offer in best]


def test_allowed_mask_and_popularity_fallback():
    transactions = _bundles()
    model = ItemModel.fit(transactions)
    a, b, e = (_code(transactions, label) for label in "ABE")
    allowed = np.ones(len(transactions.items), dtype=bool)
    allowed[b] = False
    offers = model.recommend([a], 5, allowed=allowed)
    assert b not in [offer.item for offer in offers]
    # a customer owning nothing gets the most popular items
    assert model.recommend([], 1)[0].item == e


def test_top_k_orders_best_first():
    scores = np.array([[0.1, 0.9, 0.5, -np.inf], [3.0, 1.0, 2.0, 0.0]])
    assert top_k(scores, 2).tolist() == [[1, 2], [0, 2]]


def test_time_split_counts_only_new_items_after_the_cutoff():
    rows = []
    # ten customers buy A in January; five of them buy B in March (the pattern)
    for n in range(10):
        rows.append((f"j{n}", f"c{n}", "A", "2024-01-05"))
        rows.append(
            (f"j{n}", f"c{n}", "B", "2024-01-05")
            if n < 5
            else (f"j{n}", f"c{n}", "Z", "2024-01-05")
        )
    # popular filler bought by many others only before the cut-off
    for n in range(20):
        rows.append((f"p{n}", f"p{n}", "P", "2024-01-10"))
        rows.append((f"p{n}", f"p{n}", "Q", "2024-01-10"))
    # after the cut-off: c5..c9 (A owners without B) buy B; c0 re-buys A only (not new)
    for n in range(5, 10):
        rows.append((f"m{n}", f"c{n}", "B", "2024-03-01"))
    rows.append(("m0", "c0", "A", "2024-03-01"))
    result = evaluate_time_split(_transactions(rows), np.datetime64("2024-02-01"), ks=(1, 2))
    assert result["customers_evaluated"] == 5
    assert result["hit_rate"] == {"1": 1.0, "2": 1.0}
    assert result["baseline_hit_rate"] == {"1": 0.0, "2": 0.0}
    assert result["recall"]["1"] == 1.0
