"""Demo steps from lead to customer: products, opportunities with their stage history, leads
(some converted), quotes for open opportunities, orders of customers, and the reps' tasks.

Sizes follow the number of contacts asked for (N): about 0.3 N leads, 0.2 N opportunities,
0.1 N tasks, and two years of repeat orders of the customers (see `_order_moments`). Quote and
order lines are priced by `catalog.pricing` (the rule the services use), numbers are
`Q-<year>-<seq>` / `O-<year>-<seq>` and the number counters are moved past them, so documents
created later in the app continue the sequence.
"""

import datetime as dt
import math
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings

from cyclecrm.activities.models import PRIORITY_RANK, Task, TaskPriority, TaskStatus
from cyclecrm.catalog.models import (
    NumberCounter,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from cyclecrm.catalog.numbering import format_number
from cyclecrm.catalog.pricing import LineInput, price_lines
from cyclecrm.contacts.models import Contact
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.core.demo.data import BRAND_ENDS, BRAND_STARTS, INDUSTRIES, TITLES
from cyclecrm.core.demo.generate import domain_label, email_local_part, phone_number
from cyclecrm.core.demo.records import _country, _moment, _pick
from cyclecrm.core.demo.scoring import score_leads
from cyclecrm.core.money import round_money
from cyclecrm.leads.models import (
    Authority,
    Lead,
    LeadSource,
    LeadStatus,
    LeadStatusChange,
    NeedLevel,
    TimelineHorizon,
)
from cyclecrm.pipeline.models import ExchangeRate, Opportunity, Stage, StageChange, StageKind
from cyclecrm.pipeline.services import pipeline_default

LEADS_PER_CONTACT = 0.3
OPPORTUNITIES_PER_CONTACT = 0.2
TASKS_PER_CONTACT = 0.1
QUOTED_SHARE = 0.35  # of the opportunities in a proposal or negotiation stage
SECOND_CURRENCY = "EUR"
SECOND_CURRENCY_SHARE = 0.15
EUR_PER_USD = Decimal("0.92")
CUSTOMER_STAGES = ("customer", "evangelist", "churned")

# --- products ---------------------------------------------------------------------------------

# (category, SKU prefix, tax percent, price range, names)
PRODUCT_LINES = [
    ("Software", "SW", "0", (400, 24000), [
        "CRM Suite Starter", "CRM Suite Professional", "CRM Suite Enterprise",
        "Analytics Add-on", "Marketing Automation", "Customer Portal", "Integration Hub",
        "Mobile Sales App", "Forecasting Module", "Data Quality Pack",
    ]),
    ("Hardware", "HW", "19", (80, 3500), [
        "Barcode Scanner", "Receipt Printer", "Rugged Tablet", "Docking Station",
        "Conference Speaker", "Wireless Headset", "POS Terminal", "Label Printer",
    ]),
    ("Services", "SV", "19", (900, 18000), [
        "Onboarding Package", "Data Migration", "Custom Integration", "Process Workshop",
        "Implementation Day", "Health Check", "Dashboard Design", "Security Review",
    ]),
    ("Support", "SP", "0", (300, 9000), [
        "Standard Support", "Premium Support", "24/7 Support", "Dedicated Success Manager",
        "Extended Warranty", "Sandbox Environment",
    ]),
    ("Training", "TR", "7", (150, 4000), [
        "Admin Training", "End-user Training", "Train the Trainer", "Reporting Masterclass",
        "Sales Playbook Course", "Certification Exam", "E-learning Licence", "API Bootcamp",
    ]),
]  # fmt: skip
VENDORS = {
    "Software": ["Cycle Software", "Northwind Labs", "Brightstack"],
    "Hardware": ["Zebra Devices", "Logiwave", "Ironforge Hardware"],
    "Services": ["Cycle Professional Services", "Summit Consulting"],
    "Support": ["Cycle Software"],
    "Training": ["Cycle Academy", "Peakpath Learning"],
}


def build_products(context: DemoContext) -> None:
    rng = context.rng("products")
    currency = _default_currency()
    existing = {product.sku: product for product in Product.objects.all()}
    products, new = [], []
    for category, prefix, tax, (low, high), names in PRODUCT_LINES:
        for number, name in enumerate(names, start=1):
            sku = f"{prefix}-{1000 + number * 10}"
            if sku in existing:
                products.append(existing[sku])
                continue
            owner = context.users.get("manager") or rng.choice(context.reps)
            created = context.now - dt.timedelta(days=rng.randint(700, 900))
            price = Decimal(_nice_price(rng, low, high))
            product = Product(
                sku=sku,
                name=name,
                description=f"{name}: {category.lower()} from the demo catalogue.",
                vendor=rng.choice(VENDORS[category]),
                category=category,
                unit_price=price,
                currency=currency,
                tax_percent=Decimal(tax),
                is_active=rng.random() > 0.05,
                owner=owner,
                team=context.home_team.get(owner.pk),
                created_by=owner,
                updated_by=owner,
                created_at=created,
                updated_at=created,
            )
            products.append(product)
            new.append(product)
    Product.objects.bulk_create(new, batch_size=context.options.batch_size)
    context.products = products  # type: ignore[attr-defined]
    context.counts["products"] = len(new)
    context.log(f"  {len(new)} products")


def _nice_price(rng: random.Random, low: int, high: int) -> str:
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    step = 10 if value < 1000 else 50
    return f"{max(step, round(value / step) * step) - rng.choice([0, 0, 0.01]):.2f}"


def _default_currency() -> str:
    return getattr(settings, "CYCLECRM", {}).get("DEFAULT_CURRENCY", "USD")


# --- contacts and accounts of this run --------------------------------------------------------


def _contacts(context: DemoContext) -> list[Contact]:
    """The contacts the contacts step just built (the newest N), oldest first."""
    cached = getattr(context, "demo_contacts", None)
    if cached is None:
        newest = Contact.objects.order_by("-id").only(
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "title",
            "country",
            "account_id",
            "owner_id",
            "lifecycle_stage",
            "created_at",
        )[: context.options.contacts]
        cached = sorted(newest, key=lambda contact: contact.pk)
        context.demo_contacts = cached  # type: ignore[attr-defined]
    return cached


def _contacts_by_account(context: DemoContext) -> dict[int, list[Contact]]:
    by_account: dict[int, list[Contact]] = defaultdict(list)
    for contact in _contacts(context):
        if contact.account_id:
            by_account[contact.account_id].append(contact)
    return by_account


def _owner_fields(context: DemoContext, owner: Any) -> dict[str, Any]:
    return {
        "owner": owner,
        "team": context.home_team.get(owner.pk),
        "created_by": owner,
        "updated_by": owner,
    }


def _rep(context: DemoContext, rng: random.Random, owner_id: int | None) -> Any:
    """The record's rep: the given owner when they are a rep, most of the time."""
    by_id = {rep.pk: rep for rep in context.reps}
    if owner_id in by_id and rng.random() < 0.85:
        return by_id[owner_id]
    return rng.choice(context.reps)


def _timeline(
    rng: random.Random, start: dt.datetime, end: dt.datetime, count: int
) -> list[dt.datetime]:
    """`count` strictly increasing moments, the first at `start`, none after `end`."""
    span = max((end - start).total_seconds(), float(count))
    offsets = sorted(rng.random() * span for _ in range(count - 1))
    moments, previous = [start], start
    for offset in offsets:
        moment = max(start + dt.timedelta(seconds=offset), previous + dt.timedelta(seconds=1))
        moments.append(moment)
        previous = moment
    return moments


# --- opportunities ----------------------------------------------------------------------------

OPPORTUNITY_KINDS = [
    "Platform licence", "Renewal", "Expansion", "Pilot", "Services package", "Upgrade",
    "New seats", "Hardware rollout", "Training programme", "Support contract",
]  # fmt: skip
LOST_REASONS = {
    "Price too high": 5,
    "Chose a competitor": 5,
    "No budget": 3,
    "No decision": 3,
    "Timing": 2,
    "Missing feature": 2,
}
OUTCOMES = {"open": 58, "won": 24, "lost": 18}


def build_opportunities(context: DemoContext) -> None:
    rng = context.rng("opportunities")
    pipeline = pipeline_default()
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    open_stages = [stage for stage in stages if stage.kind == StageKind.OPEN]
    closing = {
        kind: next((stage for stage in stages if stage.kind == kind), None)
        for kind in (StageKind.WON, StageKind.LOST)
    }
    by_account = _contacts_by_account(context)
    total = round(context.options.contacts * OPPORTUNITIES_PER_CONTACT)
    rows: list[tuple[Opportunity, list[Stage], list[dt.datetime]]] = []
    for _ in range(total if open_stages and context.reps else 0):
        rows.append(_opportunity(context, rng, pipeline, open_stages, closing, by_account))
    Opportunity.objects.bulk_create([row[0] for row in rows], batch_size=context.options.batch_size)
    changes = []
    for opportunity, path, moments in rows:
        previous = None
        for stage, at in zip(path, moments, strict=True):
            changes.append(
                StageChange(
                    opportunity=opportunity,
                    from_stage=previous,
                    to_stage=stage,
                    actor=opportunity.owner,
                    at=at,
                )
            )
            previous = stage
    StageChange.objects.bulk_create(changes, batch_size=context.options.batch_size)
    context.opportunities = [row[0] for row in rows]  # type: ignore[attr-defined]
    context.counts["opportunities"] = len(rows)
    context.counts["stage changes"] = len(changes)
    context.log(f"  {len(rows)} opportunities, {len(changes)} stage changes")


def _opportunity(
    context: DemoContext,
    rng: random.Random,
    pipeline: Any,
    open_stages: list[Stage],
    closing: dict[str, Stage | None],
    by_account: dict[int, list[Contact]],
) -> tuple[Opportunity, list[Stage], list[dt.datetime]]:
    outcome = _pick(rng, OUTCOMES)
    if closing.get(outcome) is None:
        outcome = "open"
    if outcome == "open":
        # Earlier stages hold more opportunities than later ones.
        weights = [len(open_stages) - i + 1 for i in range(len(open_stages))]
        reached = rng.choices(range(1, len(open_stages) + 1), weights=weights)[0]
        path = open_stages[:reached]
    else:
        low = len(open_stages) if outcome == "won" else 1
        reached = rng.randint(max(1, low - 1), len(open_stages))
        path = [*open_stages[:reached], closing[outcome]]  # type: ignore[list-item]
    now = context.now
    if outcome == "open":
        created = now - dt.timedelta(days=rng.uniform(3, 240))
        end = now - dt.timedelta(hours=rng.uniform(0, 72))
    else:
        end = now - dt.timedelta(days=rng.uniform(1, 540))
        created = end - dt.timedelta(days=rng.uniform(10, 150))
    moments = _timeline(rng, created, max(end, created), len(path))
    account = rng.choice(context.accounts) if context.accounts and rng.random() < 0.9 else None
    people = by_account.get(account.pk, []) if account else []
    contact = rng.choice(people) if people else None
    owner = _rep(context, rng, account.owner_id if account else None)
    currency = _default_currency()
    if rng.random() < SECOND_CURRENCY_SHARE:
        currency = SECOND_CURRENCY
    amount = Decimal(max(5, round(math.exp(rng.gauss(9.6, 1.0)) / 100)) * 100)
    final = path[-1]
    closed_at = moments[-1] if final.kind != StageKind.OPEN else None
    if closed_at:
        close_date = closed_at.date()
    else:
        close_date = now.date() + dt.timedelta(days=rng.randint(-7, 182))
    label = account.name if account else f"{contact or 'New customer'}"
    opportunity = Opportunity(
        name=f"{label}: {rng.choice(OPPORTUNITY_KINDS)}"[:200],
        account=account,
        contact=contact,
        pipeline=pipeline,
        stage=final,
        amount=round_money(amount, currency),
        currency=currency,
        expected_close_date=close_date,
        probability=final.probability,
        source_campaign=rng.choice(["", "", "", "Spring webinar", "Trade fair", "Partner push"]),
        lost_reason=_pick(rng, LOST_REASONS) if final.kind == StageKind.LOST else "",
        stage_changed_at=moments[-1],
        closed_at=closed_at,
        created_at=moments[0],
        updated_at=moments[-1],
        **_owner_fields(context, owner),
    )
    return opportunity, path, moments


# --- leads ------------------------------------------------------------------------------------

# Leads come in over LEAD_HISTORY_DAYS; those older than a few weeks are mostly decided
# (converted or unqualified) with a probability that depends on what the lead says (BANT, source,
# seniority, size: LEAD_SIGNAL), so the conversion model has something real to learn.
LEAD_HISTORY_DAYS = 540
DECIDED_SHARE = 0.85  # of the leads older than DECISION_DAYS
DECISION_DAYS = (5, 60)
OPEN_STATUSES = {"open": 40, "contacted": 35, "qualified": 25}
UNQUALIFIED_REASONS = {
    "No budget": 4,
    "No need": 3,
    "Not the decision maker": 2,
    "Unreachable": 3,
    "Competitor": 1,
    "Student / private interest": 1,
    "Duplicate": 1,
}
LEAD_SOURCES = {
    LeadSource.WEB_FORM: 35,
    LeadSource.EVENT: 12,
    LeadSource.REFERRAL: 10,
    LeadSource.CAMPAIGN: 12,
    LeadSource.IMPORT: 10,
    LeadSource.MANUAL: 8,
    LeadSource.PARTNER: 6,
    LeadSource.API: 4,
    LeadSource.OTHER: 3,
}
UTM = [
    ("google", "cpc", "search-brand", "crm software"),
    ("google", "cpc", "search-generic", "best crm"),
    ("linkedin", "paid_social", "decision-makers", ""),
    ("newsletter", "email", "monthly-digest", ""),
    ("facebook", "paid_social", "retargeting", ""),
    ("capterra", "referral", "listing", ""),
    ("bing", "cpc", "search-generic", "sales pipeline tool"),
]
CAMPAIGNS = ["Spring webinar", "Trade fair", "Product launch", "Year-end offer", "Partner push"]
NEEDS = [
    "Replace spreadsheets for the sales team.",
    "Consolidate customer data from two systems.",
    "Automate follow-ups after trade fairs.",
    "Better forecasting for the board.",
    "A customer portal for support requests.",
    "Quotes and orders in one place.",
]
HORIZON_DAYS = {"now": 14, "quarter": 75, "half_year": 150, "year": 270, "later": 450}
# Log-odds of converting: a base plus one term per lead attribute ("" when not recorded).
LEAD_BASE_LOGIT = -1.2
LEAD_SIGNAL: dict[str, dict[str, float]] = {
    "authority": {"decision_maker": 1.3, "influencer": 0.2, "none": -1.2, "": -0.3},
    "need_level": {"high": 1.0, "medium": 0.1, "low": -1.0, "": 0.0},
    "timeline_horizon": {"now": 0.8, "quarter": 0.4, "half_year": 0.0, "year": -0.4,
                         "later": -0.9, "unknown": -0.3, "": 0.0},
    "source": {"referral": 1.2, "partner": 0.7, "event": 0.3, "web_form": 0.1, "campaign": 0.0,
               "manual": 0.0, "api": -0.2, "other": -0.3, "import": -1.2},
}  # fmt: skip
BUDGET_LOGIT = 1.1
SENIOR_LOGIT = 0.5
SENIOR_WORDS = ("chief", "head", "director", "vp", "president", "founder", "owner")


def build_leads(context: DemoContext) -> None:
    rng = context.rng("leads")
    total = round(context.options.contacts * LEADS_PER_CONTACT)
    by_account = _contacts_by_account(context)
    opportunities: dict[int, list[Opportunity]] = defaultdict(list)
    for opportunity in getattr(context, "opportunities", []):
        if opportunity.account_id:
            opportunities[opportunity.account_id].append(opportunity)
    taken: set[str] = set()
    leads, histories = [], []
    for _ in range(total if context.reps else 0):
        lead, history, converts = _lead(context, rng, taken)
        if converts:
            _convert(context, rng, lead, by_account, opportunities)
        leads.append(lead)
        histories.append(history)
    score_leads(context, leads)
    Lead.objects.bulk_create(leads, batch_size=context.options.batch_size)
    changes = [
        LeadStatusChange(
            lead=lead, from_status=old, to_status=new, reason=reason, actor=lead.owner, at=at
        )
        for lead, history in zip(leads, histories, strict=True)
        for old, new, reason, at in history
    ]
    LeadStatusChange.objects.bulk_create(changes, batch_size=context.options.batch_size)
    context.leads = leads  # type: ignore[attr-defined]
    context.counts["leads"] = len(leads)
    context.counts["lead status changes"] = len(changes)
    converted = sum(1 for lead in leads if lead.converted_at)
    context.log(f"  {len(leads)} leads ({converted} converted)")


def _lead(
    context: DemoContext, rng: random.Random, taken: set[str]
) -> tuple[Lead, list[tuple[str, str, str, dt.datetime]], bool]:
    """A lead, its status history and whether it converts."""
    country = _country(rng)
    first = context.pools.first_name(country, "", rng)
    last = context.pools.last_name(country, rng)
    brand = rng.choice(BRAND_STARTS) + rng.choice(BRAND_ENDS)
    company = context.faker[country.locale].company() if rng.random() < 0.5 else brand.title()
    domain = f"{domain_label(company)}.{country.tld}"
    email = f"{email_local_part(first, last, rng)}@{domain}"
    while email in taken:
        email = f"{email_local_part(first, last, rng)}{rng.randint(2, 99)}@{domain}"
    taken.add(email)
    source = _pick(rng, LEAD_SOURCES)
    created = context.now - dt.timedelta(days=rng.uniform(0, LEAD_HISTORY_DAYS))
    title = _pick(rng, TITLES)
    employees = max(1, min(100_000, int(math.exp(rng.gauss(4.2, 1.6)))))
    lead_bant = {}
    if rng.random() < 0.75:
        lead_bant = _bant_values(rng, context.now.date(), country.currency)
    status, decided, converts = _outcome(context, rng, created, source, title, employees, lead_bant)
    path = {
        "open": ["open"],
        "contacted": ["open", "contacted"],
        "qualified": ["open", "contacted", "qualified"],
        "unqualified": ["open", "contacted", "unqualified"][: rng.choice([2, 3])],
    }[status]
    if path[-1] != status:
        path.append(status)
    moments = _timeline(rng, created, decided, len(path))
    reason = _pick(rng, UNQUALIFIED_REASONS) if status == LeadStatus.UNQUALIFIED else ""
    history = [
        ("" if i == 0 else path[i - 1], path[i], reason if i == len(path) - 1 else "", moments[i])
        for i in range(len(path))
    ]
    owner = rng.choice(context.reps)
    lead = Lead(
        first_name=first,
        last_name=last,
        email=email,
        phone=phone_number(country.code, rng, mobile=rng.random() < 0.5)
        if rng.random() < 0.6
        else "",
        company=company[:200],
        title=title,
        industry=_pick(rng, INDUSTRIES),
        employees=employees,
        country=country.code,
        website=f"https://www.{domain}" if rng.random() < 0.7 else "",
        status=status,
        unqualified_reason=reason,
        status_changed_at=moments[-1],
        source=source,
        consent_email=source == LeadSource.WEB_FORM and rng.random() < 0.7,
        created_at=created,
        updated_at=moments[-1],
        **_owner_fields(context, owner),
    )
    if lead.consent_email:
        lead.consent_email_at = created
        lead.consent_text = "I agree to receive product news by e-mail."
    if source == LeadSource.WEB_FORM:
        utm_source, medium, campaign, term = rng.choice(UTM)
        lead.utm_source, lead.utm_medium, lead.utm_campaign = utm_source, medium, campaign
        lead.utm_term = term
        lead.utm_content = rng.choice(["", "hero-cta", "pricing-page", "demo-request"])
    if source in (LeadSource.CAMPAIGN, LeadSource.EVENT) or rng.random() < 0.1:
        lead.campaign_name = rng.choice(CAMPAIGNS)
    for name, value in lead_bant.items():
        setattr(lead, name, value)
    return lead, history, converts


def _outcome(
    context: DemoContext,
    rng: random.Random,
    created: dt.datetime,
    source: str,
    title: str,
    employees: int,
    bant: dict[str, Any],
) -> tuple[str, dt.datetime, bool]:
    """The lead's status, when it was reached and whether the lead converts: leads older than
    the decision period are mostly decided, converting with the probability LEAD_SIGNAL gives;
    the others are still open."""
    decided = created + dt.timedelta(days=rng.uniform(*DECISION_DAYS))
    if decided >= context.now or rng.random() > DECIDED_SHARE:
        return _pick(rng, OPEN_STATUSES), min(decided, context.now), False
    logit = LEAD_BASE_LOGIT + LEAD_SIGNAL["source"].get(source, 0.0)
    for name in ("authority", "need_level", "timeline_horizon"):
        logit += LEAD_SIGNAL[name].get(str(bant.get(name, "")), 0.0)
    logit += BUDGET_LOGIT if bant.get("budget") else 0.0
    logit += SENIOR_LOGIT if any(word in title.lower() for word in SENIOR_WORDS) else 0.0
    logit += 0.25 * (math.log(employees) - 4.2)
    converts = rng.random() < 1 / (1 + math.exp(-logit))
    return (LeadStatus.QUALIFIED if converts else LeadStatus.UNQUALIFIED), decided, converts


def _bant_values(rng: random.Random, today: dt.date, currency: str) -> dict[str, Any]:
    """Budget, authority, need and timeline as a sales rep records them."""
    values: dict[str, Any] = {}
    if rng.random() < 0.6:
        values["budget"] = Decimal(rng.randrange(5, 400) * 500)
        values["budget_currency"] = currency
    values["authority"] = _pick(
        rng, {Authority.DECISION_MAKER: 3, Authority.INFLUENCER: 5, Authority.NONE: 2}
    )
    values["need_level"] = _pick(rng, {NeedLevel.LOW: 2, NeedLevel.MEDIUM: 5, NeedLevel.HIGH: 3})
    values["need"] = rng.choice(NEEDS)
    horizon = _pick(
        rng,
        {
            TimelineHorizon.NOW: 2,
            TimelineHorizon.QUARTER: 5,
            TimelineHorizon.HALF_YEAR: 4,
            TimelineHorizon.YEAR: 2,
            TimelineHorizon.LATER: 1,
            TimelineHorizon.UNKNOWN: 2,
        },
    )
    values["timeline_horizon"] = horizon
    if horizon in HORIZON_DAYS and rng.random() < 0.5:
        values["timeline_date"] = today + dt.timedelta(days=HORIZON_DAYS[horizon])
    return values


def _convert(
    context: DemoContext,
    rng: random.Random,
    lead: Lead,
    by_account: dict[int, list[Contact]],
    opportunities: dict[int, list[Opportunity]],
) -> None:
    """A converted lead: it became a contact at an existing account (the contact's details)."""
    accounts = [account for account in context.accounts if by_account.get(account.pk)]
    if not accounts:
        return
    # An account in the lead's country where there is one, so converting does not change the
    # mix of countries (the conversion model would learn that instead of the lead's signal).
    local = [account for account in accounts if account.billing_country == lead.country]
    account = rng.choice(local or accounts)
    contact = rng.choice(by_account[account.pk])
    lead.first_name, lead.last_name = contact.first_name, contact.last_name
    lead.email = contact.email
    lead.company, lead.country = account.name[:200], account.billing_country
    lead.converted_account, lead.converted_contact = account, contact
    if opportunities.get(account.pk) and rng.random() < 0.7:
        lead.converted_opportunity = rng.choice(opportunities[account.pk])
    lead.converted_at = min(
        context.now, lead.status_changed_at + dt.timedelta(days=rng.uniform(0, 7))
    )
    lead.converted_by = lead.owner
    lead.updated_at = lead.converted_at


# --- quotes and orders ------------------------------------------------------------------------


class _Numbers:
    """Document numbers per year, continuing the counters (and skipping numbers in use)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        prefix = format_number(kind, 2000, 0).split("-")[0]
        model = Quote if kind == "quote" else Order
        self.taken = set(
            model.objects.filter(number__startswith=f"{prefix}-").values_list("number", flat=True)
        )
        self.last = dict(NumberCounter.objects.filter(kind=kind).values_list("year", "last"))

    def next(self, year: int) -> str:
        while True:
            self.last[year] = self.last.get(year, 0) + 1
            number = format_number(self.kind, year, self.last[year])
            if number not in self.taken:
                self.taken.add(number)
                return number

    def save(self) -> None:
        for year, last in self.last.items():
            counter, created = NumberCounter.objects.get_or_create(
                kind=self.kind, year=year, defaults={"last": last}
            )
            if not created and counter.last < last:
                counter.last = last
                counter.save(update_fields=["last"])


def _price(product: Product, currency: str) -> Decimal:
    if currency == product.currency:
        return product.unit_price
    return round_money(product.unit_price * EUR_PER_USD, currency)


def _basket(
    rng: random.Random, products: list[Product], size: int, favourite: str | None = None
) -> list[Product]:
    """`size` different products that go together as real baskets do: the first pick is, for a
    customer, usually from their favourite category; each further product is, two times in
    three, the first one's companion (the next product of its category) or another of its
    category, so the cross-sell model has co-purchases to find across orders and customers."""
    liked = [product for product in products if product.category == favourite]
    first = rng.choice(liked if liked and rng.random() < 0.7 else products)
    family = [product for product in products if product.category == first.category]
    companion = family[(family.index(first) + 1) % len(family)]
    chosen = [first]
    while len(chosen) < min(size, len(products)):
        roll = rng.random()
        pool = [companion] if roll < 0.4 else family if roll < 0.67 else products
        candidate = rng.choice(pool)
        if candidate not in chosen:
            chosen.append(candidate)
        elif all(product in chosen for product in family):
            pool = [product for product in products if product not in chosen]
            chosen.append(rng.choice(pool))
    return chosen


def _lines(
    rng: random.Random,
    products: list[Product],
    currency: str,
    line_model: Any,
    owner_field: str,
    favourite: str | None = None,
) -> tuple[list[Any], Any]:
    """1-4 priced lines (unsaved, without their document) and the totals."""
    chosen = _basket(rng, products, rng.randint(1, 4), favourite)
    inputs = [
        LineInput(
            quantity=Decimal(rng.choice([1, 1, 1, 2, 3, 5, 10, 25])),
            unit_price=_price(product, currency),
            discount_percent=Decimal(rng.choice([0, 0, 0, 0, 5, 10, 15, 20])),
            tax_percent=product.tax_percent,
        )
        for product in chosen
    ]
    totals = price_lines(inputs, currency)
    lines = [
        line_model(
            product=product,
            description=product.name,
            position=position,
            quantity=priced.quantity,
            unit_price=priced.unit_price,
            discount_percent=priced.discount_percent,
            tax_percent=priced.tax_percent,
            net=priced.net,
            tax=priced.tax,
        )
        for position, (product, priced) in enumerate(zip(chosen, totals.lines, strict=True))
    ]
    return lines, totals


def _save_with_lines(
    context: DemoContext, model: Any, rows: list[tuple[Any, list[Any]]], field: str
) -> int:
    model.objects.bulk_create([row for row, _ in rows], batch_size=context.options.batch_size)
    lines = []
    for row, row_lines in rows:
        for line in row_lines:
            setattr(line, field, row)
            lines.append(line)
    line_model = type(lines[0]) if lines else None
    if line_model is not None:
        line_model.objects.bulk_create(lines, batch_size=context.options.batch_size)
    return len(lines)


def build_quotes(context: DemoContext) -> None:
    rng = context.rng("quotes")
    products = [product for product in getattr(context, "products", []) if product.is_active]
    candidates = [
        opportunity
        for opportunity in getattr(context, "opportunities", [])
        if opportunity.stage.kind == StageKind.OPEN and opportunity.stage.probability >= 50
    ]
    numbers = _Numbers("quote")
    rows = []
    for opportunity in candidates if products else []:
        if rng.random() >= QUOTED_SHARE:
            continue
        created = _moment(rng, opportunity.stage_changed_at, context.now)
        lines, totals = _lines(rng, products, opportunity.currency, QuoteLine, "quote")
        status = _pick(rng, {QuoteStatus.DRAFT: 3, QuoteStatus.SENT: 6, QuoteStatus.REJECTED: 1})
        sent = _moment(rng, created, context.now) if status != QuoteStatus.DRAFT else None
        quote = Quote(
            opportunity=opportunity,
            status=status,
            currency=opportunity.currency,
            valid_until=created.date() + dt.timedelta(days=30),
            subtotal=totals.subtotal,
            tax_total=totals.tax_total,
            total=totals.total,
            sent_at=sent,
            decided_at=_moment(rng, sent, context.now) if status == QuoteStatus.REJECTED else None,
            created_at=created,
            updated_at=sent or created,
            **_owner_fields(context, opportunity.owner),
        )
        rows.append((quote, lines))
    rows.sort(key=lambda row: row[0].created_at)
    for quote, _ in rows:
        quote.number = numbers.next(quote.created_at.year)
    line_count = _save_with_lines(context, Quote, rows, "quote")
    numbers.save()
    context.counts["quotes"] = len(rows)
    context.counts["quote lines"] = line_count
    context.log(f"  {len(rows)} quotes, {line_count} lines")


ORDER_STATUSES = {
    OrderStatus.PAID: 40,
    OrderStatus.FULFILLED: 45,
    OrderStatus.PENDING: 6,
    OrderStatus.CANCELLED: 5,
    OrderStatus.REFUNDED: 4,
}


# Customers' repeat purchases follow the story of the BG/NBD model (docs/intelligence/
# clv-and-rfm.md), so lifetime value and RFM have something to learn: while active a customer
# orders at their own rate (Gamma-distributed across customers) and after each order stops
# buying for good with their own probability (Beta-distributed). Churned contacts stopped at
# least CHURNED_QUIET_DAYS ago.
ORDER_HISTORY_DAYS = 730
ORDER_RATE_SHAPE = 1.2
ORDER_RATE_MEAN_DAYS = 70.0
DROPOUT_BETA = (1.0, 4.0)
MAX_ORDERS_PER_CUSTOMER = 40
CHURNED_QUIET_DAYS = 120


def _order_moments(rng: random.Random, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """A customer's order moments between `start` and `end`: the first within 60 days of
    `start`, then Poisson arrivals at the customer's rate until they drop out."""
    rate = rng.gammavariate(ORDER_RATE_SHAPE, 1 / (ORDER_RATE_SHAPE * ORDER_RATE_MEAN_DAYS))
    dropout = rng.betavariate(*DROPOUT_BETA)
    moment = _moment(rng, start, min(end, start + dt.timedelta(days=60)))
    moments = [moment]
    while len(moments) < MAX_ORDERS_PER_CUSTOMER and rng.random() >= dropout:
        moment += dt.timedelta(days=rng.expovariate(rate))
        if moment > end:
            break
        moments.append(moment)
    return moments


def _ensure_second_currency_rate(since: dt.date) -> None:
    """Orders in the second currency need a rate to count in the base currency (CLV, RFM)."""
    if _default_currency().upper() == SECOND_CURRENCY:
        return
    if not ExchangeRate.objects.filter(currency=SECOND_CURRENCY, valid_from__lte=since).exists():
        ExchangeRate.objects.create(
            currency=SECOND_CURRENCY,
            valid_from=since,
            rate=(Decimal(1) / EUR_PER_USD).quantize(Decimal("1e-10")),
        )


def _order(
    context: DemoContext,
    rng: random.Random,
    contact: Contact,
    products: list[Product],
    currency: str,
    ordered: dt.datetime,
) -> tuple[Order, list[OrderLine]]:
    categories = sorted({product.category for product in products})
    favourite = categories[contact.pk % len(categories)]
    lines, totals = _lines(rng, products, currency, OrderLine, "order", favourite)
    status = _pick(rng, ORDER_STATUSES)
    if context.now - ordered < dt.timedelta(days=3) and rng.random() < 0.5:
        status = OrderStatus.PENDING
    order = Order(
        account_id=contact.account_id,
        contact=contact,
        ordered_at=ordered,
        status=status,
        currency=currency,
        subtotal=totals.subtotal,
        tax_total=totals.tax_total,
        total=totals.total,
        created_at=ordered,
        updated_at=_moment(rng, ordered, min(context.now, ordered + dt.timedelta(days=20))),
        **_owner_fields(context, _rep(context, rng, contact.owner_id)),
    )
    return order, lines


def build_orders(context: DemoContext) -> None:
    rng = context.rng("orders")
    products = [product for product in getattr(context, "products", []) if product.is_active]
    customers = [c for c in _contacts(context) if c.lifecycle_stage in CUSTOMER_STAGES]
    customers = customers or _contacts(context)
    numbers = _Numbers("order")
    start = context.now - dt.timedelta(days=ORDER_HISTORY_DAYS)
    _ensure_second_currency_rate(start.date())
    rows = []
    for contact in customers if products and context.reps else []:
        currency = _default_currency()
        if rng.random() < SECOND_CURRENCY_SHARE:
            currency = SECOND_CURRENCY
        first = min(max(contact.created_at, start), context.now)
        end = context.now
        if contact.lifecycle_stage == "churned":
            end = max(first, context.now - dt.timedelta(days=CHURNED_QUIET_DAYS))
        for ordered in _order_moments(rng, first, end):
            rows.append(_order(context, rng, contact, products, currency, ordered))
    rows.sort(key=lambda row: row[0].ordered_at)
    for order, _ in rows:
        order.number = numbers.next(order.ordered_at.year)
    line_count = _save_with_lines(context, Order, rows, "order")
    numbers.save()
    context.counts["orders"] = len(rows)
    context.counts["order lines"] = line_count
    context.log(f"  {len(rows)} orders, {line_count} lines")


# --- tasks ------------------------------------------------------------------------------------

TASK_TITLES = {
    "contact": ["Call {name}", "Send the brochure to {name}", "Follow up with {name}"],
    "opportunity": ["Prepare the proposal: {name}", "Schedule a demo: {name}", "Check in: {name}"],
    "lead": ["Qualify {name}", "First call with {name}", "Send pricing to {name}"],
}
TASK_STATUSES = {TaskStatus.OPEN: 40, TaskStatus.IN_PROGRESS: 12, TaskStatus.DONE: 42, "x": 6}
TASK_PRIORITIES = {
    TaskPriority.LOW: 2,
    TaskPriority.NORMAL: 6,
    TaskPriority.HIGH: 3,
    TaskPriority.URGENT: 1,
}


def build_tasks(context: DemoContext) -> None:
    rng = context.rng("tasks")
    targets: dict[str, list[Any]] = {
        "contact": _contacts(context),
        "opportunity": [
            opportunity
            for opportunity in getattr(context, "opportunities", [])
            if opportunity.stage.kind == StageKind.OPEN
        ],
        "lead": [
            lead
            for lead in getattr(context, "leads", [])
            if lead.status in (LeadStatus.OPEN, LeadStatus.CONTACTED)
        ],
    }
    kinds = [kind for kind, rows in targets.items() if rows]
    total = round(context.options.contacts * TASKS_PER_CONTACT)
    tasks = []
    for _ in range(total if kinds and context.reps else 0):
        kind = rng.choices(
            kinds, weights=[{"contact": 4, "opportunity": 4, "lead": 3}[k] for k in kinds]
        )[0]
        target = rng.choice(targets[kind])
        tasks.append(_task(context, rng, kind, target))
    Task.objects.bulk_create(tasks, batch_size=context.options.batch_size)
    context.counts["tasks"] = len(tasks)
    overdue = sum(1 for task in tasks if task.is_overdue)
    context.log(f"  {len(tasks)} tasks ({overdue} overdue)")


def _task(context: DemoContext, rng: random.Random, kind: str, target: Any) -> Task:
    now = context.now
    name = str(target) if kind != "contact" else f"{target.first_name} {target.last_name}"
    status = _pick(rng, TASK_STATUSES)
    if status == "x":
        status = TaskStatus.CANCELLED
    priority = _pick(rng, TASK_PRIORITIES)
    if status == TaskStatus.DONE:
        due = now - dt.timedelta(days=rng.uniform(0, 90))
    else:
        # A third of the open ones are overdue, the rest due in the coming weeks.
        due = now + dt.timedelta(
            days=rng.uniform(-20, -0.1) if rng.random() < 0.33 else rng.uniform(0.1, 30)
        )
    due = due.replace(minute=0, second=0, microsecond=0)
    created = due - dt.timedelta(days=rng.uniform(1, 20))
    created = min(created, now - dt.timedelta(hours=1))
    completed = None
    if status == TaskStatus.DONE:
        completed = _moment(rng, created, min(now, due + dt.timedelta(days=2)))
    owner_id = getattr(target, "owner_id", None)
    owner = _rep(context, rng, owner_id)
    task = Task(
        title=TASK_TITLES[kind][rng.randrange(3)].format(name=name)[:200],
        description="",
        due_at=due,
        priority=priority,
        status=status,
        completed_at=completed,
        remind_at=due - dt.timedelta(hours=1) if rng.random() < 0.3 else None,
        due_key=due,
        priority_rank=PRIORITY_RANK[priority],
        created_at=created,
        updated_at=completed or created,
        **_owner_fields(context, owner),
    )
    setattr(task, kind, target)
    if kind in ("contact", "opportunity") and target.account_id:
        task.account_id = target.account_id
    if task.remind_at and task.remind_at < now and status != TaskStatus.DONE:
        task.reminder_sent_at = task.remind_at
    return task
