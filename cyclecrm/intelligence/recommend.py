"""Cross-sell recommendations from purchase baskets (pure numerics, no Django: runs on CSV
files as well as on the CRM's orders; see docs/intelligence/recommendations.md).

- Association rules for item pairs from the basket x item incidence matrix B (one row per
  order): co-occurrence C = BᵀB, support(a→c) = C[a,c] / baskets, confidence = C[a,c] / C[a,a],
  lift = confidence / (C[c,c] / baskets).
- Item-to-item cosine similarity on the customer x item matrix U (who ever bought what):
  S = cosine(Uᵀ), diagonal zeroed.
- A customer's score for an item is the sum of its similarities to the items they own; owned
  items are never recommended; ties (and customers with no similar items) fall back to
  popularity. The popularity baseline ranks by the number of customers who bought an item.
- `evaluate_time_split` trains on what happened before a cut-off date and checks the top-K
  against the NEW items each customer bought after it (hit rate, precision, recall at K).
"""

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.metrics.pairwise import cosine_similarity

# Customers scored per block in batch scoring: a block's dense score matrix is
# CHUNK x items floats (512 x 4,000 x 8 bytes = 16 MB).
CHUNK = 512
# Weight of popularity in the score: small enough never to outrank a similarity, it only
# orders items the similarity scores equal (most often: zero).
TIE_BREAK = 1e-6


@dataclass(frozen=True)
class Transactions:
    """Purchase lines as integer codes: line i is item `item[i]` in basket `basket[i]` of
    customer `customer[i]` at `when[i]`. `items` and `customers` hold the labels of the codes;
    subsets keep the codes, so a training and a test part share one item space."""

    basket: np.ndarray
    customer: np.ndarray
    item: np.ndarray
    when: np.ndarray
    items: np.ndarray
    customers: np.ndarray
    baskets: int

    @classmethod
    def from_columns(
        cls,
        *,
        baskets: Iterable[Any],
        customers: Iterable[Any],
        items: Iterable[Any],
        dates: Iterable[Any],
    ) -> "Transactions":
        basket_codes, basket_labels = pd.factorize(pd.Series(list(baskets)))
        customer_codes, customer_labels = pd.factorize(pd.Series(list(customers)))
        item_codes, item_labels = pd.factorize(pd.Series(list(items)))
        when = pd.to_datetime(pd.Series(list(dates))).to_numpy(dtype="datetime64[s]")
        return cls(
            basket=basket_codes.astype(np.int64),
            customer=customer_codes.astype(np.int64),
            item=item_codes.astype(np.int64),
            when=when,
            items=np.asarray(item_labels, dtype=object),
            customers=np.asarray(customer_labels, dtype=object),
            baskets=len(basket_labels),
        )

    def subset(self, mask: np.ndarray) -> "Transactions":
        return Transactions(
            basket=self.basket[mask],
            customer=self.customer[mask],
            item=self.item[mask],
            when=self.when[mask],
            items=self.items,
            customers=self.customers,
            baskets=self.baskets,
        )

    def basket_items(self) -> sp.csr_matrix:
        """B: baskets x items, 1 where the basket holds the item (empty baskets dropped)."""
        used, rows = np.unique(self.basket, return_inverse=True)
        return _binary(rows, self.item, (len(used), len(self.items)))

    def customer_items(self) -> sp.csr_matrix:
        """U: customers x items (all customer codes), 1 where the customer ever bought it."""
        return _binary(self.customer, self.item, (len(self.customers), len(self.items)))


