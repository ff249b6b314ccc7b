"""Lead conversion: new records, matching existing accounts (domain, name) and contacts
(e-mail), lifecycle stages, refusals, visibility, and all-or-nothing on failure."""

from decimal import Decimal

import pytest

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.leads.models import Lead
from cyclecrm.leads.services import lead_convert
from cyclecrm.leads.tests.factories import make_lead
from cyclecrm.pipeline import services as pipeline_services
from cyclecrm.pipeline.models import Opportunity


@pytest.fixture
def lead(rep_a) -> Lead:
    return make_lead(
        owner=rep_a,
        status="qualified",
        first_name="Ada",
        last_name="Byron",
        email="ada@analytical.example",
        phone="+442071234567",
        company="Analytical Engines",
        website="https://www.analytical.example/about",
        title="CTO",
        country="GB",
        budget=Decimal("12500.00"),
        budget_currency="GBP",
        campaign_name="Spring webinar",
        consent_email=True,
    )


def _state() -> tuple:
    return (
        Account.objects.count(),
        Contact.objects.count(),
        Opportunity.objects.count(),
        HistoryEntry.objects.count(),
    )


def test_conversion_creates_account_contact_and_opportunity(rep_a, lead):
    result = lead_convert(actor=rep_a, lead=lead, create_opportunity=True)

    account, contact, opportunity = result.account, result.contact, result.opportunity
    assert (account.name, account.domain, account.owner) == (
        "Analytical Engines",
        "analytical.example",
        rep_a,
    )
    assert (contact.first_name, contact.last_name, contact.email) == (
        "Ada",
        "Byron",
        "ada@analytical.example",
    )
    assert (contact.account, contact.lifecycle_stage, contact.consent_email) == (
        account,
        "opportunity",
        True,
    )
    assert contact.consent_email_source == f"lead #{lead.pk}"
    assert opportunity.name == "Analytical Engines deal"
    assert (opportunity.amount, opportunity.currency) == (Decimal("12500.00"), "GBP")
    assert (opportunity.account, opportunity.contact) == (account, contact)
    assert opportunity.source_campaign == "Spring webinar"
    lead.refresh_from_db()
    assert lead.converted_at is not None and lead.converted_by == rep_a
    assert (lead.converted_account, lead.converted_contact, lead.converted_opportunity) == (
        account,
        contact,
        opportunity,
    )
    for record_type, pk in (
        ("account", account.pk),
        ("contact", contact.pk),
        ("opportunity", opportunity.pk),
        ("lead", lead.pk),
    ):
        assert HistoryEntry.objects.filter(record_type=record_type, object_id=pk).exists()


def test_without_an_opportunity_the_contact_is_sales_qualified(rep_a, lead):
    result = lead_convert(
        actor=rep_a, lead=lead, create_opportunity=False, opportunity_name="ignored"
    )

    assert result.opportunity is None
    assert result.contact.lifecycle_stage == "sql"
    assert not Opportunity.objects.exists()


def test_name_and_amount_can_be_given(rep_a, lead):
    result = lead_convert(
        actor=rep_a, lead=lead, create_opportunity=True, opportunity_name="Big one", amount="99.995"
    )

    assert (result.opportunity.name, result.opportunity.amount) == ("Big one", Decimal("100.00"))


def test_an_existing_account_matches_by_website_domain(rep_a, lead):
    same_domain = make_account(owner=rep_a, name="AE Ltd", domain="analytical.example")
    make_account(owner=rep_a, name="Analytical Engines")  # name match comes second

    result = lead_convert(actor=rep_a, lead=lead, create_opportunity=False)

    assert result.account == same_domain
    assert Account.objects.count() == 2


def test_an_existing_account_matches_by_company_name(rep_a, lead):
    same_name = make_account(owner=rep_a, name="ANALYTICAL engines")

    result = lead_convert(actor=rep_a, lead=lead, create_opportunity=False)

    assert result.account == same_name
    assert result.contact.account == same_name


def test_accounts_the_actor_cannot_see_are_not_matched(rep_a, rep_b, lead):
    hidden = make_account(owner=rep_b, name="Analytical Engines", domain="analytical.example")

    result = lead_convert(actor=rep_a, lead=lead, create_opportunity=False)

    assert result.account != hidden
    assert Account.objects.count() == 2


