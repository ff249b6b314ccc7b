"""The likely-duplicate lookup run on every save: case-insensitive keys, every branch served by
an index (a scan of the whole table per save was the cost at a million contacts)."""

import pytest
from django.db import connection

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.testing.plans import query_plan
from cyclecrm.dataquality.duplicates.matching import _candidate_q
from cyclecrm.leads.models import Lead

pytestmark = pytest.mark.django_db

PERSON = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "Ada@Example.com ",
    "phone": "+442071234567",
    "birth_date": "1815-12-10",
    "postal_code": "W1",
}


def test_missing_values_add_no_branch():
    assert _candidate_q("contact", {}) is None
    assert _candidate_q("contact", {"email": " ", "phone": None, "first_name": "Ada"}) is None
    # An empty e-mail must not match every contact without one.
    Contact.objects.create(last_name="Other")
    condition = _candidate_q("contact", {"email": "", "last_name": "Lovelace", "first_name": "A"})
    assert not Contact.objects.filter(condition).exists()


def test_keys_compare_without_case():
    stored = Contact.objects.create(first_name="ADA", last_name="LOVELACE", email="ADA@EXAMPLE.COM")
    Contact.objects.create(first_name="Grace", last_name="Hopper", email="grace@example.com")
    by_email = _candidate_q("contact", {"email": "ada@example.com"})
    by_name = _candidate_q("contact", {"first_name": "ada", "last_name": "lovelace"})
    by_swapped_name = _candidate_q("contact", {"first_name": "Lovelace", "last_name": "Ada"})
    for condition in (by_email, by_name, by_swapped_name):
        assert list(Contact.objects.filter(condition)) == [stored]
    account = Account.objects.create(name="ACME Ltd", domain="ACME.example")
    assert list(Account.objects.filter(_candidate_q("account", {"name": " acme ltd"}))) == [account]


@pytest.mark.parametrize(
    ("model", "record_type", "data"),
    [
        (Contact, "contact", PERSON),
        (Lead, "lead", PERSON),
        (Account, "account", {"name": "Acme", "domain": "acme.example", "phone": "+4420"}),
    ],
)
def test_every_branch_is_an_index_lookup(model, record_type, data):
    queryset = model.objects.filter(_candidate_q(record_type, data)).order_by().values("id")
    plan = query_plan(queryset, disable=["enable_seqscan"])
    table = model._meta.db_table
    if connection.vendor == "sqlite":
        assert "MULTI-INDEX OR" in plan and f"SCAN {table}" not in plan, plan
    else:
        assert "Seq Scan" not in plan and "BitmapOr" in plan, plan