def _binary(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    data = np.ones(len(rows), dtype=np.float64)
    matrix = sp.csr_matrix((data, (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


@dataclass(frozen=True)
class Rules:
    """Association rules antecedent → consequent (item codes), one entry per rule."""

    antecedent: np.ndarray
    consequent: np.ndarray
    count: np.ndarray
    support: np.ndarray
    confidence: np.ndarray
    lift: np.ndarray

    def __len__(self) -> int:
        return len(self.antecedent)

    def top(self, n: int, labels: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        """The `n` strongest rules (by lift, then support) as plain dicts for JSON."""
        order = np.lexsort((-self.support, -self.lift))[:n]
        name = (lambda code: labels[code]) if labels is not None else (lambda code: int(code))
        return [
            {
                "antecedent": name(self.antecedent[i]),
                "consequent": name(self.consequent[i]),
                "baskets": int(self.count[i]),
                "support": round(float(self.support[i]), 6),
                "confidence": round(float(self.confidence[i]), 4),
                "lift": round(float(self.lift[i]), 3),
            }
            for i in order
        ]


def cooccurrence(basket_items: sp.csr_matrix) -> sp.csr_matrix:
    """C = BᵀB: C[a, c] baskets holding both a and c; the diagonal counts baskets per item."""
    return (basket_items.T @ basket_items).tocsr()


def association_rules(
    basket_items: sp.csr_matrix,
    *,
    min_count: int = 2,
    min_support: float = 0.0,
    min_confidence: float = 0.0,
) -> Rules:
    """Every pair rule a → c (a ≠ c) met in at least `min_count` baskets and reaching the
    minimum support and confidence."""
    baskets = basket_items.shape[0]
    pairs = cooccurrence(basket_items)
    item_baskets = pairs.diagonal()
    pairs = pairs.tocoo()
    keep = (pairs.row != pairs.col) & (pairs.data >= max(min_count, 1))
    keep &= pairs.data >= min_support * baskets
    antecedent, consequent, count = pairs.row[keep], pairs.col[keep], pairs.data[keep]
    support = count / max(baskets, 1)
    confidence = count / item_baskets[antecedent]
    lift = confidence / (item_baskets[consequent] / baskets)
    strong = confidence >= min_confidence
    return Rules(
        antecedent=antecedent[strong].astype(np.int64),
        consequent=consequent[strong].astype(np.int64),
        count=count[strong].astype(np.int64),
        support=support[strong],
        confidence=confidence[strong],
        lift=lift[strong],
    )


@dataclass(frozen=True)
class Recommendation:
    item: int
    score: float
    # The owned item that contributed most, and the basket rule because → item (0 when the
    # two were bought by the same customers but never in one basket).
    because: int | None
    confidence: float
    lift: float


@dataclass
class ItemModel:
    """Fitted item-to-item model: cosine similarities, basket co-occurrence, popularity."""

    similarity: sp.csr_matrix
    pairs: sp.csr_matrix
    baskets: int
    popularity: np.ndarray

    @classmethod
    def fit(cls, transactions: Transactions) -> "ItemModel":
        owned = transactions.customer_items()
        baskets = transactions.basket_items()
        similarity = sp.csr_matrix(cosine_similarity(owned.T, dense_output=False))
        similarity.setdiag(0.0)
        similarity.eliminate_zeros()
        return cls(
            similarity=similarity,
            pairs=cooccurrence(baskets),
            baskets=int(baskets.shape[0]),
            popularity=np.asarray(owned.sum(axis=0)).ravel(),
        )

    def _tie_break(self) -> np.ndarray:
        top = self.popularity.max() if len(self.popularity) else 0
        return TIE_BREAK * self.popularity / top if top else np.zeros(len(self.popularity))

    def scores(self, owned: sp.csr_matrix) -> np.ndarray:
        """Scores (customers x items, dense) for the owned rows; owned items get -inf and so
        do items never bought in training."""
        scores = np.asarray((owned @ self.similarity).todense()) + self._tie_break()
        return _exclude(scores, owned, self.popularity)

    def popular(self, owned: sp.csr_matrix) -> np.ndarray:
        """The popularity baseline's scores for the same rows, owned items excluded."""
        scores = np.tile(self.popularity.astype(np.float64), (owned.shape[0], 1))
        return _exclude(scores, owned, self.popularity)

    def pair(self, antecedent: int, consequent: int) -> tuple[float, float]:
        """(confidence, lift) of the basket rule antecedent → consequent."""
        both = self.pairs[antecedent, consequent]
        alone, other = self.pairs[antecedent, antecedent], self.pairs[consequent, consequent]
        if not both or not alone or not other:
            return 0.0, 0.0
        confidence = both / alone
        return float(confidence), float(confidence / (other / self.baskets))

    def recommend(
        self, owned_items: Iterable[int], n: int, allowed: np.ndarray | None = None
    ) -> list[Recommendation]:
        """The top `n` items for one customer who owns `owned_items`, each with its reason.
        `allowed` (bool per item) excludes items that may not be offered (inactive)."""
        owned_codes = sorted(set(owned_items))
        codes = np.array(owned_codes, dtype=np.int64)
        owned = _binary(np.zeros(len(codes), dtype=np.int64), codes, (1, len(self.popularity)))
        row = self.scores(owned)[0]
        if allowed is not None:
            row[~allowed] = -np.inf
        best = [int(i) for i in top_k(row[None, :], n)[0] if np.isfinite(row[i])]
        return [self.explain(owned_codes, item, float(row[item])) for item in best]

    def explain(self, owned: list[int], item: int, score: float) -> Recommendation:
        """Why `item` is offered: the owned item most similar to it, with their basket rule."""
        contributions = self.similarity[owned, item].toarray().ravel() if owned else []
        if len(contributions) == 0 or contributions.max() <= 0:
            return Recommendation(item, score, None, 0.0, 0.0)
        because = owned[int(np.argmax(contributions))]
        confidence, lift = self.pair(because, item)
        return Recommendation(item, score, because, confidence, lift)


def _exclude(scores: np.ndarray, owned: sp.csr_matrix, popularity: np.ndarray) -> np.ndarray:
    scores[:, popularity == 0] = -np.inf
    rows, cols = owned.nonzero()
    scores[rows, cols] = -np.inf
    return scores


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the `k` best scores per row, best first."""
    k = min(k, scores.shape[1])
    if k == 0:
        return np.empty((scores.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


@dataclass
class _Tally:
    hits: dict[int, int]
    precision: dict[int, float]
    recall: dict[int, float]

    @classmethod
    def empty(cls, ks: Sequence[int]) -> "_Tally":
        return cls({k: 0 for k in ks}, {k: 0.0 for k in ks}, {k: 0.0 for k in ks})

    def add(self, scores: np.ndarray, bought: np.ndarray, ks: Sequence[int]) -> None:
        ranked = top_k(scores, max(ks))
        valid = np.isfinite(np.take_along_axis(scores, ranked, axis=1))
        found = np.take_along_axis(bought, ranked, axis=1) & valid
        new_counts = bought.sum(axis=1)
        for k in ks:
            hits = found[:, :k].sum(axis=1)
            self.hits[k] += int((hits > 0).sum())
            self.precision[k] += float((hits / k).sum())
            self.recall[k] += float((hits / new_counts).sum())


def evaluate_time_split(
    transactions: Transactions, cutoff: np.datetime64, ks: Sequence[int] = (5, 10)
) -> dict[str, Any]:
    """Train on the lines before `cutoff`; for each customer who bought before it and bought
    at least one item after it that they did not own before, check the top-K of the model and
    of the popularity baseline (both excluding owned items) against those new items."""
    started = time.perf_counter()
    before = transactions.when < np.datetime64(cutoff, "s")
    train, test = transactions.subset(before), transactions.subset(~before)
    model = ItemModel.fit(train)
    owned, later = train.customer_items(), test.customer_items()
    new = later - later.multiply(owned)
    new.eliminate_zeros()
    has_history = np.diff(owned.indptr) > 0
    eligible = np.flatnonzero(has_history & (np.diff(new.indptr) > 0))
    model_tally, baseline_tally = _Tally.empty(ks), _Tally.empty(ks)
    for start in range(0, len(eligible), CHUNK):
        rows = eligible[start : start + CHUNK]
        bought = new[rows].toarray() > 0
        model_tally.add(model.scores(owned[rows]), bought, ks)
        baseline_tally.add(model.popular(owned[rows]), bought, ks)
    return _summary(
        train=train,
        customers=len(eligible),
        trained_customers=int(has_history.sum()),
        model=model_tally,
        baseline=baseline_tally,
        ks=ks,
        seconds=time.perf_counter() - started,
    )


def _rate(total: float, count: int) -> float:
    return round(total / count, 4) if count else 0.0


def _summary(
    *,
    train: Transactions,
    customers: int,
    trained_customers: int,
    model: _Tally,
    baseline: _Tally,
    ks: Sequence[int],
    seconds: float,
) -> dict[str, Any]:
    hit = {str(k): _rate(model.hits[k], customers) for k in ks}
    base = {str(k): _rate(baseline.hits[k], customers) for k in ks}
    return {
        "customers_evaluated": customers,
        "customers_trained": trained_customers,
        "items": len(np.unique(train.item)),
        "baskets": len(np.unique(train.basket)),
        "lines": len(train.item),
        "hit_rate": hit,
        "baseline_hit_rate": base,
        "lift_over_baseline": {
            key: round(hit[key] / base[key], 3) if base[key] else None for key in hit
        },
        "precision": {str(k): _rate(model.precision[k], customers) for k in ks},
        "baseline_precision": {str(k): _rate(baseline.precision[k], customers) for k in ks},
        "recall": {str(k): _rate(model.recall[k], customers) for k in ks},
        "baseline_recall": {str(k): _rate(baseline.recall[k], customers) for k in ks},
        "seconds": round(seconds, 2),
    }
