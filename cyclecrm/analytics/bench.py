"""The `kpis` benchmark scenario: the issue-8 data set (1M contacts, 2M interactions, 200k
opportunities, 500k orders and the records every KPI reads), then the dashboards measured.

The contacts and orders come from the `intelligence` generator; everything else is written
here with a fixed seed, in batches of `BATCH` rows, spread over the two years before "now".
Sizes scale with `contacts` (see `sizes_for`), so a test can write the same shapes at 2,000.
"""

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.analytics.models import Quota, SalesCost
from cyclecrm.campaigns.models import Campaign, CampaignCost
from cyclecrm.catalog.models import Order, OrderLine, OrderStatus
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.feedback.models import Survey, SurveyResponse
from cyclecrm.identity.models import Role, Team, User
from cyclecrm.intelligence import bench as intelligence
from cyclecrm.leads.models import Lead, LeadSource, LeadStatus, LeadStatusChange
from cyclecrm.loyalty.models import LoyaltyProgram, Member, PointsEntry, Referral
from cyclecrm.mailings.models import Mailing, MailingRecipient
from cyclecrm.pipeline.currency import base_currency
from cyclecrm.pipeline.models import (
    ExchangeRate,
    Onboarding,
    Opportunity,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
)
from cyclecrm.support.models import Case, CaseChannel, CasePriority, CaseStatus

BATCH = 5000
SPAN_DAYS = 730.0
TEAMS = 8
OTHER_CURRENCY = "EUR"
# (role, users): about 50 users; one manager per team, the rest spread over the teams.
STAFF = (
    ("admin", 2),
    ("manager", TEAMS),
    ("sales_rep", 24),
    ("marketer", 6),
    ("support_agent", 10),
)
BENCH_ADMIN = "bench-admin-1"
BENCH_REP = "bench-sales_rep-1"

Report = Callable[[str], None]


