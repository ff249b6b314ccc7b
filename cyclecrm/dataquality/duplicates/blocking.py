"""Blocking: the keys that decide which pairs are compared at all.

Two records are compared only when they share at least one key. Each rule gives a record at
most one key (or none when a field it needs is empty). A pair sharing several keys is compared
once, under the first rule they share (`first_shared_rule`), so no set of seen pairs is kept.
Blocks bigger than `MAX_BLOCK` are skipped: a key that common says little (e.g. one birth date
shared by thousands) and would make the pair count quadratic.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import jellyfish

from cyclecrm.dataquality.duplicates.compare import Organization, Person

MAX_BLOCK = 100


@lru_cache(maxsize=200_000)
def phonetic(name: str) -> str:
    """A phonetic code of the first word of a name (metaphone), '' when empty."""
    word = name.split(" ", 1)[0] if name else ""
    return jellyfish.metaphone(word) if word else ""


def _join(*parts: str) -> str:
    return "|".join(parts) if all(parts) else ""


PERSON_RULES: list[tuple[str, Callable[[Person], str]]] = [
    ("email", lambda p: p.email),
    ("phone", lambda p: p.phone),
    ("names", lambda p: _join(phonetic(p.first_name), phonetic(p.last_name))),
    ("names_swapped", lambda p: _join(*sorted((phonetic(p.first_name), phonetic(p.last_name))))),
    ("birth_date", lambda p: p.birth_date),
    ("last_name_year", lambda p: _join(phonetic(p.last_name), p.birth_date[:4])),
    ("first_name_month_day", lambda p: _join(phonetic(p.first_name), p.birth_date[4:])),
    ("postcode_last", lambda p: _join(p.postal_code, p.last_name[:1])),
    ("postcode_first", lambda p: _join(p.postal_code, p.first_name[:1])),
    ("street_postcode", lambda p: _join(p.street[:12], p.postal_code)),
    ("city_last", lambda p: _join(p.city, phonetic(p.last_name))),
    ("street_number_name", lambda p: _street_key(p.street)),
    ("postcode_street_number", lambda p: _join(p.postal_code, p.street.split(" ", 1)[0])),
    ("city_first", lambda p: _join(phonetic(p.city), phonetic(p.first_name))),
    ("email_domain_initial", lambda p: _join(p.email.partition("@")[2], p.email[:1])),
    ("city_year", lambda p: _join(p.city, p.birth_date[:4])),
    ("city_month_day", lambda p: _join(p.city, p.birth_date[4:])),
    ("email_local", lambda p: p.email.split("@", 1)[0] if len(p.email) > 8 else ""),
    ("last_first_initial", lambda p: _join(p.last_name, p.first_name[:1], p.city[:3])),
]

ORGANIZATION_RULES: list[tuple[str, Callable[[Organization], str]]] = [
    ("domain", lambda o: o.domain),
    ("phone", lambda o: o.phone),
    ("name", lambda o: " ".join(sorted(o.name.split()))[:40]),
    ("name_phonetic", lambda o: _join(phonetic(o.name), o.city)),
    ("street_postcode", lambda o: _join(o.street[:12], o.postal_code)),
]


def _street_key(street: str) -> str:
    """House number and the phonetic code of the street's name ('' without both)."""
    parts = street.split(" ")
    if len(parts) < 2 or not parts[0].isdigit():
        return ""
    return _join(parts[0], phonetic(parts[1]))


def rules_for(record_type: str) -> list[tuple[str, Callable]]:
    return ORGANIZATION_RULES if record_type == "account" else PERSON_RULES


def keys(record: Person | Organization, rules: list[tuple[str, Callable]]) -> tuple[str, ...]:
    """The record's key under each rule, in rule order ('' where the rule does not apply)."""
    return tuple(rule(record) for _name, rule in rules)


def first_shared_rule(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """The index of the first rule under which both records have the same non-empty key."""
    for index, (x, y) in enumerate(zip(a, b, strict=True)):
        if x and x == y:
            return index
    return -1
