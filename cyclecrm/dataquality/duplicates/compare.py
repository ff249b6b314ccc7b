"""Field-by-field comparison of two records into a match score (Fellegi-Sunter weights).

Each field comparison puts a pair in one agreement level (exact, close, far, missing); each level
carries a match weight log2(m/u): m is how often true duplicates land in that level, u how often
two different people do. The pair's total weight is the sum over fields (a missing value weighs
0), and the score is the posterior match probability `1 / (1 + 2^-(prior + total))`, in 0..1.

The weights are one configuration per record type (`PROFILES`), the same for every data set;
`DUPLICATE_PROFILES` in settings may override any of them (see docs/data-quality.md).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein
from rapidfuzz.fuzz import token_set_ratio, token_sort_ratio

# Person records: the level weights are log2(m/u) with m and u set from general figures on
# person data (name frequencies, a few typos per record), not fitted to any evaluation file.
PERSON_WEIGHTS: dict[str, dict[str, float]] = {
    "first_name": {"exact": 6.0, "close": 4.0, "fuzzy": 1.5, "else": -3.5},
    "last_name": {"exact": 7.5, "close": 5.0, "fuzzy": 2.0, "else": -4.0},
    "swapped_names": {"cost": -1.0},
    "birth_date": {"exact": 9.0, "typo": 5.0, "near": 1.0, "else": -5.0},
    "postal_code": {"exact": 5.0, "close": 2.0, "else": -2.5},
    "street": {"exact": 7.0, "close": 4.5, "fuzzy": 1.5, "else": -2.0},
    "city": {"exact": 3.5, "close": 2.0, "else": -1.5},
    "region": {"exact": 0.5, "else": -1.5},
    "email": {"exact": 11.0, "close": 6.0, "fuzzy": 2.5, "else": -1.5},
    "phone": {"exact": 11.0, "else": -1.5},
    "gender": {"exact": 0.3, "else": -4.0},
    "title": {"exact": 1.5, "close": 0.8, "else": -0.5},
    "company": {"exact": 2.0, "close": 1.0, "else": -0.5},
}

ACCOUNT_WEIGHTS: dict[str, dict[str, float]] = {
    "name": {"exact": 9.0, "close": 6.0, "fuzzy": 2.5, "else": -5.0},
    "domain": {"exact": 9.0, "else": -2.0},
    "phone": {"exact": 9.0, "else": -1.0},
    "street": {"exact": 6.0, "close": 4.0, "fuzzy": 1.0, "else": -1.5},
    "city": {"exact": 2.0, "close": 1.0, "else": -1.5},
    "postal_code": {"exact": 3.0, "close": 1.0, "else": -1.5},
    "country": {"exact": 0.3, "else": -4.0},
}


@dataclass(frozen=True)
class Profile:
    """How one record type is scored: level weights, prior weight and default threshold."""

    weights: dict[str, dict[str, float]]
    prior: float
    threshold: float
    # Cluster edges below this score may attach a lone record to a cluster but never join two
    # clusters (guards against chaining through one weak link).
    strong: float = 0.99
    close: float = 0.92
    fuzzy: float = 0.80
    extra: dict[str, Any] = field(default_factory=dict)


PROFILES: dict[str, Profile] = {
    "contact": Profile(weights=PERSON_WEIGHTS, prior=-7.0, threshold=0.5),
    "lead": Profile(weights=PERSON_WEIGHTS, prior=-7.0, threshold=0.5),
    "account": Profile(weights=ACCOUNT_WEIGHTS, prior=-10.0, threshold=0.5),
}


def profile(record_type: str) -> Profile:
    """The scoring profile of a type, with any override from settings.DUPLICATE_PROFILES."""
    base = PROFILES[record_type]
    override = getattr(settings, "DUPLICATE_PROFILES", {}).get(record_type)
    if not override:
        return base
    weights = {name: {**levels} for name, levels in base.weights.items()}
    for name, levels in override.get("weights", {}).items():
        weights.setdefault(name, {}).update(levels)
    values = {k: v for k, v in override.items() if k != "weights"}
    return Profile(**{**base.__dict__, "weights": weights, **values})


# --- features: a record reduced to the normalized strings the comparisons read --------------


def fold(value: Any) -> str:
    """Lower case, accents removed, inner whitespace collapsed; '' for empty values."""
    if value is None:
        return ""
    text = str(value).strip().lower()
    if not text or text in ("nan", "none", "null"):
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


def date_key(value: Any) -> str:
    """A birth date as YYYYMMDD ('' when missing or unreadable)."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return f"{value.year:04d}{value.month:02d}{value.day:02d}"
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    return digits if len(digits) == 8 else ""