def sizes_for(contacts: int) -> dict[str, int]:
    """Row counts at the issue's proportions (1M contacts -> 2M interactions ...)."""
    return {
        "contacts": contacts,
        "orders": contacts // 2,
        "interactions": contacts * 2,
        "opportunities": contacts // 5,
        "accounts": max(10, contacts // 10),
        "leads": contacts * 3 // 10,
        "cases": contacts // 10,
        "survey_responses": contacts // 20,
        "mailing_recipients": contacts // 5,
        "loyalty_members": contacts // 20,
        "referrals": contacts // 100,
    }


def generate(*, contacts: int, seed: int = 8, report: Report = print) -> dict[str, int]:
    """Insert the whole data set; returns the rows written per table."""
    sizes = sizes_for(contacts)
    if connection.vendor == "sqlite":
        # A throw-away data set: no fsync per batch (a crash means generating again anyway).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
    rng = np.random.default_rng(seed)
    now = timezone.now()
    staff = _staff()
    written = {"users": sum(len(users) for users in staff.values()), "teams": TEAMS}
    account_ids = _accounts(sizes["accounts"], _sellers(staff))
    written["accounts"] = len(account_ids)
    people = People(rng, account_ids, _sellers(staff))
    written |= _customers(rng, contacts, sizes["orders"], now, people, report)
    contact_ids = np.array(Contact.objects.order_by("pk").values_list("pk", flat=True))
    world = World(rng, now, staff, contact_ids)
    world.account_ids = account_ids
    written |= world.campaigns()
    written |= world.opportunities(sizes["opportunities"], report)
    written |= world.leads(sizes["leads"], report)
    written["interactions"] = world.interactions(sizes["interactions"], report)
    written["cases"] = world.cases(sizes["cases"], report)
    written["survey_responses"] = world.surveys(sizes["survey_responses"])
    written["mailing_recipients"] = world.mailing(sizes["mailing_recipients"], report)
    written |= world.loyalty(sizes["loyalty_members"], sizes["referrals"])
    written |= world.targets()
    return written


def _quiet(note: str) -> None:
    """Small tables: no progress lines."""


def _customers(
    rng: np.random.Generator,
    contacts: int,
    orders: int,
    now: dt.datetime,
    people: "People",
    report: Report,
) -> dict[str, int]:
    """Contacts and paid orders drawn by the `intelligence` generator's purchase model."""
    currency = base_currency()
    products = intelligence._products(rng, currency)
    start = _next_pk(Contact)
    ages = rng.uniform(0, SPAN_DAYS + 365, size=contacts)  # some were there before the span
    rows = (
        people.contact(n)
        | dict(id=start + n, created_at=now - dt.timedelta(days=float(ages[n])), updated_at=now)
        for n in range(contacts)
    )
    written = {"contacts": _insert(Contact, rows, report)}
    customers = max(1, min(contacts, round(orders / 3.4)))
    ids = start + rng.choice(contacts, size=customers, replace=False)
    plan = intelligence._purchase_plan(rng, ids, orders, now)
    first_order = _next_pk(Order)
    lines: list[Row] = []

    def order_rows() -> Iterator[Row]:
        for n, (contact_id, when) in enumerate(plan):
            total = Decimal(0)
            for position in range(int(rng.integers(1, 4))):
                product_id, price, _ = products[int(rng.integers(len(products)))]
                quantity = int(rng.integers(1, 4))
                net = Decimal(str(round(price * quantity, 2)))
                total += net
                lines.append(
                    dict(
                        order_id=first_order + n,
                        product_id=product_id,
                        position=position,
                        quantity=quantity,
                        unit_price=Decimal(str(price)),
                        net=net,
                        tax=0,
                    )
                )
            # Mostly paid, some fulfilled, a few cancelled (not purchases).
            status = OrderStatus.CANCELLED if n % 40 == 0 else OrderStatus.PAID
            yield dict(
                id=first_order + n,
                number=f"BENCH-{first_order + n}",
                contact_id=contact_id,
                ordered_at=when,
                status=status,
                currency=currency,
                subtotal=total,
                total=total,
            )

    written["orders"] = _insert(Order, order_rows(), report)
    written["order_lines"] = _insert(OrderLine, lines, report)
    written["customers"] = customers
    return written


def _staff() -> dict[str, list[User]]:
    """Teams and users with the built-in roles: {role: [user, ...]}."""
    teams = [Team.objects.create(name=f"Bench team {n + 1}") for n in range(TEAMS)]
    roles = {role.name: role for role in Role.objects.filter(is_builtin=True)}
    staff: dict[str, list[User]] = {}
    for role, count in STAFF:
        for n in range(count):
            user = User.objects.create_user(
                username=f"bench-{role}-{n + 1}",
                first_name=role.replace("_", " ").title(),
                last_name=str(n + 1),
                is_superuser=role == "admin",
            )
            user.roles.add(roles[role])
            user.teams.add(teams[n % TEAMS])
            staff.setdefault(role, []).append(user)
    for team, manager in zip(teams, staff["manager"], strict=True):
        team.manager = manager
        team.save(update_fields=["manager"])
    return staff


Row = dict[str, Any]

FIRST_NAMES = (  # noqa: SIM905 (a word list reads better as text)
    "Aaliyah Adam Aisha Alexander Alice Amelia Ana Andrea Anna Arjun Ava Ben Carlos "
    "Charlotte Chen Chloe Daniel David Diego Elena Elijah Emily Emma Ethan Fatima Felix "
    "Freya Gabriel George Grace Hannah Harper Henry Hugo Ines Isabella Jack Jacob James "
    "Jonas Julia Kai Laura Leo Liam Lucas Lucia Maria Mateo Maya Mia Mohammed Noah Nora "
    "Oliver Olivia Omar Priya Rafael Rosa Ruby Samuel Sara Sofia Sophie Thomas Wei William "
    "Yuki Zara Zoe"
).split()
LAST_NAMES = (  # noqa: SIM905 (a word list reads better as text)
    "Adams Ahmed Ali Anderson Bailey Baker Becker Bennett Brown Campbell Carter Chen "
    "Clarke Collins Cooper Costa Davies Davis Dubois Edwards Evans Fischer Garcia Gomez "
    "Green Hall Harris Hernandez Hill Hughes Jackson Jensen Johnson Jones Kim King "
    "Kowalski Lee Lewis Lopez Martin Martinez Meyer Miller Mitchell Moore Morgan Muller "
    "Murphy Nguyen Novak Nowak Oliveira Patel Perez Phillips Price Ramirez Reyes Richter "
    "Roberts Robinson Rodriguez Rossi Russo Sanchez Santos Schmidt Schneider Scott Silva "
    "Singh Smith Suzuki Tanaka Taylor Thomas Thompson Turner Walker Wang Ward Watson White "
    "Williams Wilson Wood Wright Young Zhang"
).split()
CITIES = (  # noqa: SIM905 (a word list reads better as text)
    "London Manchester Birmingham Leeds Glasgow Bristol Liverpool Edinburgh Cardiff "
    "Belfast Sheffield Nottingham Leicester Brighton Oxford Cambridge York Bath Exeter "
    "Norwich"
).split()
MAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.co.uk", "icloud.com", "proton.me")
INDUSTRIES = ("Software", "Retail", "Manufacturing", "Finance", "Health", "Education", "Media")


def _sellers(staff: dict[str, list[User]]) -> list[tuple[int, int | None]]:
    return [
        (user.pk, user.teams.values_list("pk", flat=True).first())
        for user in staff["sales_rep"] + staff["manager"]
    ]


def _accounts(count: int, sellers: list[tuple[int, int | None]]) -> list[int]:
    """Organisations with a name, a web domain, an industry, a city and an owner."""
    start = _next_pk(Account)

    def rows() -> Iterator[Row]:
        for n in range(count):
            owner, team = sellers[n % len(sellers)]
            name = f"{LAST_NAMES[n % len(LAST_NAMES)]} {INDUSTRIES[n % len(INDUSTRIES)]} {n}"
            yield dict(
                id=start + n,
                name=name,
                domain=f"acct{n}.example.com",
                website=f"https://acct{n}.example.com",
                industry=INDUSTRIES[n % len(INDUSTRIES)],
                billing_city=CITIES[n % len(CITIES)],
                billing_country="GB",
                owner_id=owner,
                team_id=team,
            )

    _insert(Account, rows(), _quiet)
    return list(range(start, start + count))


class People:
    """Realistic contact rows: names from common first and last names, a unique e-mail (the
    account's domain for its people, a free-mail domain otherwise), a UK mobile number, a city,
    an owner, and an account for four in five of them."""

    def __init__(
        self,
        rng: np.random.Generator,
        account_ids: list[int],
        sellers: list[tuple[int, int | None]],
    ) -> None:
        self.rng, self.account_ids, self.sellers = rng, account_ids, sellers

    def contact(self, n: int) -> Row:
        first = FIRST_NAMES[int(self.rng.integers(len(FIRST_NAMES)))]
        last = LAST_NAMES[int(self.rng.integers(len(LAST_NAMES)))]
        owner, team = self.sellers[n % len(self.sellers)]
        row: Row = dict(
            first_name=first,
            last_name=last,
            phone=f"+447700{n:06d}",
            city=CITIES[int(self.rng.integers(len(CITIES)))],
            country="GB",
            owner_id=owner,
            team_id=team,
        )
        if n % 5:
            slot = int(self.rng.integers(len(self.account_ids)))
            row["account_id"] = self.account_ids[slot]
            row["email"] = f"{first}.{last}.{n}@acct{slot}.example.com".lower()
        else:
            row["email"] = f"{first}.{last}.{n}@{MAIL_DOMAINS[n % len(MAIL_DOMAINS)]}".lower()
        return row


def _insert(model: type[models.Model], rows: Iterable[Row], report: Report) -> int:
    """Write `rows` (field name -> value) with executemany in transactions of BATCH rows.

    Much faster than bulk_create at this scale (no model instances): the columns a row does not
    name get their field default (callable defaults once per row), adapted once per batch.
    """
    columns: list[models.Field] | None = None
    written = 0
    batch: list[Row] = []
    for row in rows:
        if columns is None:
            columns = _columns(model, row)
        batch.append(row)
        if len(batch) == BATCH:
            written += _write(model, columns, batch)
            batch = []
            if written % (BATCH * 40) == 0:
                report(f"{model._meta.label}: {written:,}")
    if batch and columns is not None:
        written += _write(model, columns, batch)
    if columns is not None and any(field.primary_key for field in columns):
        _reset_sequence(model)
    return written


def _columns(model: type[models.Model], row: Row) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key or field.attname in row or field.name in row
    ]


