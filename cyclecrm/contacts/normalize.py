"""Normalization of contact data on the way in: every entry point (forms, API, imports)
passes through these, so stored values have one shape.

Each function returns the normalized value or raises ValueError with a reason for the user.
"""

import re
from functools import lru_cache

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SPACES = re.compile(r"\s+")

# Names people write that pycountry does not know as such.
_COUNTRY_ALIASES = {
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "great britain": "GB",
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "america": "US",
    "united states of america": "US",
    "russia": "RU",
    "south korea": "KR",
    "north korea": "KP",
    "iran": "IR",
    "vietnam": "VN",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "syria": "SY",
    "laos": "LA",
    "moldova": "MD",
    "czech republic": "CZ",
    "holland": "NL",
    "the netherlands": "NL",
    "ivory coast": "CI",
    "turkey": "TR",
}


def clean_text(value: str | None) -> str:
    """Trim and collapse inner whitespace."""
    if value is None:
        return ""
    return _SPACES.sub(" ", str(value)).strip()


# An unquoted ASCII local part (RFC 5322 dot-atom): what nearly every address has.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")


def normalize_email(value: str) -> str:
    text = clean_text(value)
    if not text:
        return ""
    plain = _plain_email(text)
    if plain is not None:
        return plain
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    return result.normalized.lower()


def _plain_email(text: str) -> str | None:
    """The normalized address when it is a dot-atom ASCII local part at an ASCII domain that
    `email_validator` accepts (checked once per domain), else None (the library decides, with
    its message). Equal to the library's result (a hypothesis test compares them); about ten
    times cheaper, which matters for imports of many addresses on few domains."""
    local, at, domain = text.rpartition("@")
    if not at or len(local) > 64 or len(text) > 254 or not _DOT_ATOM.match(local):
        return None
    normalized = _ascii_domain(domain)
    if normalized is None:
        return None
    return f"{local}@{normalized}".lower()


@lru_cache(maxsize=65536)
def _ascii_domain(domain: str) -> str | None:
    if not domain.isascii():
        return None
    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None


def normalize_phone(value: str, *, region: str) -> str:
    """Parse to E.164; numbers without a country code are read in `region`."""
    text = clean_text(value)
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"Not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValueError(f"Not a valid phone number for region {region}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=2048)
def normalize_country(value: str) -> str:
    """ISO-3166 alpha-2 from a code (alpha-2, alpha-3, numeric) or an English name."""
    text = clean_text(value)
    if not text:
        return ""
    alias = _COUNTRY_ALIASES.get(text.lower())
    if alias:
        return alias
    country = None
    if len(text) == 2 and text.isalpha():
        country = pycountry.countries.get(alpha_2=text.upper())
    elif len(text) == 3 and text.isalpha():
        country = pycountry.countries.get(alpha_3=text.upper())
    elif text.isdigit():
        country = pycountry.countries.get(numeric=text.zfill(3))
    if country is None:
        country = _country_by_name(text)
    if country is None:
        raise ValueError(f"Unknown country {text!r}; use an ISO-3166 code such as DE or a name.")
    return country.alpha_2


def _country_by_name(text: str):
    wanted = text.casefold()
    for country in pycountry.countries:
        names = {
            country.name,
            getattr(country, "common_name", ""),
            getattr(country, "official_name", ""),
        }
        if wanted in {name.casefold() for name in names if name}:
            return country
    return None


def normalize_domain(value: str) -> str:
    """A bare lower-case host name: scheme, `www.`, path and port removed."""
    text = clean_text(value).lower()
    if not text:
        return ""
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    text = text.removeprefix("www.").rstrip(".")
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError("Not a valid domain name.") from exc
    if not _DOMAIN.match(text):
        raise ValueError("Not a valid domain name, e.g. example.com.")
    return text


def normalize_website(value: str) -> str:
    text = clean_text(value)
    if not text:
        return ""
    if not re.match(r"^https?://", text, re.IGNORECASE):
        text = f"https://{text}"
    normalize_domain(text)
    return text


def normalize_word_list(values: list[str] | str | None) -> list[str]:
    """Interests, values and the like: trimmed, de-duplicated, order kept."""
    if values is None:
        return []
    items = values.split(",") if isinstance(values, str) else values
    cleaned = [clean_text(str(item)) for item in items]
    return list(dict.fromkeys(item for item in cleaned if item))
