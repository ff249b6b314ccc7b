"""vCard 3.0 (RFC 2426) and 4.0 (RFC 6350) for contacts, read and written with vobject.

Writing: N, FN, EMAIL (one per address), TEL (work and cell; a `tel:` URI in 4.0), ADR, ORG (the
account's name), TITLE, BDAY, NOTE, UID (the contact's `external_id`, or `cyclecrm-contact-<id>`)
and X-CYCLECRM-ID. Fields hidden from the reader are left out.

Reading: each card becomes the `data` of a contact service call; nothing here writes.
"""

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import vobject

VERSIONS = ("3.0", "4.0")
UID_PREFIX = "cyclecrm-contact-"
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d")


@dataclass
class ParsedCard:
    """One card as contact fields; `account` is ORG's name, `problems` why it cannot be used."""

    number: int
    data: dict[str, Any] = field(default_factory=dict)
    account: str = ""
    problems: list[str] = field(default_factory=list)


def _shown(name: str, hidden: frozenset[str]) -> bool:
    return name not in hidden


def contact_card(contact: Any, version: str = "3.0", hidden: frozenset[str] = frozenset()) -> str:
    """One contact as a vCard of `version`, without the fields in `hidden`."""
    card = vobject.vCard()
    card.add("version").value = version
    card.add("n").value = vobject.vcard.Name(
        family=contact.last_name, given=contact.first_name if _shown("first_name", hidden) else ""
    )
    card.add("fn").value = contact.full_name or contact.last_name or "-"
    card.add("uid").value = contact.external_id or f"{UID_PREFIX}{contact.pk}"
    card.add("x-cyclecrm-id").value = str(contact.pk)
    _add_contact_points(card, contact, version, hidden)
    _add_details(card, contact, hidden)
    return card.serialize()


def _add_contact_points(card: Any, contact: Any, version: str, hidden: frozenset[str]) -> None:
    if _shown("email", hidden):
        for address in [contact.email, *(contact.other_emails or [])]:
            if address:
                card.add("email").value = address
    for name, kind in (("phone", "work"), ("mobile", "cell")):
        number = getattr(contact, name)
        if number and _shown(name, hidden):
            tel = card.add("tel")
            tel.type_param = kind
            if version == "4.0":
                tel.value_param = "uri"
                tel.value = f"tel:{number}"
            else:
                tel.value = number


def _add_details(card: Any, contact: Any, hidden: frozenset[str]) -> None:
    parts = {
        "street": "street",
        "city": "city",
        "region": "region",
        "code": "postal_code",
        "country": "country",
    }
    address = {key: getattr(contact, name) for key, name in parts.items() if _shown(name, hidden)}
    if any(address.values()):
        card.add("adr").value = vobject.vcard.Address(**address)
    if contact.account_id and _shown("account", hidden):
        card.add("org").value = [contact.account.name]
    if contact.title and _shown("title", hidden):
        card.add("title").value = contact.title
    if contact.birth_date and _shown("birth_date", hidden):
        card.add("bday").value = contact.birth_date.isoformat()
    if contact.notes and _shown("notes", hidden):
        card.add("note").value = contact.notes


def contacts_vcf(
    contacts: Iterable[Any], version: str = "3.0", hidden: frozenset[str] = frozenset()
) -> Iterator[str]:
    """Many cards, one after the other, for a streamed .vcf."""
    for contact in contacts:
        yield contact_card(contact, version, hidden)


def parse_cards(text: str) -> list[ParsedCard]:
    """Every card of a .vcf as contact fields; a card vobject cannot read ends the file with a
    problem on that card (the rest of a broken file cannot be told apart reliably)."""
    cards: list[ParsedCard] = []
    components = vobject.readComponents(text, ignoreUnreadable=True)
    number = 0
    while True:
        number += 1
        try:
            component = next(components)
        except StopIteration:
            break
        except Exception as exc:  # vobject raises ParseError and several plain errors
            cards.append(ParsedCard(number, problems=[f"Not a readable vCard: {exc}"]))
            break
        cards.append(card_fields(component, number))
    if not cards:
        cards.append(ParsedCard(1, problems=["The file holds no vCard."]))
    return cards