def test_an_existing_contact_matches_by_email_and_moves_forward(rep_a, lead):
    account = make_account(owner=rep_a, name="Analytical Engines")
    existing = make_contact(owner=rep_a, email="ada@analytical.example", lifecycle_stage="mql")

    result = lead_convert(actor=rep_a, lead=lead, create_opportunity=True)

    existing.refresh_from_db()
    assert result.contact == existing
    assert (existing.lifecycle_stage, existing.account) == ("opportunity", account)
    assert Contact.objects.count() == 1


@pytest.mark.parametrize("stage", ["customer", "evangelist"])
def test_a_customer_is_never_moved_backwards(rep_a, lead, stage):
    existing = make_contact(owner=rep_a, email="ada@analytical.example", lifecycle_stage=stage)

    lead_convert(actor=rep_a, lead=lead, create_opportunity=True)

    existing.refresh_from_db()
    assert existing.lifecycle_stage == stage


def test_given_account_and_contact_are_used(rep_a, lead):
    account = make_account(owner=rep_a, name="Other")
    contact = make_contact(owner=rep_a, email="someone@else.example")

    result = lead_convert(
        actor=rep_a,
        lead=lead,
        create_opportunity=False,
        account_id=account.pk,
        contact_id=contact.pk,
    )

    assert (result.account, result.contact) == (account, contact)


def test_given_records_must_be_visible(rep_a, rep_b, lead):
    account = make_account(owner=rep_b)
    contact = make_contact(owner=rep_b)
    before = _state()

    with pytest.raises(ValidationFailed) as caught:
        lead_convert(
            actor=rep_a,
            lead=lead,
            create_opportunity=True,
            account_id=account.pk,
            contact_id=contact.pk,
            amount="-1",
        )

    assert set(caught.value.fields) == {"account_id", "contact_id", "amount"}
    assert _state() == before


def test_a_failure_midway_leaves_nothing_behind(rep_a, lead, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("pipeline is down")

    monkeypatch.setattr(pipeline_services, "opportunity_create", broken)
    before = _state()

    with pytest.raises(RuntimeError):
        lead_convert(actor=rep_a, lead=lead, create_opportunity=True)

    assert _state() == before
    lead.refresh_from_db()
    assert lead.converted_at is None and lead.version == 1


def test_a_failure_after_matching_an_existing_contact_undoes_its_update(rep_a, lead, monkeypatch):
    existing = make_contact(owner=rep_a, email="ada@analytical.example", lifecycle_stage="lead")
    monkeypatch.setattr(
        pipeline_services, "opportunity_create", lambda **kw: (_ for _ in ()).throw(ValueError())
    )

    with pytest.raises(ValueError):
        lead_convert(actor=rep_a, lead=lead, create_opportunity=True)

    existing.refresh_from_db()
    assert (existing.lifecycle_stage, existing.version) == ("lead", 1)


@pytest.mark.parametrize("status", ["open", "contacted", "unqualified"])
def test_only_qualified_leads_convert(rep_a, lead, status):
    Lead.objects.filter(pk=lead.pk).update(status=status)
    lead.refresh_from_db()

    with pytest.raises(Conflict) as caught:
        lead_convert(actor=rep_a, lead=lead, create_opportunity=True)

    assert caught.value.code == "lead_not_qualified"
    assert not Account.objects.exists()


def test_a_converted_lead_cannot_convert_again(rep_a, lead):
    lead_convert(actor=rep_a, lead=lead, create_opportunity=False)
    lead.refresh_from_db()
    before = _state()

    with pytest.raises(Conflict) as caught:
        lead_convert(actor=rep_a, lead=lead, create_opportunity=True)

    assert caught.value.code == "lead_already_converted"
    assert _state() == before


def test_others_cannot_convert(rep_b, marketer, lead):
    with pytest.raises(NotFound):
        lead_convert(actor=rep_b, lead=lead, create_opportunity=True)
    with pytest.raises(Forbidden):  # marketers read every lead but edit only their own
        lead_convert(actor=marketer, lead=lead, create_opportunity=True)
    assert not Account.objects.exists()


def test_a_manager_converts_for_the_team_and_records_go_to_the_lead_owner(manager, rep_a, lead):
    result = lead_convert(actor=manager, lead=lead, create_opportunity=True)

    assert result.account.owner == rep_a
    assert result.contact.owner == rep_a
    assert result.opportunity.owner == rep_a
