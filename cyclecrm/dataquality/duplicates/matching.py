"""Finding duplicates: of one record about to be saved (`find_candidates`), and among many
records at once (`find_pairs`, used by the batch scan, the CLI and the quality measurement).

Both use the same comparison (compare.py) and the same threshold per record type; blocking
(blocking.py) decides which pairs are compared in a batch, and a few indexed SQL conditions
(`_candidate_q`) fetch the possible matches of a single record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from django.db.models import Q

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
    rows = restrict(model._default_manager.filter(condition), actor)
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
    """Indexed conditions that any likely duplicate meets at least one of."""
    conditions = []

    def add(**lookups: Any) -> None:
        if all(value not in (None, "") for value in lookups.values()):
            conditions.append(Q(**lookups))

    if record_type == "account":
        add(domain__iexact=data.get("domain"))
        add(phone=data.get("phone"))
        add(name__iexact=(data.get("name") or "").strip())
    else:
        first, last = (data.get("first_name") or "").strip(), (data.get("last_name") or "").strip()
        add(email__iexact=(data.get("email") or "").strip())
        add(phone=data.get("phone"))
        add(last_name__iexact=last, first_name__istartswith=first[:1])
        add(last_name__iexact=first, first_name__iexact=last)
        if record_type == "contact":
            add(birth_date=data.get("birth_date"), last_name__istartswith=last[:1])
            add(birth_date=data.get("birth_date"), first_name__istartswith=first[:1])
            add(postal_code=data.get("postal_code"), last_name__istartswith=last[:2])
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
    prof = profile(record_type)
    cutoff = prof.threshold if threshold_value is None else threshold_value
    rules = rules_for(record_type)
    all_keys = [keys(record, rules) for record in records]
    oversized: list[set[str]] = [set() for _ in rules]
    compared = 0
    for rule_index in range(len(rules)):
        for members in _blocks(all_keys, rule_index, max_block, oversized[rule_index]):
            for x, y in combinations(members, 2):
                if _compared_before(all_keys[x], all_keys[y], rule_index, oversized):
                    continue
                compared += 1
                score, reasons = score_pair(records[x], records[y], prof)
                if score >= cutoff:
                    yield Pair(ids[x], ids[y], score, reasons)
    if stats is not None:
        stats["compared"] = stats.get("compared", 0) + compared


def _blocks(
    all_keys: list[tuple[str, ...]], rule_index: int, max_block: int, oversized: set[str]
) -> Iterator[list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, record_keys in enumerate(all_keys):
        key = record_keys[rule_index]
        if key:
            groups[key].append(index)
    for key, members in groups.items():
        if len(members) > max_block:
            oversized.add(key)
        elif len(members) > 1:
            yield members


def _compared_before(
    a: tuple[str, ...], b: tuple[str, ...], rule_index: int, oversized: list[set[str]]
) -> bool:
    """Whether the pair shares a usable key under an earlier rule (so was compared there)."""
    for index in range(rule_index):
        key = a[index]
        if key and key == b[index] and key not in oversized[index]:
            return True
    return False
