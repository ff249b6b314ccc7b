"""Web forms for sequences: the sequence's fields, one step (a field group per step type,
turned into the step's config; the service validates it) and enrolling by ids or segment."""

import json
from typing import Any

from django import forms

from cyclecrm.contacts.models import LifecycleStage
from cyclecrm.leads.models import LeadStatus
from cyclecrm.nurture.models import StepType
from cyclecrm.nurture.steps import ASSIGNEES, CONDITIONS

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]
# Which form fields make up each type's config: {config key: form field}.
TYPE_FIELDS: dict[str, dict[str, str]] = {
    StepType.SEND_EMAIL: {
        "template_id": "template_id",
        "subject": "subject",
        "body": "body",
        "track": "track",
    },
    StepType.WAIT: {"days": "days", "hours": "hours", "weekdays": "weekdays", "time": "time"},
    StepType.BRANCH: {"condition": "condition", "yes": "yes", "no": "no"},
    StepType.CREATE_TASK: {
        "title": "title",
        "description": "description",
        "due_in_days": "due_in_days",
        "assign_to": "assign_to",
    },
    StepType.SET_LEAD_STATUS: {"status": "status"},
    StepType.SET_LIFECYCLE_STAGE: {"stage": "stage"},
    StepType.ADD_TO_LIST: {"segment_id": "segment_id"},
    StepType.NOTIFY_OWNER: {"message": "message"},
}


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            continue
        css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
        field.widget.attrs["class"] = f"{css} {field.widget.attrs.get('class', '')}".strip()


class SequenceForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    exit_on_reply = forms.BooleanField(required=False, initial=True, label="Exit on reply")
    exit_on_conversion = forms.BooleanField(
        required=False, initial=True, label="Exit on conversion (lead converted, deal won)"
    )
    exit_on_unsubscribe = forms.BooleanField(
        required=False, initial=True, label="Exit on do-not-contact"
    )
    enroll_form_id = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Enroll submissions of capture form"
    )

    def __init__(self, *args: Any, capture_forms: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enroll_form_id"].choices = [("", "—"), *capture_forms]
        _styled(self)


class StepForm(forms.Form):
    type = forms.ChoiceField(choices=StepType.choices)
    template_id = forms.IntegerField(required=False, label="E-mail template id", min_value=1)
    subject = forms.CharField(required=False, max_length=300, help_text="Merge fields allowed.")
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    track = forms.BooleanField(
        required=False,
        initial=True,
        label="Track opens and clicks",
        help_text="Needed by “opened” / “clicked” branches (docs/email.md, privacy).",
    )
    days = forms.IntegerField(required=False, min_value=0)
    hours = forms.IntegerField(required=False, min_value=0)
    weekdays = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        help_text="Or wait until one of these days at the time below (workspace time zone).",
    )
    time = forms.CharField(required=False, max_length=5, help_text="HH:MM")
    condition = forms.ChoiceField(required=False, choices=[(c, c) for c in CONDITIONS])
    score = forms.IntegerField(required=False, label="Score at least")
    rules = forms.CharField(
        required=False,
        label="Rules (JSON, segment rule language)",
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
    )
    yes = forms.IntegerField(required=False, min_value=1, label="If yes, go to step")
    no = forms.IntegerField(required=False, min_value=1, label="If no, go to step")
    title = forms.CharField(required=False, max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    due_in_days = forms.IntegerField(required=False, min_value=0, initial=1)
    assign_to = forms.ChoiceField(required=False, choices=[(a, a) for a in ASSIGNEES])
    status = forms.ChoiceField(required=False, choices=LeadStatus.choices)
    stage = forms.ChoiceField(required=False, choices=LifecycleStage.choices)
    segment_id = forms.IntegerField(required=False, min_value=1, label="Static list id")
    message = forms.CharField(required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)

    def clean_rules(self) -> Any:
        text = self.cleaned_data.get("rules") or ""
        try:
            return json.loads(text) if text.strip() else None
        except ValueError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from exc

    def config(self) -> dict[str, Any]:
        data = self.cleaned_data
        step_type = data["type"]
        config: dict[str, Any] = {}
        for key, name in TYPE_FIELDS[step_type].items():
            value = data.get(name)
            if value not in (None, "", []):
                config[key] = value
        if step_type == StepType.BRANCH:
            condition: dict[str, Any] = {"type": data.get("condition")}
            if condition["type"] == "score_gte":
                condition["value"] = data.get("score")
            if condition["type"] == "rules":
                condition["rules"] = data.get("rules")
            config["condition"] = condition
            config.setdefault("yes", None)
            config.setdefault("no", None)
        return config

    @staticmethod
    def initial_for(step_type: str, config: dict[str, Any]) -> dict[str, Any]:
        initial = {"type": step_type, **config}
        condition = config.get("condition") or {}
        if condition:
            initial["condition"] = condition.get("type")
            initial["score"] = condition.get("value")
            initial["rules"] = json.dumps(condition["rules"]) if "rules" in condition else ""
        return initial

    def field_for(self, path: str) -> str | None:
        """The form field a service error path (`config.condition.value`) belongs to."""
        parts = path.split(".")
        if parts[0] == "type":
            return "type"
        key = parts[1] if len(parts) > 1 else ""
        if key == "condition":
            sub = parts[2] if len(parts) > 2 else "type"
            return {"value": "score", "type": "condition"}.get(sub, "rules")
        return key if key in self.fields else None


class EnrollForm(forms.Form):
    contact_ids = forms.CharField(
        required=False, label="Contact ids", help_text="Ids separated by commas or spaces."
    )
    segment_id = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Or every member of a segment"
    )

    def __init__(self, *args: Any, segments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment_id"].choices = [("", "—"), *segments]
        _styled(self)

    def clean_contact_ids(self) -> list[int]:
        text = (self.cleaned_data.get("contact_ids") or "").replace(",", " ")
        try:
            return [int(part) for part in text.split()]
        except ValueError as exc:
            raise forms.ValidationError("Give whole numbers.") from exc
