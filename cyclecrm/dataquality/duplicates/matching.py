"""Finding duplicates: of one record about to be saved (`find_candidates`), and among many
records at once (`find_pairs`, used by the batch scan, the CLI and the quality measurement).

Both use the same comparison (compare.py) and the same threshold per record type; blocking
(blocking.py) decides which pairs are compared in a batch, and a few indexed SQL conditions
(`_candidate_q`) fetch the possible matches of a single record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.db.models.lookups import Exact, Lookup, StartsWith

from cyclecrm.core.registry import record_type as get_record_type
from cyclecrm.dataquality.duplicates.blocking import MAX_BLOCK, keys, rules_for
from cyclecrm.dataquality.duplicates.compare import (
    Organization,
    Person,
    features,
    profile,
    score_pair,
)
from cyclecrm.identity.access import restrict

MATCHED_TYPES: tuple[str, ...] = ("contact", "lead", "account")
CANDIDATE_POOL = 200

PERSON_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "street",
    "city",
    "region",
    "postal_code",
    "gender",
    "title",
    "account_id",
)
LEAD_FIELDS = ("first_name", "last_name", "email", "phone", "company", "region", "title")
ACCOUNT_FIELDS = (
    "name",
    "domain",
    "phone",
    "billing_street",
    "billing_city",
    "billing_postal_code",
    "billing_country",
)
FIELDS = {"contact": PERSON_FIELDS, "lead": LEAD_FIELDS, "account": ACCOUNT_FIELDS}


@dataclass(frozen=True)
class Candidate:
    record_id: int
    score: float
    reasons: dict[str, float]


@dataclass(frozen=True)
class Pair:
    left_id: int
    right_id: int
    score: float
    reasons: dict[str, float]


def threshold(record_type: str) -> float:
    """The score from which a pair of this type is reported as a likely duplicate."""
    return profile(record_type).threshold


def find_candidates(
    *,
    actor: Any,
    record_type: str,
    data: dict[str, Any],
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[Candidate]:
    """Likely duplicates, among the records `actor` may read, of a record with these values;
    best first, each scoring at least the type's threshold."""
    if record_type not in MATCHED_TYPES:
        return []
    condition = _candidate_q(record_type, data)
    if condition is None:
        return []
    model = get_record_type(record_type).model
    # No ORDER BY: an ordered scan of the name index would stand in for the OR of index lookups.
    rows = restrict(model._default_manager.filter(condition).order_by(), actor)
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    prof = profile(record_type)
    mine = features(record_type, data)
    found = []
    for values in rows.values("id", *FIELDS[record_type])[:CANDIDATE_POOL]:
        score, reasons = score_pair(mine, features(record_type, values), prof)
        if score >= prof.threshold:
            found.append(Candidate(record_id=values["id"], score=round(score, 4), reasons=reasons))
    found.sort(key=lambda c: (-c.score, c.record_id))
    return found[:limit]


def _candidate_q(record_type: str, data: dict[str, Any]) -> Q | None:
    """Indexed conditions that any likely duplicate meets at least one of.

    Names and e-mails compare lower-cased through `Lower(column)`, which the expression
    indexes of contacts, leads and accounts serve on both databases (`iexact` would be `LIKE`
    on SQLite and `UPPER(column) =` on PostgreSQL: a scan of the whole table on every save).
    Every branch must be indexable, or the OR of them is a scan.
    """
    conditions: list[Q] = []

    def add(*lookups: Lookup | None) -> None:
        """One branch: all of `lookups`, unless a value it needs is missing."""
        if all(lookup is not None for lookup in lookups):
            conditions.append(Q(*lookups))

    def same(field: str, value: Any) -> Lookup | None:
        text = (value or "").strip().lower()
        return Exact(Lower(field), text) if text else None

    def starts(field: str, prefix: str) -> Lookup | None:
        return StartsWith(Lower(field), prefix.lower()) if prefix else None

    def equal(field: str, value: Any) -> Lookup | None:
        return Exact(F(field), value) if value not in (None, "") else None

    if record_type == "account":
        add(same("domain", data.get("domain")))
        add(equal("phone", data.get("phone")))
        add(same("name", data.get("name")))
    else:
        first, last = (data.get("first_name") or "").strip(), (data.get("last_name") or "").strip()
        add(same("email", data.get("email")))
        add(equal("phone", data.get("phone")))
        add(same("last_name", last), starts("first_name", first[:1]))
        add(same("last_name", first), same("first_name", last))
        if record_type == "contact":
            add(equal("birth_date", data.get("birth_date")), starts("last_name", last[:1]))
            add(equal("birth_date", data.get("birth_date")), starts("first_name", first[:1]))
            add(equal("postal_code", data.get("postal_code")), starts("last_name", last[:2]))
    if not conditions:
        return None
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


