"""Forms of the automation pages. They only parse input; the services validate the rule."""

import json
from typing import Any

from django import forms

from cyclecrm.automation.actions import action_types
from cyclecrm.automation.models import Trigger, WorkflowRule
from cyclecrm.automation.records import AUTOMATED_TYPES

ACTION_ROWS = 6
TRIGGER_OPTIONS = ("field", "value", "from_stage", "to_stage", "form", "at", "every_hours")
INT_OPTIONS = {"from_stage", "to_stage", "form", "every_hours"}


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs["class"] = "form-check-input"
            continue
        css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
        field.widget.attrs["class"] = f"{css} {field.widget.attrs.get('class', '')}".strip()


def _json(text: str, label: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise forms.ValidationError(f"{label}: not valid JSON ({exc}).") from exc


class WorkflowForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    active = forms.BooleanField(required=False, initial=True)
    record_type = forms.ChoiceField(
        choices=[(key, item.label) for key, item in AUTOMATED_TYPES.items()]
    )
    trigger = forms.ChoiceField(choices=Trigger.choices)
    field = forms.CharField(required=False, label="Updated: field", max_length=100)
    value = forms.CharField(required=False, label="Updated: changes to value", max_length=500)
    from_stage = forms.IntegerField(required=False, label="Stage changed: from stage id")
    to_stage = forms.IntegerField(required=False, label="Stage changed: to stage id")
    form = forms.IntegerField(required=False, label="Form submitted: capture form id")
    at = forms.CharField(required=False, label="Schedule: daily at (HH:MM, UTC)", max_length=5)
    every_hours = forms.IntegerField(required=False, label="Schedule: every N hours")
    # The segment rule builder edits this textarea (it looks for `rules`).
    rules = forms.CharField(
        required=False,
        label="Conditions (JSON)",
        widget=forms.Textarea(attrs={"rows": 5, "class": "font-monospace", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(item.name, item.label) for item in action_types()]
        for index in range(ACTION_ROWS):
            self.fields[f"action_{index}_type"] = forms.ChoiceField(
                required=False, choices=choices, label=f"Action {index + 1}"
            )
            self.fields[f"action_{index}_params"] = forms.CharField(
                required=False,
                label="Parameters (JSON object)",
                max_length=5000,
                widget=forms.TextInput(attrs={"class": "font-monospace"}),
            )
        if editing:
            self.fields["record_type"].disabled = True
        _style(self)

    @staticmethod
    def initial_for(rule: WorkflowRule) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": rule.name,
            "description": rule.description,
            "active": rule.active,
            "record_type": rule.record_type_key,
            "trigger": rule.trigger,
            "rules": json.dumps(rule.conditions or {"all": []}),
            **{key: rule.trigger_config.get(key) for key in TRIGGER_OPTIONS},
        }
        for index, action in enumerate(rule.actions[:ACTION_ROWS]):
            initial[f"action_{index}_type"] = action.get("type")
            initial[f"action_{index}_params"] = json.dumps(action.get("params") or {})
        return initial

    def action_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"action_{index}_type"], self[f"action_{index}_params"])
            for index in range(ACTION_ROWS)
        ]

    def basic_rows(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", "description", "active", "record_type", "trigger")]

    def trigger_rows(self) -> list[forms.BoundField]:
        return [self[name] for name in TRIGGER_OPTIONS]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        actions = []
        for index in range(ACTION_ROWS):
            kind = data.get(f"action_{index}_type")
            if not kind:
                continue
            text = data.get(f"action_{index}_params") or "{}"
            try:
                params = _json(text, f"Action {index + 1}")
            except forms.ValidationError as exc:
                self.add_error(f"action_{index}_params", exc)
                continue
            actions.append({"type": kind, "params": params})
        data["actions"] = actions
        try:
            data["conditions"] = _json(data.get("rules") or '{"all": []}', "Conditions")
        except forms.ValidationError as exc:
            self.add_error("rules", exc)
        return data

    def service_data(self, *, editing: bool) -> dict[str, Any]:
        data = self.cleaned_data
        config = {key: data[key] for key in TRIGGER_OPTIONS if data.get(key) not in (None, "")}
        out = {
            "name": data["name"],
            "description": data["description"],
            "active": data["active"],
            "trigger": data["trigger"],
            "trigger_config": config,
            "conditions": data.get("conditions"),
            "actions": data["actions"],
        }
        if not editing:
            out["record_type"] = data["record_type"]
        return out


class WebhookForm(forms.Form):
    url = forms.CharField(label="URL", max_length=1000)
    description = forms.CharField(required=False, max_length=2000)
    events = forms.CharField(
        max_length=2000,
        help_text="Event names separated by commas or spaces: contact.created, contact.*, *.",
    )
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["events"] = data["events"].replace(",", " ").split()
        return data
