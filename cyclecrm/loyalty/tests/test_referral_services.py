"""Referral codes, attribution from the API and public forms, self-referral refusal, conversion
and the referrer's reward."""

from decimal import Decimal

import pytest

from cyclecrm.activities.models import Interaction
from cyclecrm.catalog.models import Order
from cyclecrm.catalog.services.orders import order_set_status
from cyclecrm.contacts.services import contact_create
from cyclecrm.core.errors import Forbidden, NotFound, ValidationFailed
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.leads.models import Lead, LeadStatus
from cyclecrm.leads.services import lead_change_status, lead_convert, lead_create
from cyclecrm.loyalty.ledger import balance_from_ledger
from cyclecrm.loyalty.models import (
    EarningAction,
    EarningRule,
    LoyaltyProgram,
    Member,
    Referral,
    ReferralCode,
    ReferralRewardKind,
    ReferralStatus,
)
from cyclecrm.loyalty.referrals import (
    ALPHABET,
    CODE_LENGTH,
    SAME_EMAIL,
    SAME_PERSON,
    UNKNOWN_CODE,
    referral_code_create,
    referral_link,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program() -> LoyaltyProgram:
    program = LoyaltyProgram.objects.create(name="Cycle Rewards", currency="EUR")
    EarningRule.objects.create(
        program=program, name="Referral", action=EarningAction.REFERRAL_CONVERTED, points=500
    )
    return program


@pytest.fixture
def referrer(admin):
    return make_contact(admin, first_name="Rita", last_name="Ref", email="rita@acme.example")


@pytest.fixture
def code(admin, referrer):
    return referral_code_create(actor=admin, contact=referrer)


def _qualified_lead(admin, code, email: str = "nina@newco.example") -> Lead:
    lead = lead_create(
        actor=admin, data={"last_name": "New", "email": email, "referral_code": code.code}
    )
    lead_change_status(actor=admin, lead=lead, status=LeadStatus.QUALIFIED, version=lead.version)
    lead.refresh_from_db()
    return lead


def _paid_order(admin, contact, number: str = "SO-R1") -> Order:
    order = Order.objects.create(
        number=number, contact=contact, total=Decimal("80.00"), currency="EUR"
    )
    return order_set_status(actor=admin, order=order, status="paid")


def test_a_code_is_short_unambiguous_and_stable(admin, referrer):
    code = referral_code_create(actor=admin, contact=referrer)
    assert len(code.code) == CODE_LENGTH and set(code.code) <= set(ALPHABET)
    assert referral_code_create(actor=admin, contact=referrer) == code
    assert referral_link(code).endswith(f"/?ref={code.code}")


def test_creating_a_code_needs_edit_rights_on_the_contact(admin, rep_a, rep_b):
    contact = make_contact(rep_b)
    with pytest.raises((Forbidden, NotFound)):
        referral_code_create(actor=rep_a, contact=contact)
    assert not ReferralCode.objects.exists()


def test_a_lead_with_a_code_is_attributed_in_its_transaction(admin, program, code):
    lead = lead_create(actor=admin, data={"last_name": "Neu", "referral_code": code.code.lower()})
    referral = Referral.objects.get(lead=lead)
    assert lead.referral_code == code.code
    assert (referral.referrer, referral.source, referral.status) == (code.contact, "api", "pending")
    assert referral.program == program


def test_an_unknown_code_on_the_api_is_a_422_and_nothing_is_created(admin):
    with pytest.raises(ValidationFailed) as refused:
        lead_create(actor=admin, data={"last_name": "Neu", "referral_code": "NOPE2345"})
    assert refused.value.fields == {"referral_code": [UNKNOWN_CODE]}
    assert not Lead.objects.exists()


def test_the_referrers_own_email_is_refused_with_a_reason(admin, code, referrer):
    data = {"last_name": "Me", "email": "RITA@acme.example", "referral_code": code.code}
    lead = lead_create(actor=admin, data=data)
    assert Referral.objects.get(lead=lead).refusal_reason == SAME_EMAIL
    assert Referral.objects.get(lead=lead).status == ReferralStatus.REFUSED


def test_same_company_domain_is_refused_only_when_configured(admin, program, code):
    colleague = {"last_name": "Col", "email": "bob@acme.example", "referral_code": code.code}
    first = lead_create(actor=admin, data=colleague)
    assert Referral.objects.get(lead=first).status == ReferralStatus.PENDING
    program.referral_refuse_same_domain = True
    program.save()
    second = lead_create(actor=admin, data={**colleague, "email": "eve@acme.example"})
    assert "acme.example" in Referral.objects.get(lead=second).refusal_reason


def test_free_mail_domains_never_count_as_a_company(admin, program):
    program.referral_refuse_same_domain = True
    program.save()
    friend = make_contact(admin, last_name="Friend", email="friend@gmail.com")
    code = referral_code_create(actor=admin, contact=friend)
    lead = lead_create(
        actor=admin, data={"last_name": "Pal", "email": "pal@gmail.com", "referral_code": code.code}
    )
    assert Referral.objects.get(lead=lead).status == ReferralStatus.PENDING


def test_lead_conversion_converts_once_and_awards_points(
    admin, program, code, referrer, django_capture_on_commit_callbacks
):
    lead = _qualified_lead(admin, code)
    with django_capture_on_commit_callbacks(execute=True):
        result = lead_convert(actor=admin, lead=lead, create_opportunity=False)
    referral = Referral.objects.get(lead=lead)
    assert referral.status == ReferralStatus.CONVERTED and referral.contact == result.contact
    assert referral.reward_points == 500 and referral.rewarded_at is not None
    member = Member.objects.get(program=program, contact=referrer)
    assert member.balance == 500 == balance_from_ledger(member)
    with django_capture_on_commit_callbacks(execute=True):
        _paid_order(admin, result.contact)
    member.refresh_from_db()
    assert member.balance == 500


def test_a_lead_converting_into_the_referrer_is_refused(
    admin, program, code, referrer, django_capture_on_commit_callbacks
):
    lead = _qualified_lead(admin, code, email="other@else.example")
    with django_capture_on_commit_callbacks(execute=True):
        lead_convert(actor=admin, lead=lead, create_opportunity=False, contact_id=referrer.pk)
    referral = Referral.objects.get(lead=lead)
    assert (referral.status, referral.refusal_reason) == (ReferralStatus.REFUSED, SAME_PERSON)
    assert not Member.objects.filter(contact=referrer).exists()


def test_a_referred_contacts_first_paid_order_grants_a_credit(
    admin, program, code, referrer, django_capture_on_commit_callbacks
):
    program.referral_reward_kind = ReferralRewardKind.CREDIT
    program.referral_reward_credit = Decimal("25.00")
    program.save()
    contact = contact_create(actor=admin, data={"last_name": "Kunde", "referral_code": code.code})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _paid_order(admin, contact)
    referral = Referral.objects.get(contact=contact)
    assert referral.status == ReferralStatus.CONVERTED
    assert (referral.reward_credit, referral.reward_currency) == (Decimal("25.00"), "EUR")
    note = Interaction.objects.get(contact=referrer, channel="note")
    assert "25" in note.subject
    assert len(callbacks) >= 1
    assert not Member.objects.filter(contact=referrer).exists()


def test_an_unknown_code_on_contact_create_is_a_422(admin):
    with pytest.raises(ValidationFailed) as refused:
        contact_create(actor=admin, data={"last_name": "X", "referral_code": "ZZZZ2222"})
    assert "referral_code" in refused.value.fields
