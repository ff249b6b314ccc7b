import pytest

from cyclecrm.catalog.models import Order, OrderLine
from cyclecrm.contacts.models import Contact
from cyclecrm.intelligence.bench import generate

pytestmark = pytest.mark.django_db


def test_generate_writes_the_requested_sizes():
    counts = generate(contacts=300, orders=500, report=lambda note: None)
    assert Contact.objects.count() == 300
    assert Order.objects.count() == counts["orders"] == 500
    assert OrderLine.objects.count() == counts["lines"] >= 500
    buyers = Order.objects.values("contact").distinct().count()
    assert 1 < buyers <= counts["customers"]
    # Repeat purchases exist, as the lifetime-value models need them.
    assert buyers < 500
