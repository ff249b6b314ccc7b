"""history.creation_changes (the import's cheap history of a new record) equals the generic
diff of an empty state against the record's snapshot."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cyclecrm.contacts.models import Contact, LifecycleStage
from cyclecrm.core.history import creation_changes, diff, snapshot
from cyclecrm.pipeline.models import Opportunity


def _records() -> list:
    now = timezone.now()
    return [
        Contact(
            first_name="Anna",
            last_name="Müller",
            email="anna@example.com",
            birth_date=dt.date(1980, 2, 3),
            custom={"colors": ["red"], "vip": True, "empty": None},
            lifecycle_stage=LifecycleStage.CUSTOMER,
            created_at=now,
            updated_at=now,
            owner_id=3,
        ),
        Contact(last_name="Ng", custom={}, phone=""),
        Opportunity(name="Deal", amount=Decimal("1234.50"), probability=Decimal("12.5")),
    ]


@pytest.mark.parametrize("tags", [None, [], ["b", "a"]])
def test_equals_the_generic_diff(tags):
    for record in _records():
        expected = diff({}, snapshot(record, tags=tags))
        got = creation_changes(record, tags=tags)
        assert got == expected
        assert list(got) == list(expected)
