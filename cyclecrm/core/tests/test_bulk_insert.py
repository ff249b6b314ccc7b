"""vendor.bulk_insert's SQLite fast path stores exactly what Django's generic field preparation
would (the path it replaces), and sets primary keys."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.core.db import vendor
from cyclecrm.core.models import HistoryEntry
from cyclecrm.pipeline.models import Opportunity

NOW = timezone.now()
sqlite_only = pytest.mark.skipif(
    "connection.vendor != 'sqlite'", reason="the executemany path is SQLite's"
)


def _contact(number: int, **extra) -> Contact:
    return Contact(
        first_name=f"Anna {number}",
        last_name="Müller",
        email=f"anna.{number}@example.com",
        birth_date=dt.date(1980, 1, 1 + number % 28),
        custom={"colors": ["red"], "n": number},
        created_at=NOW,
        updated_at=NOW,
        **extra,
    )


@sqlite_only
@pytest.mark.django_db
def test_each_adapter_equals_the_generic_preparation(admin):
    rows = [
        _contact(1, owner=admin, consent_email=True),
        _contact(2, phone="", owner_id=str(admin.pk)),
        Opportunity(name="Deal", amount=Decimal("1234.5"), owner=admin),
        Opportunity(name="Deal 2", amount=7, probability="12.5", owner_id=admin.pk),
        HistoryEntry(record_type="contact", object_id=1, changes={"a": [None, 1]}, actor=admin),
    ]
    for row in rows:
        fields = [field for field in row._meta.concrete_fields if not field.primary_key]
        adapters = vendor._row_adapters(type(row))
        for field, adapt in zip(fields, adapters, strict=True):
            expected = field.get_db_prep_save(field.pre_save(row, True), connection)
            assert adapt(row) == expected, field.name


@sqlite_only
@pytest.mark.django_db
def test_rows_read_back_equal_to_bulk_create(admin):
    fast = [_contact(number, owner=admin) for number in range(30)]
    slow = [_contact(number, owner=admin) for number in range(30)]
    with transaction.atomic():
        vendor.bulk_insert(Contact, fast)
    Contact.objects.bulk_create(slow)
    assert all(row.pk for row in fast)
    assert len({row.pk for row in fast}) == 30
    skip = {"id"}
    names = [f.attname for f in Contact._meta.concrete_fields if f.attname not in skip]
    stored = {
        row["email"]: row
        for row in Contact.objects.filter(pk__in=[r.pk for r in fast]).values(*names)
    }
    expected = {
        row["email"]: row
        for row in Contact.objects.filter(pk__in=[r.pk for r in slow]).values(*names)
    }
    assert stored == expected
