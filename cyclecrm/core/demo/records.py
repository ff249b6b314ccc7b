"""Demo steps for accounts and contacts, written in batches with bulk_create."""

import datetime as dt
import math
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.core.demo.data import (
    BRAND_ENDS,
    BRAND_KINDS,
    BRAND_STARTS,
    CHANNELS,
    CONSENT_SOURCES,
    COUNTRIES,
    DECISION_MAKER_TITLES,
    FREE_MAIL_DOMAINS,
    GENDERS,
    INDUSTRIES,
    INTERESTS,
    STAGES_WITH_ACCOUNT,
    STAGES_WITHOUT_ACCOUNT,
    TIERS,
    TITLES,
    VALUES,
    Country,
)
from cyclecrm.core.demo.generate import (
    LocalePools,
    domain_label,
    email_local_part,
    phone_number,
)

HISTORY_DAYS = 730
SUBSIDIARY_SHARE = 0.12
CONTACTS_WITH_ACCOUNT = 0.85
COUNTRY_BY_CODE = {country.code: country for country in COUNTRIES}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _country(rng: random.Random) -> Country:
    return rng.choices(COUNTRIES, weights=[country.weight for country in COUNTRIES])[0]


def _moment(rng: random.Random, after: dt.datetime, before: dt.datetime) -> dt.datetime:
    span = max((before - after).total_seconds(), 1.0)
    return after + dt.timedelta(seconds=rng.random() * span)