@dataclass(slots=True)
class Person:
    first_name: str = ""
    last_name: str = ""
    birth_date: str = ""
    street: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    email: str = ""
    phone: str = ""
    gender: str = ""
    title: str = ""
    company: str = ""
    # The contact's account (id as text): colleagues share their office's address.
    account: str = ""

    @property
    def email_local(self) -> str:
        return self.email.split("@", 1)[0]


@dataclass(slots=True)
class Organization:
    name: str = ""
    domain: str = ""
    phone: str = ""
    street: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""


def person_from(values: dict[str, Any]) -> Person:
    """Features of a contact or lead from its field values (as stored or about to be)."""
    phone = values.get("phone") or values.get("mobile") or ""
    return Person(
        first_name=fold(values.get("first_name")),
        last_name=fold(values.get("last_name")),
        birth_date=date_key(values.get("birth_date")),
        street=fold(values.get("street")),
        city=fold(values.get("city")),
        postal_code=fold(values.get("postal_code")).replace(" ", ""),
        region=fold(values.get("region")),
        email=fold(values.get("email")),
        phone="".join(ch for ch in str(phone) if ch.isdigit() or ch == "+"),
        gender=fold(values.get("gender")),
        title=fold(values.get("title")),
        company=fold(values.get("company")),
        account=str(values.get("account_id") or ""),
    )


def organization_from(values: dict[str, Any]) -> Organization:
    phone = values.get("phone") or ""
    return Organization(
        name=fold(values.get("name")),
        domain=fold(values.get("domain")),
        phone="".join(ch for ch in str(phone) if ch.isdigit() or ch == "+"),
        street=fold(values.get("billing_street")),
        city=fold(values.get("billing_city")),
        postal_code=fold(values.get("billing_postal_code")).replace(" ", ""),
        country=fold(values.get("billing_country")),
    )


def features(record_type: str, values: dict[str, Any]) -> Person | Organization:
    return organization_from(values) if record_type == "account" else person_from(values)


# --- comparisons ----------------------------------------------------------------------------


def _name_level(a: str, b: str, prof: Profile) -> str:
    if a == b:
        return "exact"
    sim = JaroWinkler.normalized_similarity(a, b)
    if sim >= prof.close or (len(a) > 3 and OSA.distance(a, b, score_cutoff=1) <= 1):
        return "close"
    if sim >= prof.fuzzy or (len(a) > 1 and len(b) > 1 and (a in b or b in a)):
        return "fuzzy"
    return "else"


def _date_level(a: str, b: str) -> str:
    if a == b:
        return "exact"
    swapped = a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6]
    if swapped or Levenshtein.distance(a, b, score_cutoff=1) <= 1:
        return "typo"
    if Levenshtein.distance(a, b, score_cutoff=2) <= 2:
        return "near"
    return "else"


def _text_level(a: str, b: str) -> str:
    if a == b:
        return "exact"
    ratio = max(token_sort_ratio(a, b), token_set_ratio(a, b) - 8)
    if ratio >= 90:
        return "close"
    if ratio >= 70:
        return "fuzzy"
    return "else"


def _short_level(a: str, b: str, prof: Profile) -> str:
    if a == b:
        return "exact"
    return "close" if JaroWinkler.normalized_similarity(a, b) >= prof.close else "else"


def _email_level(a: str, b: str, prof: Profile) -> str:
    if a == b:
        return "exact"
    local_a, _, domain_a = a.partition("@")
    local_b, _, domain_b = b.partition("@")
    sim = JaroWinkler.normalized_similarity(local_a, local_b)
    if sim >= prof.close and domain_a == domain_b:
        return "close"
    if sim >= prof.close or (sim >= prof.fuzzy and domain_a == domain_b):
        return "fuzzy"
    return "else"


def _code_level(a: str, b: str) -> str:
    if a == b:
        return "exact"
    return "close" if OSA.distance(a, b, score_cutoff=1) <= 1 else "else"


def compare_persons(a: Person, b: Person, prof: Profile) -> dict[str, float]:
    """The match weight each field contributes (fields missing on either side are left out)."""
    w = prof.weights
    out: dict[str, float] = {}
    out.update(_names(a, b, prof))
    if a.birth_date and b.birth_date:
        out["birth_date"] = w["birth_date"][_date_level(a.birth_date, b.birth_date)]
    if a.email and b.email:
        out["email"] = w["email"][_email_level(a.email, b.email, prof)]
    if a.phone and b.phone:
        out["phone"] = w["phone"]["exact" if a.phone == b.phone else "else"]
    if not (a.account and a.account == b.account):
        out.update(_address(a, b, prof))
    if a.gender and b.gender:
        out["gender"] = w["gender"]["exact" if a.gender == b.gender else "else"]
    for name in ("title", "company"):
        x, y = getattr(a, name), getattr(b, name)
        if x and y:
            out[name] = w[name][_short_level(x, y, prof)]
    return out


