"""Web forms of the pipeline app. They only check types; the services judge the rest and
their field errors come back next to the inputs."""

from typing import Any

from django import forms
from django.conf import settings

from cyclecrm.core.money import round_money
from cyclecrm.identity.models import User
from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage, StageKind
from cyclecrm.web.records.forms import RecordForm

OPPORTUNITY_FORM_FIELDS = (
    "name", "account", "contact", "stage", "amount", "currency", "probability",
    "expected_close_date", "source_campaign", "lost_reason", "description",
)  # fmt: skip

# The form's sections (the detail page shows amount and stage in its deal panel instead).
OPPORTUNITY_FORM_GROUPS = (
    ("Deal", ("name", "account", "contact", "stage", "amount", "currency", "probability",
              "expected_close_date", "source_campaign")),
    ("Outcome", ("lost_reason",)),
    ("Notes", ("description",)),
)  # fmt: skip

OPPORTUNITY_LABELS = {
    "account": "Account",
    "contact": "Primary contact",
    "stage": "Pipeline / stage",
    "amount": "Amount",
    "probability": "Probability (%)",
    "expected_close_date": "Expected close",
    "source_campaign": "Source campaign",
    "lost_reason": "Lost reason",
    "stage_changed_at": "In stage since",
    "closed_at": "Closed",
}


def stage_choices(*, include_inactive: bool = False) -> list[tuple[str, list[tuple[int, str]]]]:
    """Stages grouped by pipeline, for a select with one optgroup per pipeline."""
    pipelines = Pipeline.objects.order_by("position", "id")
    if not include_inactive:
        pipelines = pipelines.filter(is_active=True)
    stages: dict[int, list[tuple[int, str]]] = {}
    for stage in Stage.objects.filter(pipeline__in=pipelines).order_by("position", "id"):
        stages.setdefault(stage.pipeline_id, []).append((stage.pk, stage.name))
    return [(p.name, stages.get(p.pk, [])) for p in pipelines]


class OpportunityForm(RecordForm):
    model = Opportunity
    field_names = OPPORTUNITY_FORM_FIELDS
    record_links = {"account": "account_lookup", "contact": "contact_lookup"}
    textareas = frozenset({"description"})
    labels = OPPORTUNITY_LABELS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "stage" in self.fields:
            self._stage_select()
        if "currency" in self.fields:
            self.fields["currency"].required = False
            self.fields["currency"].help_text = "ISO 4217 code; empty: the base currency."
            if self.instance is None:
                self.initial.setdefault("currency", settings.CYCLECRM["DEFAULT_CURRENCY"])
        if "amount" in self.fields and self.instance is not None:
            instance = self.instance
            self.initial["amount"] = round_money(instance.amount, instance.currency)
        if "probability" in self.fields:
            self.fields["probability"].required = False
            self.fields["probability"].help_text = "Empty: the stage's probability."
            if self.instance is None:
                self.initial["probability"] = None
        if "lost_reason" in self.fields:
            self.fields["lost_reason"].help_text = "Required in a lost stage."

    def layout(self, groups: tuple) -> list:
        return super().layout(OPPORTUNITY_FORM_GROUPS)

    def _stage_select(self) -> None:
        old = self.fields["stage"]
        include_inactive = self.instance is not None
        field = forms.TypedChoiceField(
            choices=[
                ("", "— default pipeline, first stage —"),
                *stage_choices(include_inactive=include_inactive),
            ],
            coerce=int,
            empty_value=None,
            required=False,
            label=old.label,
            help_text="Changing it moves the opportunity (stage history, probability).",
            disabled=old.disabled,
        )
        field.widget.attrs["class"] = "form-select"
        self.fields["stage"] = field

    def service_arguments(self) -> tuple[dict[str, Any], list[str] | None, dict | None]:
        data, tags, custom = super().service_arguments()
        if "stage" in data:
            stage_id = data.pop("stage")
            if stage_id is not None:
                stage = Stage.objects.filter(pk=stage_id).first()
                data["stage_id"] = stage_id
                data["pipeline_id"] = stage.pipeline_id if stage else None
        if "currency" in data and not data["currency"]:
            data.pop("currency")
        return data, tags, custom


# -- settings ---------------------------------------------------------------------------------


class PipelineForm(forms.Form):
    name = forms.CharField(max_length=100)
    is_default = forms.BooleanField(required=False, label="Default pipeline")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")


class StageForm(forms.Form):
    name = forms.CharField(max_length=100)
    probability = forms.DecimalField(
        min_value=0, max_value=100, decimal_places=2, initial=0, label="Probability (%)"
    )
    kind = forms.ChoiceField(choices=StageKind.choices, initial=StageKind.OPEN)


class ExchangeRateForm(forms.Form):
    currency = forms.CharField(max_length=3, min_length=3, help_text="ISO 4217, e.g. EUR.")
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    rate = forms.DecimalField(
        max_digits=20,
        decimal_places=10,
        min_value=0,
        help_text="How many units of the base currency one unit is worth.",
    )


class OnboardingTemplateForm(forms.Form):
    name = forms.CharField(max_length=100)
    is_default = forms.BooleanField(required=False, label="Default template")


class StepForm(forms.Form):
    title = forms.CharField(max_length=200)
    due_offset_days = forms.IntegerField(
        min_value=0, max_value=3650, initial=0, label="Due after (days)"
    )
    default_assignee = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Assignee",
        empty_label="— the opportunity's owner —",
    )

    def __init__(self, *args: Any, users: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if users is not None:
            self.fields["default_assignee"].queryset = users


def style(form: forms.Form) -> forms.Form:
    """Bootstrap classes on a plain form's widgets."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
    return form
