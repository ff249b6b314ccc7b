import json
from typing import Any

from django import forms

from cyclecrm.segments.models import SegmentKind


class SegmentForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    kind = forms.ChoiceField(choices=SegmentKind.choices, initial=SegmentKind.DYNAMIC)
    rules = forms.CharField(
        required=False,
        label="Rules (JSON)",
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["kind"]
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs["class"] = f"{css} {field.widget.attrs.get('class', '')}".strip()

    def clean_rules(self) -> Any:
        text = self.cleaned_data.get("rules") or ""
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from exc

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("kind") == SegmentKind.STATIC or data.get("rules") is None:
            data.pop("rules", None)
        return data


class MembersForm(forms.Form):
    contact_ids = forms.CharField(
        label="Contact ids", help_text="Ids separated by commas or spaces.", max_length=50000
    )

    def clean_contact_ids(self) -> list[int]:
        parts = self.cleaned_data["contact_ids"].replace(",", " ").split()
        if not parts or not all(part.isdigit() and len(part) < 12 for part in parts):
            raise forms.ValidationError("Give contact ids separated by commas or spaces.")
        return [int(part) for part in parts]


class PersonaForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    goals = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    pain_points = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    preferred_channels = forms.MultipleChoiceField(
        required=False, choices=[], widget=forms.CheckboxSelectMultiple
    )
    segment_id = forms.TypedChoiceField(
        label="Segment", required=False, coerce=int, empty_value=None, choices=[]
    )

    def __init__(self, *args: Any, segments: Any = (), **kwargs: Any) -> None:
        from cyclecrm.activities.models import Channel

        super().__init__(*args, **kwargs)
        self.fields["preferred_channels"].choices = Channel.choices
        self.fields["segment_id"].choices = [("", "—")] + [(s.pk, s.name) for s in segments]
        for name, field in self.fields.items():
            if name != "preferred_channels":
                css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
                field.widget.attrs["class"] = css
