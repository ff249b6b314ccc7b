"""Demo step for the acquisition KPIs: a newsletter capture form with daily page views and
accepted submissions (for the form conversion rate). Running the demo again replaces these rows.
Sales costs (for the acquisition cost) come from the `sales costs` step."""

import datetime as dt

from cyclecrm.core.demo.context import DemoContext
from cyclecrm.leads.models import CaptureForm, FormSubmission, FormView, SubmissionStatus

FORM_KEY = "demo-newsletter-signup"
DAYS = 90


def build_acquisition(context: DemoContext) -> None:
    _form_traffic(context)


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
