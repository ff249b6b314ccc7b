"""Fixtures of the catalog tests: a customer deal of rep_a and a product to quote."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from cyclecrm.catalog.models import Product
from cyclecrm.catalog.tests.factories import make_opportunity, make_product
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.identity.models import User
from cyclecrm.pipeline.models import Opportunity

ROLES = ("admin", "manager", "rep_a", "rep_b", "marketer", "support_agent")


@dataclass
class Deal:
    account: Account
    contact: Contact
    opportunity: Opportunity


@pytest.fixture
def deal(rep_a) -> Deal:
    """rep_a's opportunity with Acme GmbH (Germany) and its buyer."""
    account = make_account(owner=rep_a, name="Acme GmbH", billing_country="DE", currency="EUR")
    contact = make_contact(owner=rep_a, account=account, first_name="Grace", last_name="Hopper")
    opportunity = make_opportunity(rep_a, account=account, contact=contact, name="Acme rollout")
    return Deal(account=account, contact=contact, opportunity=opportunity)


@pytest.fixture
def product(teams) -> Product:
    return make_product(
        sku="WID-1", name="Widget", unit_price=Decimal("19.99"), tax_percent=Decimal("19")
    )


class _Users:
    """`users["rep_a"]`: the role fixture's user, created only when a test asks for it (each
    user costs a password hash)."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request

    def __getitem__(self, role: str) -> User:
        assert role in ROLES, role
        return self._request.getfixturevalue(role)


@pytest.fixture
def users(request, teams) -> _Users:
    return _Users(request)