def _address(a: Person, b: Person, prof: Profile) -> dict[str, float]:
    """Address agreement. Left out between two contacts of the same account: their address is
    usually the office's, which colleagues share, so agreeing on it says nothing about being
    one person (the demo data's colleagues scored 1.00 on the address alone)."""
    w = prof.weights
    out: dict[str, float] = {}
    if a.street and b.street:
        out["street"] = w["street"][_text_level(a.street, b.street)]
    if a.city and b.city:
        out["city"] = w["city"][_short_level(a.city, b.city, prof)]
    if a.postal_code and b.postal_code:
        out["postal_code"] = w["postal_code"][_code_level(a.postal_code, b.postal_code)]
    if a.region and b.region:
        out["region"] = w["region"]["exact" if a.region == b.region else "else"]
    return out


def _names(a: Person, b: Person, prof: Profile) -> dict[str, float]:
    """First and last names compared straight and crossed (a name typed in the other field);
    the better reading wins, the crossed one at the cost of the swap weight."""
    w = prof.weights
    straight: dict[str, float] = {}
    if a.first_name and b.first_name:
        straight["first_name"] = w["first_name"][_name_level(a.first_name, b.first_name, prof)]
    if a.last_name and b.last_name:
        straight["last_name"] = w["last_name"][_name_level(a.last_name, b.last_name, prof)]
    crossed: dict[str, float] = {}
    if a.first_name and b.last_name:
        crossed["first_name"] = w["first_name"][_name_level(a.first_name, b.last_name, prof)]
    if a.last_name and b.first_name:
        crossed["last_name"] = w["last_name"][_name_level(a.last_name, b.first_name, prof)]
    if not crossed or sum(crossed.values()) + w["swapped_names"]["cost"] <= sum(straight.values()):
        return straight
    crossed["names_swapped"] = w["swapped_names"]["cost"]
    return crossed


def compare_organizations(a: Organization, b: Organization, prof: Profile) -> dict[str, float]:
    w = prof.weights
    out: dict[str, float] = {}
    if a.name and b.name:
        level = "exact" if a.name == b.name else _text_level(a.name, b.name)
        out["name"] = w["name"][level]
    for name in ("domain", "phone", "country"):
        x, y = getattr(a, name), getattr(b, name)
        if x and y:
            out[name] = w[name]["exact" if x == y else "else"]
    if a.street and b.street:
        out["street"] = w["street"][_text_level(a.street, b.street)]
    if a.city and b.city:
        out["city"] = w["city"][_short_level(a.city, b.city, prof)]
    if a.postal_code and b.postal_code:
        out["postal_code"] = w["postal_code"][_code_level(a.postal_code, b.postal_code)]
    return out


def probability(total_weight: float, prof: Profile) -> float:
    """Posterior match probability from the summed weights and the type's prior weight."""
    exponent = -(prof.prior + total_weight)
    if exponent > 60:
        return 0.0
    return 1.0 / (1.0 + math.pow(2.0, exponent))


def score_pair(
    a: Person | Organization, b: Person | Organization, prof: Profile
) -> tuple[float, dict[str, float]]:
    """The pair's score in 0..1 and the field weights that made it (for the review page)."""
    if isinstance(a, Organization):
        reasons = compare_organizations(a, b, prof)  # type: ignore[arg-type]
    else:
        reasons = compare_persons(a, b, prof)  # type: ignore[arg-type]
        if _different_people(reasons, prof):
            return 0.0, {**reasons, "names_differ": 0.0}
    return probability(sum(reasons.values()), prof), reasons


def _different_people(reasons: dict[str, float], prof: Profile) -> bool:
    """Two people, however much else agrees (an office, a building, a household's address),
    when nothing personal is shared (e-mail, phone, birth date) and either both names disagree
    outright, or one does and both records carry different e-mail addresses. The weights alone
    would add up the address fields as if they were independent evidence of one person."""
    w = prof.weights

    def level(name: str, value: str) -> bool:
        return reasons.get(name) == w[name][value]

    if level("email", "exact") or level("phone", "exact") or level("birth_date", "exact"):
        return False
    first, last = level("first_name", "else"), level("last_name", "else")
    return (first and last) or ((first or last) and level("email", "else"))