def _write(model: type[models.Model], columns: list[models.Field], rows: list[Row]) -> int:
    ops = connection.ops
    quoted = ", ".join(ops.quote_name(field.column) for field in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({quoted}) VALUES ({marks})"
    fixed = {
        field.attname: field.get_db_prep_save(field.get_default(), connection)
        for field in columns
        if not callable(field.default)
    }
    params = []
    for row in rows:
        values = []
        for field in columns:
            key = field.attname if field.attname in row else field.name
            if key in row:
                values.append(_adapt(field, row[key]))
            elif field.attname in fixed:
                values.append(fixed[field.attname])
            else:
                values.append(field.get_db_prep_save(field.get_default(), connection))
        params.append(values)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(rows)


def _adapt(field: models.Field, value: Any) -> Any:
    if value is None or isinstance(value, int | str | float):
        return value
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return field.get_db_prep_save(value, connection)


def _reset_sequence(model: type[models.Model]) -> None:
    """Rows written with explicit ids: move PostgreSQL's sequence past them."""
    statements = connection.ops.sequence_reset_sql(no_style(), [model])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _next_pk(model: type[models.Model]) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1


class World:
    """The shared draws (owners, teams, contacts, campaigns) the tables are written from."""

    def __init__(
        self,
        rng: np.random.Generator,
        now: dt.datetime,
        staff: dict[str, list[User]],
        contact_ids: np.ndarray,
    ) -> None:
        self.rng, self.now, self.contact_ids = rng, now, contact_ids
        self.sellers = [
            (user.pk, user.teams.values_list("pk", flat=True).first())
            for user in staff["sales_rep"] + staff["manager"]
        ]
        self.agents = [
            (user.pk, user.teams.values_list("pk", flat=True).first())
            for user in staff["support_agent"]
        ]
        self.marketers = [
            (user.pk, user.teams.values_list("pk", flat=True).first()) for user in staff["marketer"]
        ]
        self.currency = base_currency()
        self.account_ids: list[int] = []
        self.campaign_ids: list[int] = []
        self.won: list[tuple[int, int | None, dt.datetime]] = []

    def when(self, size: int) -> np.ndarray:
        """`size` instants as days before now, uniform over the span."""
        return self.rng.uniform(0, SPAN_DAYS, size=size)

    def at(self, days_ago: float) -> dt.datetime:
        return self.now - dt.timedelta(days=float(days_ago))

    def owner(self, pool: list[tuple[int, int | None]]) -> tuple[int, int | None]:
        return pool[int(self.rng.integers(len(pool)))]

    def contact(self) -> int:
        return int(self.contact_ids[int(self.rng.integers(len(self.contact_ids)))])

    def campaigns(self) -> dict[str, int]:
        owner, team = self.marketers[0]
        types = ["email", "ads", "social", "content", "event", "webinar"]
        campaigns = []
        for n in range(24):
            start = self.at(SPAN_DAYS - n * 30).date()
            campaigns.append(
                Campaign.objects.create(
                    name=f"Bench campaign {n + 1}",
                    code=f"bench-{n + 1}",
                    type=types[n % len(types)],
                    start_date=start,
                    end_date=start + dt.timedelta(days=60),
                    budget=Decimal(20000),
                    owner_id=owner,
                    team_id=team,
                )
            )
        self.campaign_ids = [campaign.pk for campaign in campaigns]
        costs = [
            CampaignCost(
                campaign=campaign,
                date=campaign.start_date + dt.timedelta(days=7 * week),
                amount=Decimal(int(self.rng.integers(200, 3000))),
            )
            for campaign in campaigns
            for week in range(8)
        ]
        CampaignCost.objects.bulk_create(costs)
        return {"campaigns": len(campaigns), "campaign_costs": len(costs)}

    # --- sales -----------------------------------------------------------------------------

    def opportunities(self, count: int, report: Report) -> dict[str, int]:
        ExchangeRate.objects.bulk_create(
            ExchangeRate(
                currency=OTHER_CURRENCY,
                valid_from=self.at(SPAN_DAYS + 30 - month * 30).date(),
                rate=Decimal("1.05") + Decimal(month % 5) / 100,
            )
            for month in range(26)
        )
        pipelines = []
        for p, name in enumerate(("Bench new business", "Bench renewals", "Bench partners")):
            pipeline = Pipeline.objects.create(name=name, position=10 + p)
            stages = [
                Stage.objects.create(
                    pipeline=pipeline, name=label, position=i, probability=prob, kind=kind
                )
                for i, (label, prob, kind) in enumerate(
                    (
                        ("Qualify", 10, StageKind.OPEN),
                        ("Discover", 25, StageKind.OPEN),
                        ("Propose", 50, StageKind.OPEN),
                        ("Negotiate", 75, StageKind.OPEN),
                        ("Won", 100, StageKind.WON),
                        ("Lost", 0, StageKind.LOST),
                    )
                )
            ]
            pipelines.append((pipeline.pk, stages))
        start = _next_pk(Opportunity)
        changes: list[Row] = []
        rows = (self._opportunity(start + n, pipelines, changes) for n in range(count))
        written = _insert(Opportunity, rows, report)
        changed = _insert(StageChange, changes, report)
        return {"opportunities": written, "stage_changes": changed}

    def _opportunity(
        self, pk: int, pipelines: list[tuple[int, list[Stage]]], changes: list[Row]
    ) -> Row:
        rng = self.rng
        pipeline_id, stages = pipelines[int(rng.choice(3, p=[0.7, 0.2, 0.1]))]
        owner, team = self.owner(self.sellers)
        age = float(rng.uniform(0, SPAN_DAYS))
        created = self.at(age)
        steps = int(rng.integers(1, 5))  # open stages passed through
        dwell = rng.gamma(2.0, 6.0, size=4)
        closes = age > 45 and rng.random() < 0.75
        path = stages[:steps]
        if closes:
            path = [*path, stages[4] if rng.random() < 0.3 else stages[5]]
        moment = created
        for previous, stage in itertools.pairwise(path):
            moment = min(self.now, moment + dt.timedelta(days=float(dwell[previous.position])))
            changes.append(
                dict(
                    opportunity_id=pk,
                    from_stage_id=previous.pk,
                    to_stage_id=stage.pk,
                    actor_id=owner,
                    at=moment,
                )
            )
        changes.append(dict(opportunity_id=pk, to_stage_id=path[0].pk, actor_id=owner, at=created))
        stage = path[-1]
        closed_at = moment if closes else None
        if stage.kind == StageKind.WON:
            self.won.append((pk, self.contact(), moment))
        currency = OTHER_CURRENCY if rng.random() < 0.2 else self.currency
        campaign = self.campaign_ids[int(rng.integers(len(self.campaign_ids)))]
        return dict(
            id=pk,
            name=f"Bench deal {pk}",
            account_id=self.account_ids[pk % len(self.account_ids)],
            pipeline_id=pipeline_id,
            stage_id=stage.pk,
            amount=Decimal(int(rng.lognormal(9.0, 0.9))),
            currency=currency,
            probability=stage.probability,
            expected_close_date=(created + dt.timedelta(days=60)).date(),
            campaign_id=campaign if rng.random() < 0.4 else None,
            stage_changed_at=moment,
            closed_at=closed_at,
            lost_reason="Price" if stage.kind == StageKind.LOST else "",
            created_at=created,
            updated_at=moment,
            owner_id=owner,
            team_id=team,
        )

    def leads(self, count: int, report: Report) -> dict[str, int]:
        """Leads with MQL dates and status history; converted ones point at won deals."""
        rng = self.rng
        sources = [s for s, _ in LeadSource.choices]
        start = _next_pk(Lead)
        won = iter(self.won)
        changes: list[Row] = []
        rows = []
        for n in range(count):
            pk = start + n
            age = float(rng.uniform(0, SPAN_DAYS))
            created = self.at(age)
            owner, team = self.owner(self.sellers)
            mql = (
                created + dt.timedelta(days=float(rng.gamma(2, 3))) if rng.random() < 0.5 else None
            )
            status, converted, opportunity, contact = LeadStatus.OPEN, None, None, None
            if mql and mql < self.now and rng.random() < 0.5:
                status = LeadStatus.QUALIFIED
                converted = min(self.now, mql + dt.timedelta(days=float(rng.gamma(2, 5))))
                deal = next(won, None)
                opportunity, contact = (deal[0], deal[1]) if deal else (None, None)
            elif age > 60 and rng.random() < 0.6:
                status = LeadStatus.UNQUALIFIED
            changed = converted or (
                created + dt.timedelta(days=30) if status != "open" else created
            )
            changed = min(self.now, changed)
            changes.append(dict(lead_id=pk, to_status="open", actor_id=owner, at=created))
            if status != LeadStatus.OPEN:
                changes.append(
                    dict(
                        lead_id=pk, from_status="open", to_status=status, actor_id=owner, at=changed
                    )
                )
            campaign = self.campaign_ids[int(rng.integers(len(self.campaign_ids)))]
            rows.append(
                dict(
                    id=pk,
                    last_name=f"Bench lead {n}",
                    company=f"Bench {n % 5000}",
                    country="GB",
                    source=sources[int(rng.integers(len(sources)))],
                    source_campaign_id=campaign if rng.random() < 0.5 else None,
                    status=status,
                    status_changed_at=changed,
                    mql_at=min(mql, self.now) if mql else None,
                    converted_at=converted,
                    converted_opportunity_id=opportunity,
                    converted_contact_id=contact,
                    score=int(rng.integers(0, 100)),
                    created_at=created,
                    updated_at=changed,
                    owner_id=owner,
                    team_id=team,
                )
            )
        written = _insert(Lead, rows, report)
        return {"leads": written, "lead_status_changes": _insert(LeadStatusChange, changes, report)}

    # --- engagement and service --------------------------------------------------------------

    def interactions(self, count: int, report: Report) -> int:
        rng = self.rng
        channels = [c for c, _ in Channel.choices]
        weights = np.array([0.45, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05])[: len(channels)]
        weights = weights / weights.sum()
        picks = rng.choice(len(channels), size=count, p=weights)
        ages = self.when(count)
        inbound = rng.random(count) < 0.4
        contacts = self.contact_ids[rng.integers(len(self.contact_ids), size=count)]
        owners = rng.integers(len(self.sellers), size=count)

        def rows() -> Iterator[Row]:
            for n in range(count):
                owner, team = self.sellers[int(owners[n])]
                occurred = self.at(ages[n])
                yield dict(
                    channel=channels[int(picks[n])],
                    direction=Direction.INBOUND if inbound[n] else Direction.OUTBOUND,
                    subject=f"Bench touch {n}",
                    occurred_at=occurred,
                    contact_id=int(contacts[n]),
                    created_at=occurred,
                    updated_at=occurred,
                    owner_id=owner,
                    team_id=team,
                )

        return _insert(Interaction, rows(), report)

    def cases(self, count: int, report: Report) -> int:
        rng = self.rng
        channels = [c for c, _ in CaseChannel.choices]
        priorities = [p for p, _ in CasePriority.choices]
        targets = {
            "low": (480, 4320),
            "normal": (240, 2880),
            "high": (60, 1440),
            "urgent": (30, 480),
        }
        start = _next_pk(Case)

        def rows() -> Iterator[Row]:
            for n in range(count):
                owner, team = self.owner(self.agents)
                age = float(rng.uniform(0, SPAN_DAYS))
                opened = self.at(age)
                priority = priorities[int(rng.choice(4, p=[0.3, 0.45, 0.2, 0.05]))]
                respond_in, resolve_in = targets[priority]
                responded = opened + dt.timedelta(minutes=float(rng.gamma(1.5, respond_in / 2)))
                resolved = opened + dt.timedelta(minutes=float(rng.gamma(1.5, resolve_in / 2)))
                done = resolved < self.now and rng.random() < 0.95
                yield dict(
                    id=start + n,
                    number=f"BENCH-{start + n}",
                    subject=f"Bench case {n}",
                    contact_id=self.contact(),
                    channel=channels[int(rng.integers(len(channels)))],
                    priority=priority,
                    status=CaseStatus.CLOSED if done else CaseStatus.OPEN,
                    status_changed_at=resolved if done else opened,
                    first_responded_at=responded if responded < self.now else None,
                    resolved_at=resolved if done else None,
                    closed_at=resolved if done else None,
                    first_response_due=opened + dt.timedelta(minutes=respond_in),
                    resolution_due=opened + dt.timedelta(minutes=resolve_in),
                    first_response_breached_at=(
                        opened + dt.timedelta(minutes=respond_in)
                        if responded > opened + dt.timedelta(minutes=respond_in)
                        else None
                    ),
                    resolution_breached_at=(
                        opened + dt.timedelta(minutes=resolve_in)
                        if resolved > opened + dt.timedelta(minutes=resolve_in)
                        else None
                    ),
                    created_at=opened,
                    updated_at=resolved if done else opened,
                    owner_id=owner,
                    team_id=team,
                )

        return _insert(Case, rows(), report)

    def surveys(self, count: int) -> int:
        owner, team = self.agents[0]
        nps = Survey.objects.create(
            name="Bench NPS",
            kind="nps",
            question="How likely are you to recommend us?",
            email_subject="Bench NPS",
            owner_id=owner,
            team_id=team,
        )
        csat = Survey.objects.create(
            name="Bench CSAT",
            kind="csat",
            question="How satisfied were you?",
            email_subject="Bench CSAT",
            owner_id=owner,
            team_id=team,
        )
        rng = self.rng

        def rows() -> Iterator[Row]:
            for n in range(count):
                answered = self.at(rng.uniform(0, SPAN_DAYS))
                if n % 2:
                    score = int(rng.choice(11, p=_NPS_SHAPE))
                    category = (
                        "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
                    )
                    survey = nps
                else:
                    score = int(rng.choice([1, 2, 3, 4, 5], p=[0.05, 0.07, 0.13, 0.35, 0.4]))
                    category = (
                        "satisfied" if score >= 4 else "neutral" if score == 3 else "unsatisfied"
                    )
                    survey = csat
                yield dict(
                    survey_id=survey.pk,
                    contact_id=self.contact(),
                    score=score,
                    category=category,
                    answered_at=answered,
                )

        return _insert(SurveyResponse, rows(), _quiet)

    # --- marketing and retention -------------------------------------------------------------

    def mailing(self, count: int, report: Report) -> int:
        owner, team = self.marketers[0]
        sent = self.at(20)
        mailing = Mailing.objects.create(
            name="Bench newsletter",
            subject="Bench news",
            campaign_id=self.campaign_ids[-1],
            status="sent",
            started_at=sent,
            finished_at=sent + dt.timedelta(hours=6),
            owner_id=owner,
            team_id=team,
        )
        rng = self.rng
        picks = rng.choice(self.contact_ids, size=min(count, len(self.contact_ids)), replace=False)

        def rows() -> Iterator[Row]:
            for n, contact in enumerate(picks):
                at = sent + dt.timedelta(minutes=float(rng.uniform(0, 360)))
                bounced = rng.random() < 0.02
                opened = not bounced and rng.random() < 0.25
                clicked = opened and rng.random() < 0.2
                yield dict(
                    mailing_id=mailing.pk,
                    contact_id=int(contact),
                    email=f"bench{contact}@example.invalid",
                    token=f"bench{n:026d}",
                    state="bounced" if bounced else "sent",
                    sent_at=at,
                    first_opened_at=at + dt.timedelta(hours=2) if opened else None,
                    first_clicked_at=at + dt.timedelta(hours=3) if clicked else None,
                    open_count=int(opened),
                    click_count=int(clicked),
                    unsubscribed_at=at + dt.timedelta(hours=4) if rng.random() < 0.003 else None,
                    bounced_at=at if bounced else None,
                    bounce_kind="hard" if bounced else "",
                )

        return _insert(MailingRecipient, rows(), report)

    def loyalty(self, members: int, referrals: int) -> dict[str, int]:
        owner, team = self.marketers[0]
        program = LoyaltyProgram.objects.create(
            name="Bench rewards", currency=self.currency, owner_id=owner, team_id=team
        )
        rng = self.rng
        picks = rng.choice(
            self.contact_ids, size=min(members, len(self.contact_ids)), replace=False
        )
        start = _next_pk(Member)
        entries: list[Row] = []
        rows = []
        for n, contact in enumerate(picks):
            joined = self.at(rng.uniform(30, SPAN_DAYS))
            balance = 0
            for _ in range(int(rng.integers(1, 5))):
                earned = int(rng.integers(50, 500))
                balance += earned
                entries.append(self._entry(start + n, "earn", earned, balance, joined))
            if rng.random() < 0.3:
                spent = -min(balance, 200)
                balance += spent
                entries.append(self._entry(start + n, "redeem", spent, balance, joined))
            rows.append(
                dict(
                    id=start + n,
                    program_id=program.pk,
                    contact_id=int(contact),
                    joined_at=joined,
                    balance=balance,
                )
            )
        written = {"loyalty_members": _insert(Member, rows, _quiet)}
        written["points_entries"] = _insert(PointsEntry, entries, _quiet)
        referred = rng.choice(
            self.contact_ids, size=min(referrals, len(self.contact_ids)), replace=False
        )

        def referral_rows() -> Iterator[Row]:
            for n in range(len(referred)):
                created = self.at(rng.uniform(0, SPAN_DAYS))
                converted = rng.random() < 0.3
                yield dict(
                    program_id=program.pk,
                    referrer_id=int(picks[n % len(picks)]),
                    contact_id=int(referred[n]) if converted else None,
                    source="form",
                    status="converted" if converted else "pending",
                    created_at=created,
                    converted_at=created + dt.timedelta(days=10) if converted else None,
                )

        written["referrals"] = _insert(Referral, referral_rows(), _quiet)
        return written

    def _entry(self, member: int, kind: str, points: int, balance: int, joined: dt.datetime) -> Row:
        at = min(self.now, joined + dt.timedelta(days=float(self.rng.uniform(0, 300))))
        return dict(
            member_id=member,
            kind=kind,
            points=points,
            reason=f"Bench {kind}",
            balance_after=balance,
            created_at=at,
            expires_at=at + dt.timedelta(days=365) if kind == "earn" else None,
        )

    def targets(self) -> dict[str, int]:
        """Quotas per seller and quarter, onboardings for won deals, monthly sales costs."""
        quarters = [(self.now.date().replace(day=1) - dt.timedelta(days=92 * q)) for q in range(8)]
        quotas = [
            Quota(
                user_id=owner,
                period_start=start.replace(day=1),
                period_end=start.replace(day=1) + dt.timedelta(days=89),
                amount=Decimal(250000),
            )
            for owner, _ in self.sellers
            for start in quarters
        ]
        Quota.objects.bulk_create(quotas)
        costs = [
            SalesCost(
                date=self.at(month * 30.4).date(),
                amount=Decimal(int(self.rng.integers(40000, 90000))),
                team_id=team,
            )
            for month in range(24)
            for team in {team for _, team in self.sellers}
        ]
        SalesCost.objects.bulk_create(costs)
        onboardings = (
            dict(
                account_id=self.account_ids[pk % len(self.account_ids)],
                opportunity_id=pk,
                started_at=won_at,
                completed_at=(
                    won_at + dt.timedelta(days=21)
                    if won_at + dt.timedelta(days=21) < self.now and self.rng.random() < 0.8
                    else None
                ),
            )
            for pk, _, won_at in self.won[::4]
        )
        return {
            "quotas": len(quotas),
            "sales_costs": len(costs),
            "onboardings": _insert(Onboarding, onboardings, _quiet),
        }


_NPS_SHAPE = np.array([2, 1, 1, 2, 2, 4, 6, 12, 18, 26, 26], dtype=float) / 100