def find_pairs(
    ids: Sequence[int],
    records: Sequence[Person | Organization],
    record_type: str,
    *,
    threshold_value: float | None = None,
    max_block: int = MAX_BLOCK,
    stats: dict[str, int] | None = None,
) -> Iterator[Pair]:
    """Every pair of `records` scoring at least the threshold (each pair once, left_id < right_id
    when `ids` ascend). `stats["compared"]` counts the pairs compared."""
    for x, y, score, reasons in scored_pairs(
        records, record_type, threshold_value=threshold_value, max_block=max_block, stats=stats
    ):
        yield Pair(ids[x], ids[y], score, reasons)


def scored_pairs(
    records: Sequence[Person | Organization],
    record_type: str,
    *,
    threshold_value: float | None = None,
    max_block: int = MAX_BLOCK,
    stats: dict[str, int] | None = None,
) -> Iterator[tuple[int, int, float, dict[str, float]]]:
    """(index, index, score, reasons) of every pair of `records` scoring at least the
    threshold, the smaller index first, in the order `find_pairs` documents."""
    prof = profile(record_type)
    cutoff = prof.threshold if threshold_value is None else threshold_value
    matrix = key_matrix(records, rules_for(record_type))
    compared = 0
    for xs, ys in candidate_pairs(matrix, max_block):
        compared += len(xs)
        for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
            score, reasons = score_pair(records[x], records[y], prof)
            if score >= cutoff:
                yield x, y, score, reasons
    if stats is not None:
        stats["compared"] = stats.get("compared", 0) + compared


def key_matrix(records: Sequence[Person | Organization], rules: list) -> np.ndarray:
    """One row per record, one column per rule: a 64-bit hash of the record's key under the
    rule, 0 where the rule gives no key. Eight bytes per key instead of a string object keeps a
    million contacts' keys in about 150 MB; two different keys share a hash with a chance of
    about 1 in 10^13 at that size, which would only add one comparison."""
    hashes = (_hash(key) for record in records for key in keys(record, rules))
    count = len(records) * len(rules)
    return np.fromiter(hashes, dtype=np.int64, count=count).reshape(len(records), len(rules))


def _hash(key: str) -> int:
    if not key:
        return 0
    return hash(key) or 1


def candidate_pairs(matrix: np.ndarray, max_block: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per block, the (x, y) row pairs to compare, x < y: rule by rule, blocks in the order of
    their first record, pairs in `combinations` order, leaving out a pair already sharing a
    usable block under an earlier rule. A block of more than `max_block` records is skipped and
    its key zeroed in `matrix` (which is modified), so no later rule counts it as shared: a
    name shared by 100,000 people never produces 5 * 10^9 pairs, each record costs at most
    `max_block - 1` comparisons per rule."""
    if len(matrix) < 2:
        return
    for rule_index in range(matrix.shape[1]):
        column = matrix[:, rule_index]
        order = np.argsort(column, kind="stable")
        ordered = column[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        ends = np.r_[starts[1:], len(ordered)]
        sizes = ends - starts
        keyed = ordered[starts] != 0
        column[order[np.repeat(keyed & (sizes > max_block), sizes)]] = 0
        usable = keyed & (sizes > 1) & (sizes <= max_block)
        firsts, starts, ends = order[starts[usable]], starts[usable], ends[usable]
        by_first = np.argsort(firsts, kind="stable")
        blocks = zip(starts[by_first].tolist(), ends[by_first].tolist(), strict=True)
        earlier = matrix[:, :rule_index]
        for start, end in blocks:
            members = order[start:end]
            left, right = np.triu_indices(len(members), 1)
            xs, ys = members[left], members[right]
            if rule_index:
                a, b = earlier[xs], earlier[ys]
                fresh = ~((a == b) & (a != 0)).any(axis=1)
                xs, ys = xs[fresh], ys[fresh]
            if len(xs):
                yield xs, ys