def _batches(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


def _link_tags(
    model: Any, rows: list[Any], tag_names: list[list[str]], context: DemoContext
) -> None:
    through = model.tags.through
    column = f"{model._meta.model_name}_id"
    links = [
        through(**{column: row.pk, "tag_id": context.tags[name].pk})
        for row, names in zip(rows, tag_names, strict=True)
        for name in names
    ]
    through.objects.bulk_create(links, batch_size=context.options.batch_size)


# --- accounts ---------------------------------------------------------------------------------


def build_accounts(context: DemoContext) -> None:
    rng = context.rng("accounts")
    pools = context.pools
    taken_domains: set[str] = set()
    accounts, tag_names = [], []
    for _ in range(context.options.accounts):
        account, tags = _account(context, rng, pools, taken_domains)
        accounts.append(account)
        tag_names.append(tags)
    Account.objects.bulk_create(accounts, batch_size=context.options.batch_size)
    _link_tags(Account, accounts, tag_names, context)
    _set_parents(accounts, rng)
    context.accounts = accounts
    context.counts["accounts"] = len(accounts)
    context.log(f"  {len(accounts)} accounts")


def _account_name(context: DemoContext, rng: random.Random, country: Country, industry: str) -> str:
    if rng.random() < 0.5:
        return context.faker[country.locale].company()
    brand = rng.choice(BRAND_STARTS) + rng.choice(BRAND_ENDS)
    kinds = BRAND_KINDS.get(industry, [industry.split()[0].title(), "Group", "Solutions"])
    return f"{brand} {rng.choice(kinds)}"


def _unique_domain(label: str, country: Country, rng: random.Random, taken: set[str]) -> str:
    tld = "com" if rng.random() < 0.3 else country.tld
    domain, n = f"{label}.{tld}", 1
    while domain in taken:
        n += 1
        domain = f"{label}{n}.{tld}"
    taken.add(domain)
    return domain


def _account(
    context: DemoContext, rng: random.Random, pools: LocalePools, taken: set[str]
) -> tuple[Account, list[str]]:
    country = _country(rng)
    industry = _pick(rng, INDUSTRIES)
    name = _account_name(context, rng, country, industry)
    domain = _unique_domain(domain_label(name), country, rng, taken)
    employees = max(1, min(250_000, int(math.exp(rng.gauss(4.6, 1.7)))))
    revenue = Decimal(employees * rng.randint(60, 260)) * 1000
    address = pools.address(country, rng)
    owner = rng.choice(context.reps)
    created = _moment(rng, context.now - dt.timedelta(days=HISTORY_DAYS), context.now)
    tier = _tier(employees, rng)
    account = Account(
        name=name[:200],
        domain=domain,
        industry=industry,
        employees=employees,
        annual_revenue=revenue,
        currency=country.currency,
        phone=phone_number(country.code, rng, mobile=False),
        website=f"https://www.{domain}",
        billing_street=address.street,
        billing_city=address.city,
        billing_region=address.region,
        billing_postal_code=address.postal_code,
        billing_country=country.code,
        owner=owner,
        team=context.home_team.get(owner.pk),
        created_by=owner,
        updated_by=owner,
        created_at=created,
        updated_at=_moment(rng, created, context.now),
        custom=_account_custom(tier, context, rng),
    )
    if rng.random() < 0.4:
        account.shipping_street, account.shipping_city = address.street, address.city
        account.shipping_region, account.shipping_postal_code = address.region, address.postal_code
        account.shipping_country = country.code
    return account, _account_tags(tier, rng)


def _tier(employees: int, rng: random.Random) -> str:
    index = 0 if employees < 50 else 1 if employees < 500 else 2 if employees < 5000 else 3
    if rng.random() < 0.15:
        index = max(0, min(3, index + rng.choice([-1, 1])))
    return TIERS[index]


def _account_custom(tier: str, context: DemoContext, rng: random.Random) -> dict[str, Any]:
    custom: dict[str, Any] = {"tier": tier}
    if rng.random() < 0.6:
        renewal = context.now.date() + dt.timedelta(days=rng.randint(-30, 365))
        custom["renewal_date"] = renewal.isoformat()
    return custom


def _account_tags(tier: str, rng: random.Random) -> list[str]:
    tags = []
    if rng.random() < (0.3 if tier in ("gold", "platinum") else 0.02):
        tags.append("vip")
    for name, share in (("partner", 0.08), ("strategic", 0.06), ("reseller", 0.04)):
        if rng.random() < share:
            tags.append(name)
    return tags


def _set_parents(accounts: list[Account], rng: random.Random) -> None:
    """Some accounts are subsidiaries of a larger one, in the same country when possible."""
    by_size = sorted(accounts, key=lambda account: account.employees or 0, reverse=True)
    groups = by_size[: max(1, len(accounts) // 10)]
    group_ids = {group.pk for group in groups}
    children = []
    for account in accounts:
        if account.pk in group_ids or rng.random() >= SUBSIDIARY_SHARE:
            continue
        same_country = [g for g in groups if g.billing_country == account.billing_country]
        account.parent = rng.choice(same_country or groups)
        children.append(account)
    Account.objects.bulk_update(children, ["parent"], batch_size=1000)


# --- contacts ---------------------------------------------------------------------------------


def build_contacts(context: DemoContext) -> None:
    rng = context.rng("contacts")
    pools = context.pools
    taken_emails: set[str] = set()
    total = 0
    for batch in _batches(context.options.contacts, context.options.batch_size):
        contacts, tag_names = [], []
        for _ in batch:
            contact, tags = _contact(context, rng, pools, taken_emails)
            contacts.append(contact)
            tag_names.append(tags)
        Contact.objects.bulk_create(contacts, batch_size=context.options.batch_size)
        _link_tags(Contact, contacts, tag_names, context)
        total += len(contacts)
    context.counts["contacts"] = total
    context.log(f"  {total} contacts")


def _unique_email(local: str, domain: str, taken: set[str], rng: random.Random) -> str:
    email = f"{local}@{domain}"
    while email in taken:
        email = f"{local}{rng.randint(2, 999)}@{domain}"
    taken.add(email)
    return email


def _contact(
    context: DemoContext, rng: random.Random, pools: LocalePools, taken: set[str]
) -> tuple[Contact, list[str]]:
    account = None
    if context.accounts and rng.random() < CONTACTS_WITH_ACCOUNT:
        account = rng.choice(context.accounts)
    country = COUNTRY_BY_CODE[account.billing_country] if account else _country(rng)
    if account and rng.random() < 0.1:
        country = _country(rng)  # people abroad: the account's office elsewhere
    gender = _pick(rng, GENDERS)
    first, last = pools.first_name(country, gender, rng), pools.last_name(country, rng)
    domain = account.domain if account else _pick(rng, FREE_MAIL_DOMAINS)
    local = email_local_part(first, last, rng)
    if not account and rng.random() < 0.5:
        local += str(rng.randint(1, 99))
    stage = _pick(rng, STAGES_WITH_ACCOUNT if account else STAGES_WITHOUT_ACCOUNT)
    owner = account.owner if account and rng.random() < 0.9 else rng.choice(context.reps)
    created = _moment(rng, account.created_at if account else _start(context), context.now)
    title = _pick(rng, TITLES) if account else ""
    address = pools.address(country, rng)
    contact = Contact(
        first_name=first,
        last_name=last,
        email=_unique_email(local, domain, taken, rng),
        phone=phone_number(country.code, rng, mobile=False) if rng.random() < 0.5 else "",
        mobile=phone_number(country.code, rng, mobile=True) if rng.random() < 0.6 else "",
        title=title,
        account=account,
        birth_date=_birth_date(context, rng) if rng.random() < 0.7 else None,
        gender=gender if rng.random() < 0.8 else "",
        street=address.street,
        city=address.city,
        region=address.region,
        postal_code=address.postal_code,
        country=country.code,
        language=country.language,
        lifecycle_stage=stage,
        interests=rng.sample(INTERESTS, rng.randint(0, 4)),
        values=rng.sample(VALUES, rng.randint(0, 3)),
        owner=owner,
        team=context.home_team.get(owner.pk),
        created_by=owner,
        updated_by=owner,
        created_at=created,
        updated_at=_moment(rng, created, context.now),
        custom=_contact_custom(rng),
    )
    _consent(contact, stage, rng, context.now)
    return contact, _contact_tags(contact, title, rng)


def _start(context: DemoContext) -> dt.datetime:
    return context.now - dt.timedelta(days=HISTORY_DAYS)


def _birth_date(context: DemoContext, rng: random.Random) -> dt.date:
    age_days = rng.randint(22 * 365, 67 * 365)
    return context.now.date() - dt.timedelta(days=age_days)


def _contact_custom(rng: random.Random) -> dict[str, Any]:
    return {"preferred_channel": _pick(rng, CHANNELS)} if rng.random() < 0.7 else {}


def _consent(contact: Contact, stage: str, rng: random.Random, now: dt.datetime) -> None:
    """Consent flags with when and where each was given; a few people opted out of all."""
    if rng.random() < 0.02:
        contact.do_not_contact = True
        return
    email_share = 0.95 if stage == "subscriber" else 0.6
    for channel, share in (("email", email_share), ("phone", 0.35), ("sms", 0.2)):
        if rng.random() < share:
            setattr(contact, f"consent_{channel}", True)
            setattr(contact, f"consent_{channel}_at", _moment(rng, contact.created_at, now))
            setattr(contact, f"consent_{channel}_source", _pick(rng, CONSENT_SOURCES))


def _contact_tags(contact: Contact, title: str, rng: random.Random) -> list[str]:
    tags = []
    if contact.consent_email and rng.random() < 0.5:
        tags.append("newsletter")
    if title in DECISION_MAKER_TITLES:
        tags.append("decision-maker")
    for name, share in (
        ("vip", 0.03),
        ("event-2025", 0.1),
        ("webinar", 0.08),
        ("beta-tester", 0.02),
    ):
        if rng.random() < share:
            tags.append(name)
    return tags
