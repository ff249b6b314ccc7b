"""Forms of the rewards pages; the rules themselves are checked by `loyalty.rewards`."""

from typing import Any

from django import forms

from cyclecrm.loyalty.models import RedemptionStatus


class RewardForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    points_cost = forms.IntegerField(min_value=1, max_value=10_000_000, label="Points")
    stock = forms.IntegerField(
        required=False, min_value=0, help_text="Units left; empty for unlimited."
    )
    valid_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "is_active":
                field.widget.attrs.setdefault("class", "form-control form-control-sm")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["description"] = data.get("description") or ""
        return data


class RedemptionFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *RedemptionStatus.choices]
    )
