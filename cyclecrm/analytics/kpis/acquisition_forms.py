"""Capture form conversion (docs/kpis.md#acquisition): accepted submissions per view of the
public form page, both counted per form and UTC day."""

from django.db.models import Count, Sum
from django.urls import reverse

from cyclecrm.analytics.kpis.definitions import Area, Group, Result, Unit, metric
from cyclecrm.analytics.kpis.query import KpiQuery
from cyclecrm.analytics.kpis.scope import in_period, in_period_dates, percent
from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.leads.models import CaptureForm, FormSubmission, FormView, SubmissionStatus


@metric(
    name="form_conversion_rate",
    label="Form conversion rate",
    area=Area.ACQUISITION,
    unit=Unit.PERCENT,
    description="Accepted capture form submissions per view of the public form page.",
    formula="count(accepted submissions in the period) ÷ sum(form page views in the period) * 100",
    period="Submissions received and page views counted in the period (UTC days).",
    dimensions=("form",),
    grains=False,
    sources=("leads.CaptureForm", "leads.FormSubmission", "leads.FormView"),
    chart="number",
    example="400 views of the newsletter form in March, 30 accepted submissions: 7.50%.",
)
def form_conversion_rate(actor: User, q: KpiQuery) -> Result:
    forms = access.restrict(CaptureForm.objects.all(), actor).values("pk")
    views = dict(
        FormView.objects.filter(in_period_dates("day", q), form_id__in=forms)
        .values("form_id")
        .annotate(n=Sum("views"))
        .values_list("form_id", "n")
        .order_by()
    )
    accepted = dict(
        FormSubmission.objects.filter(
            in_period("at", q), form_id__in=forms, status=SubmissionStatus.ACCEPTED
        )
        .values("form_id")
        .annotate(n=Count("id"))
        .values_list("form_id", "n")
        .order_by()
    )
    seen, done = sum(views.values()), sum(accepted.values())
    result = Result(
        value=percent(done, seen),
        no_data=None if seen else "No capture form page was viewed in the period.",
        numerator=done,
        denominator=seen,
    )
    if q.dimension == "form":
        names = dict(
            CaptureForm.objects.filter(pk__in=set(views) | set(accepted)).values_list("pk", "name")
        )
        result.groups = [
            Group(
                key=str(pk),
                label=names[pk],
                value=percent(accepted.get(pk, 0), views.get(pk, 0)),
                numerator=accepted.get(pk, 0),
                denominator=views.get(pk, 0),
                drill_url=reverse("capture_form_detail", args=[pk]),
            )
            for pk in sorted(names, key=lambda pk: names[pk])
        ]
    return result
