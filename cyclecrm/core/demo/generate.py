"""Realistic values the demo needs that Faker does not give reliably: phone numbers valid for
their country, ASCII e-mail addresses and domain names, and fast pools of names and addresses.
"""

import random
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import phonenumbers
from faker import Faker
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from cyclecrm.core.demo.data import LEGAL_WORDS, Country

_TRANSLITERATE = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L", "đ": "d", "œ": "oe"}
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
PHONE_ATTEMPTS = 40
# Names and addresses are drawn from pools per locale: calling Faker per row would dominate
# the run time of a large build, and a few hundred distinct values per country look real.
POOL_SIZE = 400


def ascii_word(text: str) -> str:
    """`Jürgen O'Neil` -> `jurgenoneil`: lower-case letters and digits only."""
    plain = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    plain = plain.encode("ascii", "ignore").decode().lower()
    return _NOT_ALNUM.sub("", plain)


def domain_label(company: str) -> str:
    """The distinctive words of a company name as a domain label: `Müller GmbH` -> `muller`."""
    words = [ascii_word(word) for word in re.split(r"[\s,.\-&/]+", company)]
    words = [word for word in words if word and word not in LEGAL_WORDS]
    return "-".join(words[:2]) or "company"


def email_local_part(first: str, last: str, rng: random.Random) -> str:
    first_word, last_word = ascii_word(first) or "info", ascii_word(last) or "contact"
    pattern = rng.choices(range(5), weights=[10, 4, 3, 2, 1])[0]
    if pattern == 0:
        return f"{first_word}.{last_word}"
    if pattern == 1:
        return f"{first_word[0]}{last_word}"
    if pattern == 2:
        return f"{first_word}{last_word}"
    if pattern == 3:
        return f"{first_word}_{last_word}"
    return f"{first_word}.{last_word[0]}"


@cache
def _example(region: str, kind: int) -> phonenumbers.PhoneNumber | None:
    return phonenumbers.example_number_for_type(region, kind)


def phone_number(region: str, rng: random.Random, *, mobile: bool) -> str:
    """An E.164 number valid for `region`: the country's example number of that kind with
    its subscriber digits drawn at random, kept only when `is_valid_number` agrees."""
    kind = PhoneNumberType.MOBILE if mobile else PhoneNumberType.FIXED_LINE
    example = _example(region, kind) or _example(region, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if example is None:
        return ""
    national = str(example.national_number)
    for attempt in range(PHONE_ATTEMPTS):
        # Wide first (area codes vary too), then only the subscriber digits.
        keep = max(1, len(national) - 8) if attempt < PHONE_ATTEMPTS // 2 else len(national) - 5
        digits = national[:keep] + "".join(
            rng.choice("0123456789") for _ in range(len(national) - keep)
        )
        number = phonenumbers.PhoneNumber(
            country_code=example.country_code,
            national_number=int(digits),
            italian_leading_zero=example.italian_leading_zero,
            number_of_leading_zeros=example.number_of_leading_zeros,
        )
        if phonenumbers.is_valid_number_for_region(number, region):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return phonenumbers.format_number(example, PhoneNumberFormat.E164)


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    region: str
    postal_code: str


class LocalePools:
    """Names and addresses per country, drawn from Faker once, then sampled with `rng`."""

    def __init__(self, faker: Faker) -> None:
        self._faker = faker
        self._pools: dict[tuple[str, str], list] = {}

    def _pool(self, country: Country, kind: str) -> list:
        key = (country.code, kind)
        if key not in self._pools:
            self._pools[key] = self._draw(country, kind)
        return self._pools[key]

    def _draw(self, country: Country, kind: str) -> list:
        fake = self._faker[country.locale]
        if kind == "female":
            return [fake.first_name_female() for _ in range(POOL_SIZE // 2)]
        if kind == "male":
            return [fake.first_name_male() for _ in range(POOL_SIZE // 2)]
        if kind == "last":
            return [fake.last_name() for _ in range(POOL_SIZE)]
        return [self._address(fake, country) for _ in range(POOL_SIZE)]

    @staticmethod
    def _address(fake: Faker, country: Country) -> Address:
        region = ""
        if country.has_region and hasattr(fake, "administrative_unit"):
            region = fake.administrative_unit()
        return Address(
            street=fake.street_address().replace("\n", ", "),
            city=fake.city(),
            region=region,
            postal_code=fake.postcode(),
        )

    def first_name(self, country: Country, gender: str, rng: random.Random) -> str:
        kind = gender if gender in ("female", "male") else rng.choice(["female", "male"])
        return rng.choice(self._pool(country, kind))

    def last_name(self, country: Country, rng: random.Random) -> str:
        return rng.choice(self._pool(country, "last"))

    def address(self, country: Country, rng: random.Random) -> Address:
        return rng.choice(self._pool(country, "address"))