def card_fields(component: Any, number: int) -> ParsedCard:
    parsed = ParsedCard(number)
    if component.name != "VCARD":
        parsed.problems.append(f"A {component.name} is not a vCard.")
        return parsed
    kind = _first(component, "kind").lower()
    if kind and kind != "individual":
        parsed.problems.append(f"A card of KIND {kind} is not a person.")
        return parsed
    _read_names(component, parsed)
    _read_points(component, parsed)
    _read_details(component, parsed)
    if not parsed.data.get("last_name"):
        parsed.problems.append("The card has no name (N or FN).")
    return parsed


def _values(component: Any, name: str) -> list[Any]:
    return [line.value for line in component.contents.get(name, [])]


def _first(component: Any, name: str) -> str:
    values = _values(component, name)
    value = values[0] if values else ""
    if isinstance(value, list):
        value = ";".join(str(item) for item in value)
    return str(value).strip()


def _read_names(component: Any, parsed: ParsedCard) -> None:
    names = _values(component, "n")
    if names and isinstance(names[0], vobject.vcard.Name) and str(names[0].family).strip():
        family, given = names[0].family, names[0].given
        parsed.data["last_name"] = " ".join(family) if isinstance(family, list) else family
        parsed.data["first_name"] = " ".join(given) if isinstance(given, list) else given
        return
    full = _first(component, "fn")
    if full:
        first, _, last = full.rpartition(" ")
        parsed.data["first_name"], parsed.data["last_name"] = first, last


def _read_points(component: Any, parsed: ParsedCard) -> None:
    emails = [str(value).strip() for value in _values(component, "email") if str(value).strip()]
    if emails:
        parsed.data["email"] = emails[0]
        parsed.data["other_emails"] = emails[1:]
    for line in component.contents.get("tel", []):
        number = re.sub(r"^tel:", "", str(line.value).strip()).split(";")[0]
        kinds = {kind.lower() for value in line.params.get("TYPE", []) for kind in value.split(",")}
        target = "mobile" if "cell" in kinds else "phone"
        if number and target not in parsed.data:
            parsed.data[target] = number


def _read_details(component: Any, parsed: ParsedCard) -> None:
    addresses = _values(component, "adr")
    if addresses and isinstance(addresses[0], vobject.vcard.Address):
        address = addresses[0]
        for key, name in (
            ("street", "street"),
            ("city", "city"),
            ("region", "region"),
            ("code", "postal_code"),
            ("country", "country"),
        ):
            value = getattr(address, key)
            parsed.data[name] = " ".join(value) if isinstance(value, list) else value
    org = _values(component, "org")
    if org:
        parsed.account = (org[0][0] if isinstance(org[0], list) else str(org[0])).strip()
    for vcard_name, name in (("title", "title"), ("note", "notes")):
        value = _first(component, vcard_name)
        if value:
            parsed.data[name] = value
    birthday = _birth_date(_first(component, "bday"))
    if birthday:
        parsed.data["birth_date"] = birthday
    parsed.data["external_id"] = _external_id(component)


def _birth_date(text: str) -> dt.date | None:
    """A full date; a date without a year (`--0203`) or with a time cannot be a birth date."""
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text[:10] if "-" in text else text[:8], fmt).date()
        except ValueError:
            continue
    return None


def _external_id(component: Any) -> str | None:
    """UID or an X- id; the UID Cycle CRM writes itself names no outside system."""
    for name in ("uid", "x-external-id", "x-abuid"):
        value = _first(component, name)
        if value and not value.startswith(UID_PREFIX):
            return value[:100]
    return None
