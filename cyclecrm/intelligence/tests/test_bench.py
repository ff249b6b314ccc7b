import pytest

from cyclecrm.catalog.models import Order, OrderLine
from cyclecrm.contacts.models import Contact
from cyclecrm.intelligence.bench import generate
from cyclecrm.leads.models import Authority, Lead, LeadStatus

pytestmark = pytest.mark.django_db


def test_generate_writes_the_requested_sizes():
    counts = generate(contacts=300, orders=500, leads=400, report=lambda note: None)
    assert Contact.objects.count() == 300
    assert Order.objects.count() == counts["orders"] == 500
    assert OrderLine.objects.count() == counts["lines"] >= 500
    buyers = Order.objects.values("contact").distinct().count()
    assert 1 < buyers <= counts["customers"]
    # Repeat purchases exist, as the lifetime-value models need them.
    assert buyers < 500


def test_generated_leads_are_decided_and_open_with_a_signal():
    generate(contacts=0, orders=0, leads=3000, report=lambda note: None)
    leads = Lead.objects.all()
    assert leads.count() == 3000
    open_leads = leads.filter(status=LeadStatus.OPEN).count()
    converted = leads.filter(converted_at__isnull=False)
    assert 0 < open_leads < 3000 and converted.exists()

    # Decision makers convert more often than leads without authority.
    def rate(authority: str) -> float:
        decided = leads.filter(authority=authority).exclude(status=LeadStatus.OPEN)
        return decided.filter(converted_at__isnull=False).count() / decided.count()

    assert rate(Authority.DECISION_MAKER) > rate(Authority.NONE) + 0.1
