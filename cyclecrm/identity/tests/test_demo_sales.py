"""`cyclecrm demo`, lead to customer: leads, opportunities, products, quotes, orders, tasks."""

import io
from decimal import Decimal
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db.models import Count

from cyclecrm.activities.models import Task, TaskStatus
from cyclecrm.catalog.models import NumberCounter, Order, Product, Quote
from cyclecrm.catalog.pricing import LineInput, price_line
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.leads.models import Lead, LeadStatus
from cyclecrm.pipeline.models import Opportunity, StageChange, StageKind

pytestmark = pytest.mark.django_db

SMALL = ["--contacts", "60", "--accounts", "6"]


def demo(*args: str) -> str:
    stdout = io.StringIO()
    call_command("demo", *args, stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def lead_emails() -> list[str]:
    return list(Lead.objects.order_by("id").values_list("email", flat=True))


def test_demo_builds_every_sales_record_type():
    demo(*SMALL)

    for model in (Lead, Opportunity, StageChange, Product, Quote, Order, Task):
        assert model.objects.exists(), model.__name__
    assert Product.objects.count() == 40
    assert Product.objects.values("sku").distinct().count() == 40
    assert Lead.objects.filter(status=LeadStatus.UNQUALIFIED).exclude(unqualified_reason="")
    assert not Lead.objects.filter(status=LeadStatus.UNQUALIFIED, unqualified_reason="").exists()
    assert Task.objects.filter(status=TaskStatus.DONE, completed_at__isnull=False).exists()
    assert not Task.objects.filter(status=TaskStatus.DONE, completed_at__isnull=True).exists()


def test_demo_leads_are_plausible():
    demo("--contacts", "200", "--accounts", "10")

    leads = list(Lead.objects.select_related("owner", "team"))
    assert len(leads) == 60
    for lead in leads:
        assert lead.team in lead.owner.teams.all()
        if lead.utm_source:
            assert lead.source == "web_form"
        if lead.converted_at:
            assert lead.status == LeadStatus.QUALIFIED
            assert lead.converted_contact.account_id == lead.converted_account_id
            assert lead.email == lead.converted_contact.email
    assert any(lead.converted_at for lead in leads)
    assert any(lead.utm_source for lead in leads)


def test_quote_and_order_totals_are_the_sums_of_their_lines():
    demo(*SMALL)

    documents = list(Quote.objects.prefetch_related("lines")) + list(
        Order.objects.prefetch_related("lines")
    )
    assert documents
    for document in documents:
        lines = list(document.lines.all())
        assert 1 <= len(lines) <= 4
        for line in lines:
            priced = price_line(
                LineInput(line.quantity, line.unit_price, line.discount_percent, line.tax_percent),
                document.currency,
            )
            assert (line.net, line.tax) == (priced.net, priced.tax)
        assert document.subtotal == sum((line.net for line in lines), Decimal(0))
        assert document.tax_total == sum((line.tax for line in lines), Decimal(0))
        assert document.total == document.subtotal + document.tax_total


def test_document_numbers_follow_their_year_and_the_counters():
    demo(*SMALL)

    for model, prefix, kind in ((Quote, "Q", "quote"), (Order, "O", "order")):
        for document in model.objects.all():
            date = document.ordered_at if model is Order else document.created_at
            assert document.number.startswith(f"{prefix}-{date.year}-")
        for counter in NumberCounter.objects.filter(kind=kind):
            numbers = model.objects.filter(number__startswith=f"{prefix}-{counter.year}-")
            assert numbers.count() <= counter.last


def test_stage_history_is_a_path_ending_in_the_current_stage():
    demo(*SMALL)

    opportunities = Opportunity.objects.select_related("stage").prefetch_related("stage_changes")
    assert opportunities.exists()
    for opportunity in opportunities:
        changes = sorted(opportunity.stage_changes.all(), key=lambda change: change.id)
        assert changes, opportunity.pk
        times = [change.at for change in changes]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert changes[-1].to_stage_id == opportunity.stage_id
        assert changes[0].from_stage_id is None
        for previous, change in pairwise(changes):
            assert change.from_stage_id == previous.to_stage_id
        if opportunity.stage.kind == StageKind.OPEN:
            assert opportunity.closed_at is None
        else:
            assert opportunity.closed_at == changes[-1].at
        if opportunity.stage.kind == StageKind.LOST:
            assert opportunity.lost_reason


def test_same_seed_gives_the_same_leads_and_another_seed_other_leads():
    demo(*SMALL, "--seed", "7")
    first = lead_emails()
    for model in (Task, Order, Quote, Lead, Opportunity, Contact, Account):
        model.objects.all().delete()
    demo(*SMALL, "--seed", "7")
    again = lead_emails()
    Lead.objects.all().delete()
    demo(*SMALL, "--seed", "8")
    newest = lead_emails()

    assert first and first == again
    assert newest != first
    # A second run reuses the catalogue and continues the document numbers.
    assert Product.objects.count() == 40
    assert not Order.objects.values("number").annotate(n=Count("id")).filter(n__gt=1).exists()
