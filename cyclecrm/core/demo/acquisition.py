"""Demo step for the acquisition KPIs: six months of sales costs (for the acquisition cost)
and a newsletter capture form with daily page views and accepted submissions (for the form
conversion rate). Running the demo again replaces these rows."""

import datetime as dt
from decimal import Decimal

from cyclecrm.analytics.models import SalesCost
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.leads.models import CaptureForm, FormSubmission, FormView, SubmissionStatus

NOTE = "Demo sales cost"
FORM_KEY = "demo-newsletter-signup"
MONTHS = 6
DAYS = 90
# category, monthly amount in the base currency
MONTHLY = [("salaries", "18000"), ("commissions", "4200"), ("tools", "650")]


def build_acquisition(context: DemoContext) -> None:
    _sales_costs(context)
    _form_traffic(context)


def _month_starts(today: dt.date) -> list[dt.date]:
    first = today.replace(day=1)
    months = []
    for _ in range(MONTHS):
        months.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return sorted(months)


def _sales_costs(context: DemoContext) -> None:
    rng = context.rng("acquisition:costs")
    SalesCost.objects.filter(note=NOTE).delete()
    admin = context.users.get("admin")
    teams = list(context.teams.values()) or [None]
    rows = [
        SalesCost(
            date=month,
            amount=(Decimal(amount) * Decimal(rng.uniform(0.85, 1.15))).quantize(Decimal("1")),
            category=category,
            team=team,
            note=NOTE,
            created_by=admin,
        )
        for month in _month_starts(context.now.date())
        for team in teams
        for category, amount in MONTHLY
    ]
    SalesCost.objects.bulk_create(rows)
    context.counts["sales costs"] = len(rows)


def _form_traffic(context: DemoContext) -> None:
    rng = context.rng("acquisition:forms")
    CaptureForm.objects.filter(public_key=FORM_KEY).delete()
    form = CaptureForm.objects.create(
        name="Newsletter sign-up",
        public_key=FORM_KEY,
        fields=["first_name", "last_name", "email"],
        required_fields=["email"],
        consent_text="E-mail me the monthly newsletter.",
        thank_you_message="Thanks for signing up!",
    )
    today = context.now.date()
    views, submissions = [], []
    for offset in range(DAYS):
        day = today - dt.timedelta(days=offset)
        shown = rng.randint(20, 60)
        views.append(FormView(form=form, day=day, views=shown))
        at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        for _ in range(sum(rng.random() < 0.08 for _ in range(shown))):
            submissions.append(
                FormSubmission(form=form, ip_hash="demo", status=SubmissionStatus.ACCEPTED, at=at)
            )
    FormView.objects.bulk_create(views)
    FormSubmission.objects.bulk_create(submissions)
    context.counts["form views"] = sum(row.views for row in views)
