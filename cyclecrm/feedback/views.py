"""Survey pages for signed-in users: list, create/edit, detail (metrics, trend chart, send dialog,
responses). Reading results needs only read access to the survey; responses shown are those of
contacts the reader may see."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import CrmError, Forbidden, ValidationFailed
from cyclecrm.feedback import selectors, services
from cyclecrm.feedback.forms import SendForm, SurveyForm
from cyclecrm.feedback.metrics import survey_metrics
from cyclecrm.feedback.models import QueueSurvey, Survey
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.web.errors import crm_view

RESPONSES_SHOWN = 50


@crm_view
def survey_list(request: HttpRequest) -> HttpResponse:
    surveys = selectors.survey_list(actor=request.user).order_by("name", "id")
    can_create = access.level(request.user, Survey.record_type, Action.CREATE) != Level.NONE
    return render(
        request, "feedback/survey_list.html", {"surveys": surveys, "can_create": can_create}
    )


def _add_errors(form: Any, exc: CrmError) -> None:
    for name, reasons in exc.fields.items():
        target = {"queue_ids": "queues"}.get(name, name)
        for reason in reasons:
            form.add_error(target if target in form.fields else None, reason)
    if not exc.fields:
        form.add_error(None, exc.message)


@crm_view
def survey_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    survey = selectors.survey_get(actor=request.user, pk=pk, action=Action.EDIT) if pk else None
    if survey is None and access.level(request.user, "survey", Action.CREATE) == Level.NONE:
        raise Forbidden("You may not create surveys.")
    initial: dict[str, Any] = {"is_active": True, "link_valid_days": 14}
    if survey is not None:
        initial = {
            name: getattr(survey, name)
            for name in SurveyForm.base_fields
            if name not in ("queues", "targets")
        }
        initial["targets"] = ", ".join(str(pk) for pk in survey.target_contact_ids)
        initial["queues"] = list(
            QueueSurvey.objects.filter(survey=survey).values_list("team_id", flat=True)
        )
    form = SurveyForm(request.POST or None, initial=initial, editing=survey is not None)
    if request.method == "POST" and form.is_valid():
        try:
            if survey is None:
                survey = services.survey_create(actor=request.user, data=form.service_data())
            else:
                data = form.service_data()
                data.pop("kind", None)
                survey = services.survey_update(actor=request.user, survey=survey, data=data)
        except (ValidationFailed, CrmError) as exc:
            if isinstance(exc, Forbidden):
                raise
            _add_errors(form, exc)
        else:
            messages.success(request, "Survey saved.")
            return redirect("survey_detail", pk=survey.pk)
    title = str(survey) if survey else "New survey"
    return render(request, "feedback/survey_form.html", {"form": form, "title": title})


def _chart(kind: str, trend: list) -> dict[str, Any]:
    return {
        "kind": kind,
        "labels": [bucket.start.isoformat() for bucket in trend],
        "score": [bucket.figure.score for bucket in trend],
        "low": [bucket.figure.low for bucket in trend],
        "high": [bucket.figure.high for bucket in trend],
        "n": [bucket.figure.n for bucket in trend],
    }


@crm_view
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    survey = selectors.survey_get(actor=actor, pk=pk)
    period = "week" if request.GET.get("period") == "week" else "month"
    responses = selectors.response_list(actor=actor, survey=survey)
    overall, trend = survey_metrics(kind=survey.kind, responses=responses, period=period)
    return render(
        request,
        "feedback/survey_detail.html",
        {
            "survey": survey,
            "overall": overall,
            "trend": trend,
            "chart": _chart(survey.kind, trend),
            "period": period,
            "responses": list(responses.order_by("-answered_at", "-id")[:RESPONSES_SHOWN]),
            "queues": QueueSurvey.objects.filter(survey=survey).select_related("team"),
            "can_send": access.can(actor, Action.EDIT, survey) and survey.is_active,
            "can_edit": access.can(actor, Action.EDIT, survey),
            "send_form": SendForm(),
        },
    )


def _resolve_contacts(request: HttpRequest, survey: Survey, form: SendForm) -> list[Contact]:
    """The visible contacts named by id or e-mail address (and the targets when asked for);
    anything that names no visible contact is refused, listed in the error."""
    visible = selectors.visible_contacts(actor=request.user)
    references = form.references()
    ids = [int(item) for item in references if item.isdigit() and len(item) < 12]
    emails = [item.lower() for item in references if "@" in item]
    if form.cleaned_data.get("use_target"):
        ids += [int(pk) for pk in survey.target_contact_ids]
    found = list(visible.filter(pk__in=ids)) + list(visible.filter(email__in=emails))
    found_keys = {str(c.pk) for c in found} | {c.email for c in found}
    unknown = [item for item in references if item.lower() not in found_keys]
    if unknown:
        raise ValidationFailed(
            fields={"contacts": [f"No contact you may see: {', '.join(unknown[:10])}"]}
        )
    return list({contact.pk: contact for contact in found}.values())


@crm_view
def survey_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(actor=request.user, pk=pk)
    if request.method != "POST":
        return redirect("survey_detail", pk=survey.pk)
    form = SendForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed(fields={"contacts": ["Enter the contacts to ask."]})
        contacts = _resolve_contacts(request, survey, form)
        result = services.survey_send(actor=request.user, survey=survey, contacts=contacts)
    except ValidationFailed as exc:
        for reasons in exc.fields.values():
            for reason in reasons:
                messages.error(request, reason)
        if not exc.fields:
            messages.error(request, exc.message)
    else:
        sent = len(result.invitations)
        messages.success(request, f"Survey sent to {sent} contact{'s' if sent != 1 else ''}.")
        if result.skipped:
            messages.warning(
                request,
                f"Not sent to {len(result.skipped)}: "
                + "; ".join(f"#{pk} {reason}" for pk, reason in list(result.skipped.items())[:10]),
            )
    return redirect("survey_detail", pk=survey.pk)
