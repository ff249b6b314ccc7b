"""Migration presets: every preset maps to fields its target has, the full-name rule, and a
sample export of each vendor (headers as the vendor writes them) imports into the right fields,
linking deals to the companies and people of the same export."""

import datetime as dt
from decimal import Decimal

import pytest

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.dataquality.imports.presets import PRESETS, split_full_name
from cyclecrm.dataquality.imports.selectors import import_fields, preset_list
from cyclecrm.dataquality.tests.import_targets_support import counts, problem, run_file
from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage, StageChange


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.mark.django_db
@pytest.mark.parametrize("preset", PRESETS, ids=lambda preset: preset.key)
def test_preset_maps_to_fields_of_its_target(preset):
    fields = {column.field for column in import_fields(preset.record_type)}

    assert set(preset.mapping.values()) <= fields
    assert "external_id" in preset.mapping.values()
    assert preset in preset_list(preset.record_type)


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("Ada Lovelace", ("Ada", "Lovelace")),
        ("  Clara   Josephine Schumann ", ("Clara Josephine", "Schumann")),
        ("Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
        ("Maria de la Cruz", ("Maria", "de la Cruz")),
        ("Martin Luther King Jr.", ("Martin Luther", "King Jr.")),
        ("Lovelace, Ada", ("Ada", "Lovelace")),
        ("Cher", ("", "Cher")),
        ("", ("", "")),
    ],
)
def test_full_name_split_rule(full, expected):
    assert split_full_name(full) == expected


def test_hubspot_exports(admin):
    sales = Pipeline.objects.create(name="Sales Pipeline", is_default=True)
    for position, (name, kind) in enumerate(
        [("Appointment Scheduled", "open"), ("Closed Won", "won"), ("Closed Lost", "lost")]
    ):
        Stage.objects.create(
            pipeline=sales, name=name, position=position, kind=kind, probability=20
        )

    companies = run_file(admin, "account", "hubspot-companies.csv", preset="hubspot-companies")
    contacts = run_file(admin, "contact", "hubspot-contacts.csv", preset="hubspot-contacts")
    deals = run_file(admin, "opportunity", "hubspot-deals.csv", preset="hubspot-deals")

    assert counts(companies)["created"] == 2 and counts(contacts)["created"] == 2
    acme = Account.objects.get(external_id="9001")
    assert (acme.name, acme.domain, acme.employees) == ("Acme Corp", "acme.example", 250)
    assert (acme.annual_revenue, acme.billing_country) == (Decimal("12000000"), "US")
    maria = Contact.objects.get(external_id="51")
    assert (maria.first_name, maria.email, maria.phone) == (
        "Maria",
        "maria.garcia@acme.example",
        "+14155550100",
    )
    assert (maria.account, maria.region, maria.country) == (acme, "CA", "US")
    assert counts(deals) == {"created": 2, "updated": 0, "skipped": 0, "rejected": 1}
    renewal = Opportunity.objects.get(external_id="7001")
    assert (renewal.account, renewal.contact, renewal.amount) == (acme, maria, Decimal("25000"))
    assert renewal.stage.name == "Appointment Scheduled" and renewal.closed_at is None
    assert renewal.expected_close_date == dt.date(2024, 9, 30)
    pilot = Opportunity.objects.get(external_id="7002")
    assert pilot.stage.name == "Closed Won" and pilot.account.name == "Globex"
    assert pilot.closed_at.date() == dt.date(2024, 4, 15)
    assert problem(deals, 4)["column"] == "lost_reason"
    assert StageChange.objects.filter(opportunity__in=[renewal, pilot]).count() == 2


def test_salesforce_exports(admin):
    accounts = run_file(admin, "account", "salesforce-accounts.csv", preset="salesforce-accounts")
    contacts = run_file(admin, "contact", "salesforce-contacts.csv", preset="salesforce-contacts")
    opportunities = run_file(
        admin, "opportunity", "salesforce-opportunities.csv", preset="salesforce-opportunities"
    )

    assert counts(accounts)["created"] == 2
    edge = Account.objects.get(external_id="0015g00000XyZaBAAV")
    assert (edge.billing_city, edge.billing_region, edge.billing_postal_code) == (
        "Austin",
        "TX",
        "78767",
    )
    assert counts(contacts)["created"] == 2
    rose = Contact.objects.get(external_id="0035g00000AbCdEAAV")
    assert (rose.account, rose.birth_date, rose.mobile) == (
        edge,
        dt.date(1972, 4, 3),
        "+15127579340",
    )
    assert rose.title == "SVP, Procurement" and rose.street == "313 Constitution Place"
    assert counts(opportunities) == {"created": 2, "updated": 0, "skipped": 0, "rejected": 1}
    generator = Opportunity.objects.get(external_id="0065g00000QwErTAAV")
    assert (generator.account, generator.amount) == (edge, Decimal("75000"))
    assert (generator.stage.name, generator.probability) == ("Proposal", Decimal(50))
    won = Opportunity.objects.get(external_id="0065g00000QwErUAAV")
    assert won.stage.kind == "won" and won.account.name.startswith("Burlington")
    assert won.expected_close_date == dt.date(2024, 1, 15)
    assert problem(opportunities, 4)["column"] == "Stage"
    assert problem(opportunities, 4)["value"] == "Id. Decision Makers"


def test_pipedrive_exports_and_reimport_updates(admin):
    organizations = run_file(
        admin, "account", "pipedrive-organizations.csv", preset="pipedrive-organizations"
    )
    persons = run_file(admin, "contact", "pipedrive-persons.csv", preset="pipedrive-persons")
    deals = run_file(admin, "opportunity", "pipedrive-deals.csv", preset="pipedrive-deals")
    again = run_file(admin, "opportunity", "pipedrive-deals.csv", preset="pipedrive-deals")

    assert counts(organizations)["created"] == 2
    wien = Account.objects.get(external_id="401")
    assert (wien.billing_city, wien.billing_postal_code, wien.billing_country) == (
        "Wien",
        "1010",
        "AT",
    )
    assert counts(persons)["created"] == 2
    ludwig = Contact.objects.get(external_id="301")
    assert (ludwig.first_name, ludwig.last_name, ludwig.account) == (
        "Ludwig",
        "van Beethoven",
        wien,
    )
    assert counts(deals) == {"created": 2, "updated": 0, "skipped": 0, "rejected": 0}
    licensing = Opportunity.objects.get(external_id="501")
    assert (licensing.account, licensing.contact) == (wien, ludwig)
    assert (licensing.amount, licensing.currency) == (Decimal("12000"), "EUR")
    assert licensing.stage.name == "Negotiation" and licensing.pipeline.name == "Sales"
    print_run = Opportunity.objects.get(external_id="502")
    assert print_run.account.name == "Leipziger Verlag AG" and print_run.contact is None
    assert counts(again) == {"created": 0, "updated": 0, "skipped": 2, "rejected": 0}
    assert Opportunity.objects.count() == 2
